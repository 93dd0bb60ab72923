goodware build data/no-such-dir -o data/never-written.idx --date 2026-11-25
