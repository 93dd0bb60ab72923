extract -f text data/missing.txt data/report.txt
