#!/usr/bin/env python3
"""Prints pefile's imphash and rich header hash of PE files, to compare spoor with them.

Usage: pefile_hashes.py FILE...  (or file names one per line on stdin when no FILE is given)

One line per file: `path<TAB>imphash<TAB>rich-hash<TAB>ordinal-names`, where a hash pefile
does not give is `-` and ordinal-names lists `dll!ordinal=name` for each import by ordinal
(so a test can check the names too). A file pefile refuses prints `path<TAB>error<TAB>...`.

Exit status: 0, or 3 when pefile is not installed (so callers can tell "skipped" from
"failed").
"""

import sys

try:
    import pefile
except ImportError as e:
    print(f"pefile not installed: {e}", file=sys.stderr)
    sys.exit(3)


def one(path):
    try:
        pe = pefile.PE(path)
    except Exception as e:  # pefile raises several kinds on malformed files
        return f"{path}\terror\t{type(e).__name__}\t-"
    try:
        imphash = pe.get_imphash() or "-"
    except Exception as e:
        imphash = f"error:{type(e).__name__}"
    rich = pe.get_rich_header_hash() or "-"
    names = []
    for entry in getattr(pe, "DIRECTORY_ENTRY_IMPORT", []):
        for imp in entry.imports:
            if imp.import_by_ordinal:
                name = imp.name.decode() if imp.name else ""
                names.append(f"{entry.dll.decode().lower()}!{imp.ordinal}={name}")
    return f"{path}\t{imphash}\t{rich}\t{','.join(names) or '-'}"


def main():
    paths = sys.argv[1:] or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    for p in paths:
        print(one(p), flush=True)


if __name__ == "__main__":
    main()
