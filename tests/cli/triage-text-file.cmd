triage data/report.txt
