goodware info -
