events ../../corpus/logs/regshot/ashdrop_v2-regshot.txt ../../corpus/logs/procmon/lockjaw_v1-procmon.csv
