extract -f misp --date 2024-03-12 --tlp green data/report.txt
