events ../../corpus/logs/pcap/sandbox-2024-03-12.pcap
