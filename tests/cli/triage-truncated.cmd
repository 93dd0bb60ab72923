triage triage-truncated.bin
