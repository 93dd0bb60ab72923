"""Runs one Python IOC extractor over a file, for spoor's extraction benchmark.

Used by `cargo bench --bench extract` (benches/extract/main.rs) with the venv made by
benches/setup-peers.sh. Each peer extracts every IOC type it supports from the file:

- iocextract: `extract_iocs(line, refang=True)` line by line (it is quadratic on whole
  text: its IPv4 pass rescans the input for every match);
- ioc-finder: `find_iocs(text, included_ioc_types=...)` on the whole text; the types are
  those of ioc-finder's that spoor also extracts (see IOC_FINDER_TYPES; `--ioc-finder-types
  default` or `all` choose its default set or all of its 30 types);
- iocsearcher: `Searcher().search_data(text)` on the whole text (all its regex types).

The file is read as bytes and decoded as UTF-8 with replacement (it contains binary
junk). Timing starts after imports and the one-off set-up of the extractor and covers
decoding and extraction. The last line printed is a JSON object:
{"tool", "version", "how", "bytes", "seconds", "count"}; with --out, the values found
are written one per line (sorted, `type<TAB>value` where the tool gives a type).

Usage: python peers.py TOOL FILE [--max-bytes N] [--out PATH] [--ioc-finder-types SET]
"""

import argparse
import importlib.metadata
import json
import sys
import time

# ioc-finder's names for the types spoor extracts.
IOC_FINDER_TYPES = [
    "md5s",
    "sha1s",
    "sha256s",
    "sha512s",
    "ipv4s",
    "ipv4_cidrs",
    "ipv6s",
    "domains",
    "urls",
    "email_addresses",
    "registry_key_paths",
    "file_paths",
    "cves",
    "attack_techniques",
    "bitcoin_addresses",
    "monero_addresses",
]


def read_prefix(path, max_bytes):
    """The file's bytes, or its first max_bytes cut after the last newline."""
    with open(path, "rb") as f:
        data = f.read(max_bytes) if max_bytes > 0 else f.read()
    if max_bytes > 0 and len(data) == max_bytes:
        cut = data.rfind(b"\n")
        if cut > 0:
            data = data[: cut + 1]
    return data


def flatten(kind, value, out):
    """Collects (kind, value) pairs from ioc-finder's nested results."""
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(f"{kind}.{k}", v, out)
    elif isinstance(value, (list, tuple, set)):
        for v in value:
            if isinstance(v, (dict, list, tuple, set)):
                flatten(kind, v, out)
            else:
                out.add((kind, str(v)))
    elif value:
        out.add((kind, str(value)))


def run_iocextract(data):
    import iocextract

    start = time.perf_counter()
    text = data.decode("utf-8", errors="replace")
    found = set()
    for line in text.splitlines():
        for ioc in iocextract.extract_iocs(line, refang=True):
            found.add(("", ioc))
    return time.perf_counter() - start, found, "extract_iocs(line, refang=True) per line"


def run_ioc_finder(data, types):
    from ioc_finder import ioc_finder

    if types == "default":
        included = list(ioc_finder.DEFAULT_IOC_TYPES)
    elif types == "all":
        included = list(ioc_finder.SUPPORTED_IOC_TYPES)
    else:
        supported = set(ioc_finder.SUPPORTED_IOC_TYPES)
        included = [t for t in IOC_FINDER_TYPES if t in supported]
    start = time.perf_counter()
    text = data.decode("utf-8", errors="replace")
    result = ioc_finder.find_iocs(text, included_ioc_types=included)
    found = set()
    for kind, value in result.items():
        flatten(kind, value, found)
    how = f"find_iocs(whole text), {len(included)} types ({types})"
    return time.perf_counter() - start, found, how


def run_iocsearcher(data):
    from iocsearcher.searcher import Searcher

    searcher = Searcher()
    start = time.perf_counter()
    text = data.decode("utf-8", errors="replace")
    iocs = searcher.search_data(text)
    found = {(ioc.name, ioc.value) for ioc in iocs}
    return time.perf_counter() - start, found, "Searcher().search_data(whole text)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tool", choices=["iocextract", "ioc-finder", "iocsearcher"])
    ap.add_argument("file")
    ap.add_argument("--max-bytes", type=int, default=0, help="read only this prefix (0 = all)")
    ap.add_argument("--out", help="write the values found here")
    ap.add_argument("--ioc-finder-types", choices=["spoor", "default", "all"], default="spoor")
    args = ap.parse_args()

    data = read_prefix(args.file, args.max_bytes)
    if args.tool == "iocextract":
        seconds, found, how = run_iocextract(data)
    elif args.tool == "ioc-finder":
        seconds, found, how = run_ioc_finder(data, args.ioc_finder_types)
    else:
        seconds, found, how = run_iocsearcher(data)

    if args.out:
        with open(args.out, "w", encoding="utf-8", errors="replace") as f:
            for kind, value in sorted(found):
                f.write(f"{kind}\t{value}\n" if kind else f"{value}\n")
    report = {
        "tool": args.tool,
        "version": importlib.metadata.version(args.tool),
        "how": how,
        "bytes": len(data),
        "seconds": seconds,
        "count": len(found),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
