#!/bin/sh
# corpus/real-packer.sh OUTDIR - a real packed executable from a package registry, for the
# packer test (tests/real_packer.rs): UPX's own Windows executable (upx.exe 4.0.1, win32,
# packed by UPX itself, as the UPX team releases it), shipped in the PyPI wheel
# `upx-installer` 1.0.0. Downloaded with `pip download` (nothing installed or executed),
# checked against its SHA-256 and unzipped to OUTDIR/upx.exe. Not committed.
# Needs python3 with pip.
set -u
if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
mkdir -p "$1" || exit 1
OUT=$(CDPATH='' cd -- "$1" && pwd)
WHEEL=upx_installer-1.0.0-py3-none-any.whl
EXE_SHA256=5e1a476c36e19750a0aa4b2460ed54c14d94bcb41f70ed489e1eb87da6d4744f
if [ -f "$OUT/upx.exe" ] && echo "$EXE_SHA256  $OUT/upx.exe" | sha256sum -c - >/dev/null 2>&1; then
    echo "reusing $OUT/upx.exe"
    exit 0
fi
python3 -m pip download -q --no-deps -d "$OUT" upx-installer==1.0.0 || exit 1
python3 - "$OUT/$WHEEL" "$OUT/upx.exe" <<'PY' || exit 1
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as f:
    f.write(z.read("upx_installer/data/upx.exe"))
PY
rm -f "$OUT/$WHEEL"
echo "$EXE_SHA256  $OUT/upx.exe" | sha256sum -c - >/dev/null || {
    echo "error: $OUT/upx.exe is not the expected upx.exe 4.0.1" >&2
    rm -f "$OUT/upx.exe"
    exit 1
}
echo "$OUT/upx.exe"
