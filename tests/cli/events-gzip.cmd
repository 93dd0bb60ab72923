events data/sysmon.ndjson.gz
