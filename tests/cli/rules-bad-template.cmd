rules ../../corpus/malicious/burrow/burrow_v1_x86_64 --template nosuch
