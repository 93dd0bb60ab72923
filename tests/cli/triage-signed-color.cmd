triage --color always ../../corpus/benign/built/backupd_signed_x64.exe ../../corpus/benign/debian/zlib/zlib1_x86.dll
