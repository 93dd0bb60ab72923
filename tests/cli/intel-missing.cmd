extract --intel data/no-such-feed.csv stdin.stdin
