test data/garbage.bin --malicious data/report.txt
