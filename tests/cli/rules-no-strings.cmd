rules data --date 2026-11-25
