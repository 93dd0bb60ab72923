extract -f text --allowlist data/allow.txt data/report.txt
