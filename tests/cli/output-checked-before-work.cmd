extract no-such-input.txt data/report.txt -o /dev/null
