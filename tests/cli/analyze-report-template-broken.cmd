analyze data/report.txt --report-templates ../data/report-templates-broken -o never-written --date 2026-11-25
