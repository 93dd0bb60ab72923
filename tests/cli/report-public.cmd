extract -f text --public-only --show-allowlisted data/report.txt
