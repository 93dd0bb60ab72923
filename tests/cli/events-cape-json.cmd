events -f json ../../corpus/logs/cape/ashdrop_v1-report.json
