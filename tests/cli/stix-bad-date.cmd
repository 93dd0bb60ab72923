extract -f stix --date 12/03/2024 data/report.txt
