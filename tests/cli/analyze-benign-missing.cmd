analyze data/report.txt --benign no-such-dir -o never-written --date 2026-11-25
