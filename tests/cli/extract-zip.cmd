extract -f text data/logs.zip
