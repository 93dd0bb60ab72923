test ../data/rules/cross-family.yar --malicious ../../corpus/malicious --labels ../../corpus/expected/labels.json -f json --no-timing
