extract data/report.txt -o /dev/null
