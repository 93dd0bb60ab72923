extract -f text data/sysmon.ndjson
