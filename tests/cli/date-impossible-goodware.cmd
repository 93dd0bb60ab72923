goodware build --date 2023-02-29 data -o goodware-bad-date.idx
