events ../../corpus/logs/sysmon/session-2024-03-12.xml
