events -f json data/truncated.pcap
