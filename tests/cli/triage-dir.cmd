triage ../../corpus/malicious/burrow
