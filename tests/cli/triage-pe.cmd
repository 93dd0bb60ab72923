triage ../../corpus/malicious/lockjaw/lockjaw_v3_x64.exe
