test no-such.yar --malicious data/report.txt
