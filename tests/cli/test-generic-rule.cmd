test ../data/rules/generic-mingw.yar --malicious ../../corpus/malicious --benign ../../corpus/benign --no-timing
