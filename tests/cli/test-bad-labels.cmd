test ../data/rules/families.yar --malicious ../../corpus/malicious/burrow --labels ../data/rules/broken.yar
