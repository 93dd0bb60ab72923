extract data/report.txt -o data/report.txt/x.json
