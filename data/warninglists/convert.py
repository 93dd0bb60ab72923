#!/usr/bin/env python3
"""Converts a chosen version of the MISP warning lists into data/warninglists/.

The MISP warning lists (known-good infrastructure: public DNS resolvers, CDN and cloud ranges,
software update and certificate hosts, top sites) are maintained by the MISP project and
shipped by the PyPI package `pymispwarninglists` (BSD-3-Clause). This script reads the lists
from that package's wheel (or from an unpacked `lists/` folder of the misp-warninglists
repository), keeps the lists chosen below (trimming the large ones as documented), and writes
them unchanged in the MISP warning-list JSON format, with SOURCE.md naming the version and
the licence.

    pip download --no-deps pymispwarninglists==1.7.0 -d /some/dir
    python3 data/warninglists/convert.py /some/dir/pymispwarninglists-1.7.0-py3-none-any.whl

Python 3 standard library only. Users who want newer or other lists point spoor at an
unpacked `lists/` folder instead: `--warninglists DIR`.
"""

import ipaddress
import json
import os
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))

# name -> why it is kept; the lists not named here are left out (hash lists, scanners,
# phone numbers, national or sector lists, and the 1-million top-site lists, too large).
CHOSEN = {
    "public-dns-v4": "public DNS resolvers (IPv4), trimmed to the major providers' prefixes",
    "public-dns-v6": "public DNS resolvers (IPv6)",
    "cloudflare": "CDN ranges",
    "fastly": "CDN ranges",
    "akamai": "CDN ranges",
    "amazon-aws": "cloud ranges",
    "google-gcp": "cloud ranges",
    "microsoft-azure": "cloud ranges",
    "microsoft-win10-connection-endpoints": "Windows update and telemetry hosts",
    "google": "Google's own domains",
    "whats-my-ip": "services that tell a host its address (context, often used by malware)",
    "tranco10k": "top sites (Tranco top 10,000)",
}

# The public-dns-v4 list names tens of thousands of open resolvers; only the well-known
# providers' anycast prefixes are kept (Cloudflare, Google, Quad9, OpenDNS, AdGuard,
# CleanBrowsing, Level3, Comodo, Neustar/UltraDNS, Yandex).
MAJOR_RESOLVERS = [
    "1.1.1.0/24", "1.0.0.0/24", "8.8.8.0/24", "8.8.4.0/24", "9.9.9.0/24",
    "149.112.112.0/24", "208.67.216.0/21", "94.140.14.0/23", "185.228.168.0/22",
    "4.2.2.0/24", "8.26.56.0/24", "8.20.247.0/24", "156.154.70.0/23", "77.88.8.0/24",
]


def trim(name, items):
    if name != "public-dns-v4":
        return items
    nets = [ipaddress.ip_network(n) for n in MAJOR_RESOLVERS]
    kept = []
    for item in items:
        try:
            net = ipaddress.ip_network(item, strict=False)
        except ValueError:
            continue
        if any(net.subnet_of(n) for n in nets if n.version == net.version):
            kept.append(item)
    return kept


def read_licence(source):
    """The LICENSE of the wheel (or of the folder's repository, two levels up)."""
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as z:
            for member in z.namelist():
                if member.endswith("/LICENSE") and ".dist-info/" in member:
                    return z.read(member).decode("utf-8").strip()
    else:
        path = os.path.join(source, "..", "LICENSE")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                return f.read().strip()
    sys.exit(f"{source}: no LICENSE found: the lists cannot be redistributed without it")


def read_lists(source):
    """name -> parsed list.json"""
    out = {}
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as z:
            for member in z.namelist():
                parts = member.split("/")
                if len(parts) >= 3 and parts[-1] == "list.json" and parts[-3] == "lists":
                    out[parts[-2]] = json.loads(z.read(member))
    else:
        for name in os.listdir(source):
            path = os.path.join(source, name, "list.json")
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as f:
                    out[name] = json.load(f)
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    source = sys.argv[1]
    lists = read_lists(source)
    licence = read_licence(source)
    missing = [n for n in CHOSEN if n not in lists]
    if missing:
        sys.exit(f"{source}: lists not found: {', '.join(missing)}")
    rows = []
    for name, why in CHOSEN.items():
        data = dict(lists[name])
        data["list"] = trim(name, data.get("list", []))
        with open(os.path.join(HERE, f"{name}.json"), "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True, ensure_ascii=False)
            f.write("\n")
        rows.append(f"| `{name}.json` | {data.get('type', '')} | {len(data['list'])} | "
                    f"{data.get('version', '')} | {why} |")
    version = os.path.basename(source)
    with open(os.path.join(HERE, "SOURCE.md"), "w", encoding="utf-8") as f:
        f.write(f"""# MISP warning lists (a chosen subset)

Converted by `convert.py` from `{version}` (PyPI package `pymispwarninglists`, which ships the
lists of the MISP project's misp-warninglists). The files are the lists' own JSON, the
public DNS v4 list trimmed to the major providers' prefixes.

| file | type | entries | list version | why |
|---|---|---|---|---|
""" + "\n".join(rows) + """

## Licence (the package's LICENSE, verbatim)

""" + licence + """
""")
    print(f"{len(rows)} lists written to {HERE}")


if __name__ == "__main__":
    main()
