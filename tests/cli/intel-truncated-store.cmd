extract --intel ../data/intel-truncated.intel data/report.txt
