extract -f stix --date 2024-03-12T10:00:00Z --types url,domain,ipv4,registry_key,file_path data/report.txt
