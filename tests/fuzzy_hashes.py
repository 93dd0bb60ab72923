#!/usr/bin/env python3
"""Prints the reference tools' fuzzy hashes of files, to compare spoor with them: ssdeep as
the `ssdeep` program computes it and TLSH as py-tlsh (the TLSH authors' C++ library) does.

Usage: fuzzy_hashes.py FILE...  (or file names one per line on stdin when no FILE is given)

One line per file: `path<TAB>ssdeep<TAB>tlsh`, where a hash the tool does not give is `-`
(TLSH gives none for files under 50 bytes or with too little variety).

Exit status: 0, or 3 when the `ssdeep` program or py-tlsh is not installed (so callers can
tell "skipped" from "failed").
"""

import csv
import shutil
import subprocess
import sys

try:
    import tlsh
except ImportError as e:
    print(f"py-tlsh not installed: {e}", file=sys.stderr)
    sys.exit(3)

SSDEEP = shutil.which("ssdeep")
if SSDEEP is None:
    print("the ssdeep program is not installed", file=sys.stderr)
    sys.exit(3)


def ssdeep_of(paths):
    """ssdeep's hashes of the paths, by path (`-s`: no messages; `-l`: paths as given)."""
    out = subprocess.run(
        [SSDEEP, "-s", "-l", "--", *paths], check=False, capture_output=True, text=True
    ).stdout
    hashes = {}
    rows = csv.reader(out.splitlines())
    next(rows, None)  # ssdeep,1.1--blocksize:hash:hash,filename
    for row in rows:
        if len(row) == 2:
            hashes[row[1]] = row[0]
    return hashes


def tlsh_of(path):
    with open(path, "rb") as f:
        h = tlsh.hash(f.read())
    return h if h and h != "TNULL" else "-"


def main():
    paths = sys.argv[1:] or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    for start in range(0, len(paths), 200):
        batch = paths[start : start + 200]
        fuzzy = ssdeep_of(batch)
        for p in batch:
            print(f"{p}\t{fuzzy.get(p, '-')}\t{tlsh_of(p)}", flush=True)


if __name__ == "__main__":
    main()
