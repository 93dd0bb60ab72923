#!/bin/sh
# corpus/real-goodware.sh [--ci] OUTDIR - fetch the real goodware set pinned by corpus/real-goodware.tsv.
#
# Real third-party binaries from the package registries, each at an exact version: Windows wheels
# from PyPI (MSVC-built C/C++ extensions, Rust-built extensions and tools, PyInstaller bootloaders,
# .NET assemblies), macOS and manylinux wheels (Mach-O, ELF), npm packages that ship Go, Rust and
# Dart executables, and Debian packages (mingw-built wine DLLs and runtimes, NSIS stubs, EFI
# binaries, mono's .NET assemblies, ELF programs and libraries). Nothing is installed: wheels come
# from `pip download --no-deps --only-binary=:all: --platform P --python-version 3.11`, npm packages
# from `npm pack`, Debian packages from `apt-get download` (run `apt-get update` first), each
# unpacked in a temporary directory. Only PE, ELF and Mach-O files are kept (sniffed by magic).
#
#   OUTDIR/SPLIT/PACKAGE/VERSION/ARTIFACT[-PLATFORM]/...   the files
#   OUTDIR/MANIFEST.tsv   origin package version toolchain split size sha256 path (path relative to OUTDIR)
#
# The split (train / validation / test) is by package, from a hash of the package name (see the
# manifest's header), so every release and platform of a package lands in the same split. The test
# split is for measuring only (benches/rules_realworld). --ci fetches only the rows marked `ci`: a
# small fixed slice of the test split (a few hundred files) that CI scans with the corpus rules.
#
# Re-running reuses what an earlier run fetched (OUTDIR/.done/); a row that cannot be fetched is
# skipped with a note and the rest goes on. SPOOR_RG_JOBS (default 4) downloads run at once; files
# over SPOOR_RG_MAX_SIZE bytes (default 64 MiB) are skipped. The data is never committed.
set -u
CI_ONLY=0
if [ "${1:-}" = "--ci" ]; then
    CI_ONLY=1
    shift
fi
if [ "${1:-}" = "--row" ]; then # internal: fetch one manifest row into OUT
    shift
    ROW_MODE=1
else
    ROW_MODE=0
    if [ $# -ne 1 ]; then
        echo "usage: $0 [--ci] OUTDIR" >&2
        exit 2
    fi
fi
CORPUS=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
LIST=$CORPUS/real-goodware.tsv
MAX_SIZE=${SPOOR_RG_MAX_SIZE:-67108864}

kind_of() { # prints pe|elf|macho or nothing
    magic=$(od -An -tx1 -N4 "$1" 2>/dev/null | tr -d ' \n')
    case $magic in
    4d5a*) echo pe ;;
    7f454c46) echo elf ;;
    cffaedfe | cefaedfe | feedface | feedfacf | cafebabe) echo macho ;;
    esac
}

split_of() { # the split of a package name: sha256, first 8 hex digits, modulo 10
    h=$(printf '%s' "$1" | sha256sum | cut -c1-8)
    case $(($(printf '%d' "0x$h") % 10)) in
    [0-5]) echo train ;;
    6) echo validation ;;
    *) echo test ;;
    esac
}

unzip_to() { # zip dest
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2" 2>/dev/null
}

