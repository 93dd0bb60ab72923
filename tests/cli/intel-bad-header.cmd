triage data/garbage.bin --intel ../data/intel-bad-header.intel
