goodware merge data/garbage.bin - -o data/never-written.idx
