triage -f misp --date 2024-03-12 ../../corpus/malicious/needlepoint/needlepoint_v1_x64.exe
