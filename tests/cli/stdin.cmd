extract -f text -
