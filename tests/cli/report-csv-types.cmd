extract -f csv --types url,domain,email data/report.txt
