#!/bin/sh
# corpus/tools/collect-debian-benign.sh - (re)collect the redistributable real binaries committed
# under corpus/benign/debian/ from Debian 12 packages.  Run once by a maintainer; the result is
# committed and described in corpus/tools/benign_sources.json and corpus/README.md.
#
# Packages are fetched with `apt-get download` and unpacked with `dpkg-deb -x` into a temporary
# directory (nothing is installed).  The mingw runtime DLLs ship with DWARF debug sections; they are
# copied with `strip --strip-debug` to keep the corpus small (code and data are untouched).
set -eu
CORPUS=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
DEST=$CORPUS/benign/debian
WORK=$(mktemp -d "${TMPDIR:-/tmp}/spoor-benign.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM
cd "$WORK"
PKGS="nsis-common python3-distlib libz-mingw-w64 mingw-w64-x86-64-dev mingw-w64-i686-dev
      gcc-mingw-w64-x86-64-win32-runtime gcc-mingw-w64-i686-win32-runtime zlib1g"
for p in $PKGS; do
    apt-get download "$p" >/dev/null 2>&1
done
for deb in *.deb; do
    dpkg-deb -x "$deb" root
    printf '%s %s\n' "$(dpkg-deb -f "$deb" Package)" "$(dpkg-deb -f "$deb" Version)"
done | sort >"$WORK/versions.txt"
rm -rf "$DEST"
mkdir -p "$DEST/nsis/x86-unicode" "$DEST/nsis/amd64-unicode" "$DEST/nsis/UIs" "$DEST/distlib" \
    "$DEST/zlib" "$DEST/mingw-runtime/x86_64" "$DEST/mingw-runtime/i686"
cp root/usr/share/nsis/Plugins/x86-unicode/*.dll "$DEST/nsis/x86-unicode/"
cp root/usr/share/nsis/Plugins/amd64-unicode/*.dll "$DEST/nsis/amd64-unicode/"
cp root/usr/share/nsis/Contrib/UIs/*.exe "$DEST/nsis/UIs/"
cp root/usr/lib/python3/dist-packages/distlib/*.exe "$DEST/distlib/"
cp root/usr/x86_64-w64-mingw32/lib/zlib1.dll "$DEST/zlib/zlib1_x64.dll"
cp root/usr/i686-w64-mingw32/lib/zlib1.dll "$DEST/zlib/zlib1_x86.dll"
cp "$(find root/lib root/usr/lib -name 'libz.so.1.*' | head -n 1)" "$DEST/zlib/libz.so.1_x86_64"
x86_64-w64-mingw32-strip --strip-debug -o "$DEST/mingw-runtime/x86_64/libwinpthread-1.dll" \
    root/usr/x86_64-w64-mingw32/lib/libwinpthread-1.dll
i686-w64-mingw32-strip --strip-debug -o "$DEST/mingw-runtime/i686/libwinpthread-1.dll" \
    root/usr/i686-w64-mingw32/lib/libwinpthread-1.dll
for f in libgcc_s_seh-1.dll libssp-0.dll; do
    x86_64-w64-mingw32-strip --strip-debug -o "$DEST/mingw-runtime/x86_64/$f" \
        "$(find root/usr/lib/gcc/x86_64-w64-mingw32 -name "$f" | head -n 1)"
done
for f in libgcc_s_dw2-1.dll libssp-0.dll; do
    i686-w64-mingw32-strip --strip-debug -o "$DEST/mingw-runtime/i686/$f" \
        "$(find root/usr/lib/gcc/i686-w64-mingw32 -name "$f" | head -n 1)"
done
chmod -R a-x+X "$DEST"
cp "$WORK/versions.txt" "$DEST/VERSIONS.txt"
echo "collected into $DEST:" >&2
cat "$DEST/VERSIONS.txt" >&2
find "$DEST" -type f | wc -l >&2
du -sh "$DEST" >&2
