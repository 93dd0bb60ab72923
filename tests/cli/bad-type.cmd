extract -f text --types nonsense data/report.txt
