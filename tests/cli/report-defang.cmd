extract -f text --defang data/report.txt
