test ../data/rules/families.yar --malicious ../../corpus/malicious/burrow data/does-not-exist --benign ../../corpus/benign/built/backupd_x64.exe --no-timing
