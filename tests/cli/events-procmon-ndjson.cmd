events -f ndjson ../../corpus/logs/procmon/lockjaw_v1-procmon.csv
