events data/sysmon.ndjson -o no-such-dir/events.json
