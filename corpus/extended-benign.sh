#!/bin/sh
# corpus/extended-benign.sh OUTDIR - assemble an extended benign set for false-positive tests.
#
# Best effort: each source that is unavailable is skipped with a note.  Nothing is installed: Debian
# packages are fetched with `apt-get download` and unpacked with `dpkg-deb -x` in a temporary
# directory; only PE, ELF and Mach-O files are kept (sniffed by magic, not by name).  The result is
# not committed (it is tens to hundreds of MB); OUTDIR/MANIFEST.tsv lists origin, size and path.
#
#   OUTDIR/debian/<package>/...    PE files from nsis-common, libz-mingw-w64, python3-distlib,
#                                  python3-pip-whl (distlib launchers inside the wheel), the mingw-w64
#                                  runtimes, and wine's PE DLLs (libwine)
#   OUTDIR/system-elf/...          ELF executables and libraries from /usr/bin, /usr/sbin, /usr/lib
#                                  of this machine (at most SPOOR_EXT_MAX_ELF, default 1000)
#   Files larger than SPOOR_EXT_MAX_SIZE bytes (default 4 MiB) are skipped everywhere.
#   OUTDIR/corpus-benign/...       a copy of the committed corpus/benign set
set -u
if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
CORPUS=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
mkdir -p "$1" || exit 1
OUT=$(CDPATH='' cd -- "$1" && pwd)
MAX_ELF=${SPOOR_EXT_MAX_ELF:-1000}
MAX_SIZE=${SPOOR_EXT_MAX_SIZE:-4194304}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/spoor-extbenign.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM
MANIFEST=$OUT/MANIFEST.tsv
printf 'origin\tsize\tpath\n' >"$MANIFEST"

kind_of() { # prints pe|elf|macho or nothing
    magic=$(od -An -tx1 -N4 "$1" 2>/dev/null | tr -d ' \n')
    case $magic in
    4d5a*) echo pe ;;
    7f454c46) echo elf ;;
    cffaedfe | cefaedfe | cafebabe) echo macho ;;
    esac
}

keep() { # origin src dest
    [ -f "$2" ] && [ ! -L "$2" ] || return 1
    [ -n "$(kind_of "$2")" ] || return 1
    [ "$(wc -c <"$2" | tr -d ' ')" -le "$MAX_SIZE" ] || return 1
    mkdir -p "$(dirname "$3")"
    cp "$2" "$3" 2>/dev/null || return 1
    printf '%s\t%s\t%s\n' "$1" "$(wc -c <"$3" | tr -d ' ')" "${3#"$OUT"/}" >>"$MANIFEST"
}

from_package() { # package [path filter regex]
    pkg=$1
    filter=${2:-.}
    d=$WORK/$pkg
    mkdir -p "$d"
    if ! (cd "$d" && apt-get download "$pkg" >/dev/null 2>&1); then
        echo "  skip $pkg: apt-get download failed (run apt-get update, or the package is unavailable)" >&2
        return 0
    fi
    deb=$(ls "$d"/*.deb 2>/dev/null | head -n 1)
    dpkg-deb -x "$deb" "$d/root" || return 0
    version=$(dpkg-deb -f "$deb" Version)
    n=0
    for f in $(find "$d/root" -type f | grep -E "$filter" | sort); do
        rel=${f#"$d/root/"}
        if keep "debian:$pkg=$version" "$f" "$OUT/debian/$pkg/$rel"; then
            n=$((n + 1))
        fi
    done
    # wheels are zip files: unpack them and look inside too
    for w in $(find "$d/root" -name '*.whl' | sort); do
        mkdir -p "$d/whl"
        python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$w" "$d/whl" \
            2>/dev/null || continue
        for f in $(find "$d/whl" -type f -name '*.exe' | sort); do
            rel=${f#"$d/whl/"}
            if keep "debian:$pkg=$version:$(basename "$w")" "$f" "$OUT/debian/$pkg/wheel/$rel"; then
                n=$((n + 1))
            fi
        done
    done
    echo "  $pkg $version: $n files" >&2
    rm -rf "$d"
}

echo "extended benign set -> $OUT" >&2
for p in nsis-common libz-mingw-w64 python3-distlib python3-pip-whl mingw-w64-x86-64-dev mingw-w64-i686-dev \
    gcc-mingw-w64-x86-64-win32-runtime gcc-mingw-w64-i686-win32-runtime; do
    from_package "$p"
done
from_package libwine '/wine/.*-windows/'

n=0
for f in $(find /usr/bin /usr/sbin /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu -maxdepth 1 -type f \( -perm -u+x -o -name '*.so*' \) \
    2>/dev/null | sort); do
    [ "$n" -ge "$MAX_ELF" ] && break
    [ "$(kind_of "$f")" = elf ] || continue
    if keep "system:$(uname -m)" "$f" "$OUT/system-elf$f"; then
        n=$((n + 1))
    fi
done
echo "  system ELF files: $n (limit $MAX_ELF)" >&2

n=0
for f in $(find "$CORPUS/benign" -type f | sort); do
    if keep "corpus/benign" "$f" "$OUT/corpus-benign/${f#"$CORPUS/benign/"}"; then
        n=$((n + 1))
    fi
done
echo "  corpus/benign: $n files" >&2

total=$(($(wc -l <"$MANIFEST") - 1))
echo "gathered $total files ($(du -sh "$OUT" | cut -f1)); manifest: $MANIFEST" >&2
cut -f1 "$MANIFEST" | tail -n +2 | sed 's/=.*//' | sort | uniq -c | sort -rn >&2
