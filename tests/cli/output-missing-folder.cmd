extract data/report.txt -o no-such-dir/x.json
