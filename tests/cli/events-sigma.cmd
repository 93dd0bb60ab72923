events --sigma sigma-rules ../../corpus/logs/sysmon/session-2024-03-12.xml
