analyze data/report.txt -o /dev/null --date 2026-11-25
