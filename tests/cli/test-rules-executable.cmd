test ../../corpus/malicious/ashdrop/ashdrop_v1_x64.exe --malicious data/report.txt
