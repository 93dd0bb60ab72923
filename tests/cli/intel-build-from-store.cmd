intel build ../data/intel-truncated.intel -o data/never-written.intel
