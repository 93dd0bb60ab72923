extract -f ndjson --max-sightings 1 data/sysmon.ndjson
