extract -f json data/report.txt
