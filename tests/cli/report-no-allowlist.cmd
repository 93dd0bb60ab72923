extract -f text --no-allowlist --types domain,url data/report.txt
