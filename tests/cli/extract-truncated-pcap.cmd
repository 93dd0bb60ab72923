extract -f ndjson data/truncated.pcap
