rules --date 2024-02-31 data
