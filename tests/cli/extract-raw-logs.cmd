extract -f text --raw-logs data/sysmon.ndjson
