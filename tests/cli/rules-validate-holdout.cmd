rules ../../corpus/malicious/magpie --family magpie --date 2026-11-25 --validate-against ../../corpus/benign --holdout
