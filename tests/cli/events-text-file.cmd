events data/report.txt
