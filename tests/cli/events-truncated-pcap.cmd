events data/truncated.pcap
