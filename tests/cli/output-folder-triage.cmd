triage data/garbage.bin -o data
