rules --sigma --date 2024-03-12 ../../corpus/logs/sysmon/session-2024-03-12.xml
