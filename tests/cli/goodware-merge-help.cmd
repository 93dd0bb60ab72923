goodware merge --help
