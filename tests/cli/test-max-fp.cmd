test ../data/rules/generic-mingw.yar --benign ../../corpus/benign --max-fp 45 --no-timing
