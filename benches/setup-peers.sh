#!/usr/bin/env bash
# Installs the peers that the benches compare spoor with:
#   - the Python IOC extractors iocextract, ioc-finder and iocsearcher (PyPI) for
#     `cargo bench --bench extract`, and py-tlsh (the reference TLSH library, built from
#     source: needs a C++ compiler) for `cargo bench --bench triage`, into a venv at
#     target/bench/venv (override with SPOOR_BENCH_VENV);
#   - ripgrep (extract) and the reference ssdeep tool (triage), through apt-get when
#     running as root and they are missing.
# The bench skips any peer that is not installed, with a note, so this script is optional.
# Usage: bash benches/setup-peers.sh        (from anywhere inside the repository)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${SPOOR_BENCH_VENV:-$root/target/bench/venv}"
python="${PYTHON:-python3}"

# Versions measured in ../shared/BENCHMARKS.md; pinned so figures compare across runs.
# iocextract imports `requests` without declaring it.
peers=(iocextract==1.16.1 ioc-finder==9.4.1 iocsearcher==3.1.0 requests py-tlsh==4.7.2)

if ! command -v "$python" >/dev/null 2>&1; then
    echo "setup-peers: $python not found; install Python 3 first" >&2
    exit 1
fi

if [ ! -x "$venv/bin/python" ]; then
    echo "setup-peers: creating venv $venv"
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "${peers[@]}"
"$venv/bin/python" - <<'PY'
import importlib.metadata as m
for name in ("iocextract", "ioc-finder", "iocsearcher", "py-tlsh"):
    print(f"setup-peers: {name} {m.version(name)}")
PY

# Command-line peers: the program, its Debian package.
for tool in rg:ripgrep ssdeep:ssdeep; do
    program=${tool%%:*} package=${tool##*:}
    if ! command -v "$program" >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "setup-peers: installing $package with apt-get"
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package"
        else
            echo "setup-peers: $program not found; install $package to compare with it" >&2
        fi
    fi
done
if command -v rg >/dev/null 2>&1; then echo "setup-peers: $(rg --version | sed -n 1p)"; fi
if command -v ssdeep >/dev/null 2>&1; then echo "setup-peers: ssdeep $(ssdeep -V)"; fi
echo "setup-peers: done"