fetch_row() { # split package registry artifact version platform toolchain
    split=$1 package=$2 registry=$3 artifact=$4 version=$5 platform=$6 toolchain=$7
    expected=$(split_of "$package")
    if [ "$split" != "$expected" ]; then
        echo "  skip $artifact $version: the manifest says $split, the package hash says $expected" >&2
        return 0
    fi
    safe_art=$(printf '%s' "$artifact" | tr '/:' '__')
    safe_ver=$(printf '%s' "$version" | tr '/:' '__')
    leaf=$safe_art
    [ "$platform" != "-" ] && leaf=$safe_art-$platform
    key=$split/$package/$safe_ver/$leaf
    done_file=$OUT/.done/$(printf '%s' "$key" | tr '/' '#').tsv
    [ -f "$done_file" ] && return 0
    work=$(mktemp -d "${TMPDIR:-/tmp}/spoor-rg.XXXXXX")
    mkdir -p "$work/dl" "$work/root"
    ok=1
    case $registry in
    pypi)
        (cd "$work/dl" && pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
            --platform "$platform" --python-version 3.11 "$artifact==$version" -d . >"$work/log" 2>&1) || ok=0
        for w in "$work"/dl/*.whl; do
            [ -f "$w" ] && unzip_to "$w" "$work/root"
        done
        ;;
    npm)
        (cd "$work/dl" && npm pack --silent "$artifact@$version" >"$work/log" 2>&1) || ok=0
        for t in "$work"/dl/*.tgz; do
            [ -f "$t" ] && tar -xzf "$t" -C "$work/root" 2>/dev/null
        done
        ;;
    debian)
        (cd "$work/dl" && apt-get download "$artifact=$version" >"$work/log" 2>&1) || ok=0
        for d in "$work"/dl/*.deb; do
            [ -f "$d" ] && dpkg-deb -x "$d" "$work/root"
        done
        # wheels inside Debian packages (pip's launchers) are zip files: look inside too
        find "$work/root" -name '*.whl' | sort | while read -r w; do
            unzip_to "$w" "$work/root/${w##*/}.d"
        done
        ;;
    *) ok=0 ;;
    esac
    if [ $ok -eq 0 ]; then
        echo "  skip $registry $artifact $version $platform: $(tail -n 1 "$work/log" 2>/dev/null)" >&2
        rm -rf "$work"
        return 0
    fi
    frag=$work/manifest.tsv
    : >"$frag"
    find "$work/root" -type f | LC_ALL=C sort | while read -r f; do
        [ -n "$(kind_of "$f")" ] || continue
        size=$(wc -c <"$f" | tr -d ' ')
        [ "$size" -gt 0 ] && [ "$size" -le "$MAX_SIZE" ] || continue
        rel=${f#"$work/root/"}
        dest=$key/$rel
        mkdir -p "$OUT/$(dirname "$dest")"
        cp "$f" "$OUT/$dest" || continue
        sum=$(sha256sum "$f" | cut -d' ' -f1)
        printf '%s:%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$registry" "$artifact" "$package" "$version" \
            "$toolchain" "$split" "$size" "$sum" "$dest" >>"$frag"
    done
    mkdir -p "$OUT/.done"
    mv "$frag" "$done_file"
    echo "  $registry $artifact $version $platform: $(wc -l <"$done_file" | tr -d ' ') files" >&2
    rm -rf "$work"
}

if [ $ROW_MODE -eq 1 ]; then
    OUT=$1
    shift
    fetch_row "$@"
    exit 0
fi

mkdir -p "$1" || exit 1
OUT=$(CDPATH='' cd -- "$1" && pwd)
echo "real goodware set -> $OUT" >&2
# one row per line: split package registry artifact version platform toolchain ci
grep -v '^#' "$LIST" | tail -n +2 | while IFS="$(printf '\t')" read -r split package registry artifact version platform toolchain ci; do
    if [ $CI_ONLY -eq 1 ] && [ "$ci" != ci ]; then
        continue
    fi
    printf '%s\n%s\n%s\n%s\n%s\n%s\n%s\n' "$split" "$package" "$registry" "$artifact" "$version" "$platform" "$toolchain"
done | tr '\n' '\0' | xargs -0 -n 7 -P "${SPOOR_RG_JOBS:-4}" sh "$0" --row "$OUT"

MANIFEST=$OUT/MANIFEST.tsv
{
    printf 'origin\tpackage\tversion\ttoolchain\tsplit\tsize\tsha256\tpath\n'
    if [ $CI_ONLY -eq 1 ]; then
        # only the rows of the slice, even when OUTDIR holds more
        grep -v '^#' "$LIST" | tail -n +2 | awk -F'\t' '$8 == "ci"' | while IFS="$(printf '\t')" read -r split package registry artifact version platform toolchain ci; do
            leaf=$(printf '%s' "$artifact" | tr '/:' '__')
            [ "$platform" != "-" ] && leaf=$leaf-$platform
            f=$OUT/.done/$(printf '%s/%s/%s/%s' "$split" "$package" "$(printf '%s' "$version" | tr '/:' '__')" "$leaf" | tr '/' '#').tsv
            [ -f "$f" ] && cat "$f"
        done
    else
        cat "$OUT"/.done/*.tsv 2>/dev/null
    fi | LC_ALL=C sort -t "$(printf '\t')" -k8,8
} >"$MANIFEST.tmp" && mv "$MANIFEST.tmp" "$MANIFEST"

total=$(($(wc -l <"$MANIFEST") - 1))
echo "gathered $total files ($(du -sh "$OUT" | cut -f1)); manifest: $MANIFEST" >&2
echo "by split:" >&2
tail -n +2 "$MANIFEST" | cut -f5 | sort | uniq -c >&2
echo "by toolchain:" >&2
tail -n +2 "$MANIFEST" | cut -f4 | sort | uniq -c | sort -rn >&2
