intel build --help
