#!/bin/sh
# corpus/windows-wheels.sh OUTDIR - real third-party Windows binaries from PyPI wheels, for
# measuring triage (imphash and rich hash against pefile, toolchain detection) on files spoor
# did not build. Also esbuild's Windows executable from npm (a Go program), when npm is there.
#
# Downloads win_amd64 and win32 wheels of well-known packages with `pip download` (no install,
# nothing executed), unzips them and keeps the PE files (sniffed by magic) under
# OUTDIR/pe/<wheel>/...; OUTDIR/MANIFEST.tsv lists wheel, size and path. Not committed.
# Needs python3 with pip. Packages that have no wheel for a platform are skipped with a note.
set -u
if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
mkdir -p "$1/wheels" "$1/pe" || exit 1
OUT=$(CDPATH='' cd -- "$1" && pwd)
PACKAGES=${SPOOR_WHEELS:-"numpy scipy pywin32 psutil lxml pillow cryptography pyzmq grpcio \
pandas pycryptodome pyyaml markupsafe msgpack cffi zstandard orjson bcrypt pydantic-core \
regex pygame llvmlite ruff pyinstaller pythonnet"}
for platform in win_amd64 win32; do
    for p in $PACKAGES; do
        python3 -m pip download -q --only-binary=:all: --platform "$platform" --no-deps \
            -d "$OUT/wheels" "$p" >/dev/null 2>&1 || echo "note: no $platform wheel of $p"
    done
done
# A Go program for Windows from npm (esbuild's Windows package), when npm is installed.
if command -v npm >/dev/null 2>&1 && [ ! -d "$OUT/pe/npm-esbuild-win32-x64" ]; then
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/spoor-npm.XXXXXX")
    if (cd "$tmp" && npm pack -q @esbuild/win32-x64 >/dev/null 2>&1 && tar xzf ./*.tgz); then
        mkdir -p "$OUT/pe/npm-esbuild-win32-x64"
        cp "$tmp/package/esbuild.exe" "$OUT/pe/npm-esbuild-win32-x64/"
    else
        echo "note: npm pack @esbuild/win32-x64 failed"
    fi
    rm -rf "$tmp"
fi
printf 'wheel\tsize\tpath\n' >"$OUT/MANIFEST.tsv"
for w in "$OUT"/wheels/*.whl; do
    name=$(basename "$w" .whl)
    dest=$OUT/pe/$name
    [ -d "$dest" ] && continue
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/spoor-wheel.XXXXXX")
    python3 -m zipfile -e "$w" "$tmp" >/dev/null 2>&1 || { rm -rf "$tmp"; continue; }
    find "$tmp" -type f | while read -r f; do
        magic=$(od -An -tx1 -N2 "$f" 2>/dev/null | tr -d ' \n')
        [ "$magic" = 4d5a ] || continue
        rel=${f#"$tmp"/}
        mkdir -p "$dest/$(dirname "$rel")"
        cp "$f" "$dest/$rel"
    done
    rm -rf "$tmp"
done
find "$OUT/pe" -type f | sort | while read -r f; do
    rel=${f#"$OUT"/pe/}
    printf '%s\t%s\t%s\n' "${rel%%/*}" "$(wc -c <"$f" | tr -d ' ')" "$rel" >>"$OUT/MANIFEST.tsv"
done
echo "$(($(wc -l <"$OUT/MANIFEST.tsv") - 1)) PE files in $OUT/pe"
