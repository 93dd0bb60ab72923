goodware build data/empty.txt -o data/never-written.idx --date 2026-11-25
