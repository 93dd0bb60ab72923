extract -f text data/empty.txt data/garbage.bin
