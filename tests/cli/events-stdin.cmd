events -
