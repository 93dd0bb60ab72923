triage -f json triage-truncated.bin
