test ../data/rules/cross-family.yar --malicious ../../corpus/malicious --no-timing
