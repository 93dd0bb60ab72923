analyze --date 2024-13-45 data -o analyze-bad-date-out
