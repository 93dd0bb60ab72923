triage -f json ../../corpus/malicious/needlepoint/needlepoint_v3_x64.dll
