test ../data/rules/families.yar --malicious ../../corpus/malicious --benign ../../corpus/benign --labels ../../corpus/expected/labels.json --no-timing -j 2
