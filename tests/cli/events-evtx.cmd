events ../../corpus/logs/evtx/session-2024-03-12-security.evtx
