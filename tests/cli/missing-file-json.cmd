extract -f json data/missing.txt data/report.txt
