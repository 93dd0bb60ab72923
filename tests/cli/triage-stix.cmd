triage -f stix --date 2024-03-12 --tlp clear ../../corpus/malicious/needlepoint/needlepoint_v1_x64.exe
