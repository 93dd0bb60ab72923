rules ../../corpus/malicious/burrow/burrow_v1_x86_64 --date 2026-11-25 --name SPOOR_{family}_{date}
