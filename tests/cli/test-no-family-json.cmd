test ../data/rules/cross-family.yar --malicious data/report.txt -f json --no-timing
