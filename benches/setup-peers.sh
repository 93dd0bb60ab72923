#!/usr/bin/env bash
# Installs the peers that `cargo bench --bench extract` compares spoor with:
#   - the Python IOC extractors iocextract, ioc-finder and iocsearcher (PyPI), into a venv at
#     target/bench/venv (override with SPOOR_BENCH_VENV);
#   - ripgrep, through apt-get when running as root and `rg` is missing.
# The bench skips any peer that is not installed, with a note, so this script is optional.
# Usage: bash benches/setup-peers.sh        (from anywhere inside the repository)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${SPOOR_BENCH_VENV:-$root/target/bench/venv}"
python="${PYTHON:-python3}"

# Versions measured in ../shared/BENCHMARKS.md; pinned so figures compare across runs.
# iocextract imports `requests` without declaring it.
peers=(iocextract==1.16.1 ioc-finder==9.4.1 iocsearcher==3.1.0 requests)

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
for name in ("iocextract", "ioc-finder", "iocsearcher"):
    print(f"setup-peers: {name} {m.version(name)}")
PY

if ! command -v rg >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup-peers: installing ripgrep with apt-get"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ripgrep
    else
        echo "setup-peers: rg (ripgrep) not found; install it to compare with ripgrep" >&2
    fi
fi
if command -v rg >/dev/null 2>&1; then echo "setup-peers: $(rg --version | sed -n 1p)"; fi
echo "setup-peers: done"
