test ../data/rules/families.yar ../data/rules/broken.yar --malicious ../../corpus/malicious
