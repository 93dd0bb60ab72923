events data/no-such-file.xml
