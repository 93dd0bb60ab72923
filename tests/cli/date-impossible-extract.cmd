extract -f stix --date 2024-02-31 data/report.txt
