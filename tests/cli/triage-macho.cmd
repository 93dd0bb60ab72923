triage ../../corpus/malicious/orchard/orchard_v3_universal
