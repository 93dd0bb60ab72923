extract -f text data/report.txt
