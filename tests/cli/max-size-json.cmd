extract -f json --max-size 100 data/report.txt
