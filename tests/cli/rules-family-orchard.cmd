rules ../../corpus/malicious/orchard --family orchard --date 2026-11-25
