#!/bin/sh
# corpus/build.sh - rebuild every compiled file of the spoor corpus, bit for bit.
#
#   corpus/build.sh [OUTDIR]        (or SPOOR_CORPUS_OUT=OUTDIR corpus/build.sh)
#
# Writes OUTDIR/malicious/<family>/<file>, OUTDIR/benign/built/<file> and OUTDIR/toolchain.txt.
# OUTDIR defaults to the corpus directory itself, i.e. it refreshes the committed binaries.
# SPOOR_CORPUS_CONFIG=DIR takes the configuration headers from DIR/<family>/config_vN.h instead
# (a held-out set: `python3 corpus/tools/gen.py heldout DIR`, see tests/heldout.rs), and
# SPOOR_CORPUS_ONLY=malicious leaves out the benign programs.
# The configuration headers src/malicious/*/config_v*.h are generated from tools/spec.py by
# `python3 corpus/tools/gen.py headers` and committed, so this script needs no Python.
#
# Debian 12 packages it needs (see README.md):
#   gcc gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 binutils-mingw-w64-x86-64 binutils-mingw-w64-i686
#   clang lld llvm (clang-14, lld-14, llvm-14: ld64.lld, ld.lld, llvm-lipo) osslsigncode
#
# Reproducibility: fixed SOURCE_DATE_EPOCH, LC_ALL and TZ; PE links with --no-insert-timestamp and
# no build id; ELF build ids are content hashes; every file is stripped (-s) and built with
# -ffile-prefix-map so no path of the build machine is embedded; resources come from committed files.
set -eu

CORPUS=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
OUT=${1:-${SPOOR_CORPUS_OUT:-$CORPUS}}
mkdir -p "$OUT"
OUT=$(CDPATH='' cd -- "$OUT" && pwd)
SRC=$CORPUS/src
CONFIG=${SPOOR_CORPUS_CONFIG:-$SRC/malicious}
BUILD=$(mktemp -d "${TMPDIR:-/tmp}/spoor-corpus.XXXXXX")
trap 'rm -rf "$BUILD"' EXIT INT TERM
export SOURCE_DATE_EPOCH=1704067200 LC_ALL=C TZ=UTC
umask 022

need() {
    for t in "$@"; do
        if command -v "$t" >/dev/null 2>&1; then
            echo "$t"
            return 0
        fi
    done
    echo "build.sh: none of [$*] is on PATH" >&2
    exit 127
}

MINGW64=$(need x86_64-w64-mingw32-gcc-win32 x86_64-w64-mingw32-gcc)
MINGW32=$(need i686-w64-mingw32-gcc-win32 i686-w64-mingw32-gcc)
WINDRES64=$(need x86_64-w64-mingw32-windres)
WINDRES32=$(need i686-w64-mingw32-windres)
HOSTCC=$(need gcc)
CLANG=$(need clang clang-14)
LLD=$(need ld.lld ld.lld-14)
LD64=$(need ld64.lld ld64.lld-14)
LIPO=$(need llvm-lipo llvm-lipo-14)
SIGN=$(need osslsigncode)

MAP="-ffile-prefix-map=$CORPUS=corpus -ffile-prefix-map=$BUILD=build"
PE_CFLAGS="-Os -s -static-libgcc -Wall -Wno-unused-function -Wl,--no-insert-timestamp -Wl,--build-id=none -Wl,--disable-auto-image-base $MAP"
ELF_CFLAGS="-Os -s -fno-builtin -Wall -Wno-unused-function -Wno-builtin-declaration-mismatch -Wl,--build-id=sha1 $MAP"

say() { printf '  %-8s %s\n' "$1" "$2" >&2; }

# toolchain.txt: the versions the committed binaries were built with (tests/corpus.rs compares it).
{
    echo "# toolchain that built this corpus (corpus/build.sh)"
    for t in "$MINGW64" "$MINGW32" "$HOSTCC" "$CLANG"; do
        printf '%s: %s\n' "$t" "$("$t" --version | head -n 1)"
    done
    printf '%s: %s\n' "$WINDRES64" "$("$WINDRES64" --version | head -n 1)"
    printf '%s: %s\n' "$LLD" "$("$LLD" --version | head -n 1)"
    printf '%s: %s\n' "$SIGN" "$("$SIGN" --version | head -n 1)"
} >"$BUILD/toolchain.txt"

# ---------------------------------------------------------------------------------------------
# helpers

variant_dir() { # family variant -> build dir holding config.h
    d=$BUILD/$1-$2
    mkdir -p "$d"
    cp "$CONFIG/$1/config_$2.h" "$d/config.h"
    echo "$d"
}

pe_cc() { case $1 in x86_64) echo "$MINGW64" ;; x86) echo "$MINGW32" ;; esac; }
pe_windres() { case $1 in x86_64) echo "$WINDRES64 -F pe-x86-64" ;; x86) echo "$WINDRES32 -F pe-i386" ;; esac; }

# pe FAMILY VARIANT ARCH KIND FILE "LIBS" [extra objects or flags...]
pe() {
    fam=$1 var=$2 arch=$3 kind=$4 file=$5 libs=$6
    shift 6
    d=$(variant_dir "$fam" "$var")
    kflags=""
    [ "$kind" = dll ] && kflags="-shared"
    mkdir -p "$OUT/malicious/$fam"
    # shellcheck disable=SC2086
    $(pe_cc "$arch") $PE_CFLAGS $kflags -I"$d" "$SRC/malicious/$fam/$fam.c" "$@" \
        -o "$OUT/malicious/$fam/$file" $libs
    say "$fam" "$file"
}

# ---------------------------------------------------------------------------------------------
# malicious-like samples

"$HOSTCC" -O2 -o "$BUILD/rc4" "$SRC/support/rc4.c"

ashdrop() { # variant arch file
    d=$(variant_dir ashdrop "$1")
    # shellcheck disable=SC2086
    $(pe_cc "$2") $PE_CFLAGS -shared -I"$d" "$SRC/malicious/ashdrop/stage2.c" -o "$d/stage2.dll" -lwininet
    if grep -q 'CFG_RC4_KEY' "$d/config.h"; then
        key=$(sed -n 's/^#define CFG_RC4_KEY "\(.*\)"$/\1/p' "$d/config.h")
        "$BUILD/rc4" "$key" <"$d/stage2.dll" >"$d/payload.bin"
    else
        cp "$d/stage2.dll" "$d/payload.bin"
    fi
    (cd "$d" && $(pe_windres "$2") -I"$d" -I"$SRC/malicious/ashdrop" \
        "$SRC/malicious/ashdrop/ashdrop.rc" -O coff -o "$d/res.o")
    pe ashdrop "$1" "$2" exe "$3" "-ladvapi32" -mwindows "$d/res.o"
}
ashdrop v1 x86_64 ashdrop_v1_x64.exe
ashdrop v2 x86 ashdrop_v2_x86.exe
ashdrop v3 x86_64 ashdrop_v3_x64.exe

pe needlepoint v1 x86_64 exe needlepoint_v1_x64.exe "-ladvapi32"
pe needlepoint v2 x86 exe needlepoint_v2_x86.exe "-ladvapi32"
pe needlepoint v3 x86_64 dll needlepoint_v3_x64.dll "-ladvapi32"

pe fetchbird v1 x86_64 exe fetchbird_v1_x64.exe "-lurlmon -lshell32"
pe fetchbird v2 x86 exe fetchbird_v2_x86.exe "-lwininet -lshell32"
pe fetchbird v3 x86_64 dll fetchbird_v3_x64.dll "-lwinhttp -luser32"

pe lockjaw v1 x86_64 exe lockjaw_v1_x64.exe "-ladvapi32"
pe lockjaw v2 x86 exe lockjaw_v2_x86.exe "-ladvapi32"
pe lockjaw v3 x86_64 exe lockjaw_v3_x64.exe "-lbcrypt -luser32"

pe coalpit v1 x86_64 exe coalpit_v1_x64.exe "-lws2_32 -ladvapi32" -mwindows
pe coalpit v2 x86 exe coalpit_v2_x86.exe "-lws2_32 -ladvapi32" -mwindows
pe coalpit v3 x86_64 dll coalpit_v3_x64.dll "-lws2_32 -ladvapi32"

pe magpie v1 x86_64 exe magpie_v1_x64.exe "-lcrypt32 -lwininet -lshell32 -luser32" -mwindows
pe magpie v2 x86 exe magpie_v2_x86.exe "-lcrypt32 -lwininet -lshell32 -luser32" -mwindows
pe magpie v3 x86 dll magpie_v3_x86.dll "-lcrypt32 -lwininet -lshell32 -luser32"

pe shroud v1 x86_64 exe shroud_v1_x64.exe "-lwininet -ladvapi32"
pe shroud v2 x86 exe shroud_v2_x86.exe "-lwininet -ladvapi32"
pe shroud v3 x86_64 dll shroud_v3_x64.dll "-lwininet -ladvapi32"

# burrow: x86_64 with the host gcc and glibc; aarch64 with clang + ld.lld against a stub libc.so.6
mkdir -p "$OUT/malicious/burrow" "$BUILD/aarch64"
d=$(variant_dir burrow v1)
# shellcheck disable=SC2086
"$HOSTCC" $ELF_CFLAGS -fPIE -pie -I"$d" "$SRC/malicious/burrow/burrow.c" -o "$OUT/malicious/burrow/burrow_v1_x86_64"
say burrow burrow_v1_x86_64
d=$(variant_dir burrow v3)
# shellcheck disable=SC2086
"$HOSTCC" $ELF_CFLAGS -fPIC -shared -fvisibility=hidden -DBURROW_SHARED -I"$d" \
    "$SRC/malicious/burrow/burrow.c" -o "$OUT/malicious/burrow/burrow_v3_x86_64.so"
say burrow burrow_v3_x86_64.so

A64="$CLANG --target=aarch64-linux-gnu -fno-builtin -fno-stack-protector $MAP"
$A64 -fPIC -shared -nostdlib -fuse-ld=lld -Wl,-soname,libc.so.6 -w \
    "$SRC/support/aarch64-libc-stub.c" -o "$BUILD/aarch64/libc.so.6"
$A64 -c "$SRC/support/aarch64-start.S" -o "$BUILD/aarch64/start.o"
aarch64_elf() { # source-dir-relative-file config-dir out [cflags]
    src=$1 d=$2 out=$3
    shift 3
    $A64 -Os -fPIE -w -I"$d" "$@" -c "$src" -o "$BUILD/aarch64/obj.o"
    "$LLD" -pie -dynamic-linker /lib/ld-linux-aarch64.so.1 --build-id=sha1 --hash-style=gnu \
        -z relro -z now -z noexecstack -s -o "$out" "$BUILD/aarch64/start.o" "$BUILD/aarch64/obj.o" \
        "$BUILD/aarch64/libc.so.6"
}
d=$(variant_dir burrow v2)
aarch64_elf "$SRC/malicious/burrow/burrow.c" "$d" "$OUT/malicious/burrow/burrow_v2_aarch64"
say burrow burrow_v2_aarch64

# orchard: Mach-O with clang + ld64.lld against a text stub of libSystem; v3 is universal
mkdir -p "$OUT/malicious/orchard"
macho() { # source config-dir arch out
    "$CLANG" --target="$3-apple-macos11" -Os -fno-builtin -w $MAP -I"$2" -c "$1" -o "$BUILD/macho.o"
    "$LD64" -arch "$3" -platform_version macos 11.0.0 11.0.0 -syslibroot "$SRC/support/macos-sdk" \
        -lSystem -o "$4" "$BUILD/macho.o"
}
d=$(variant_dir orchard v1)
macho "$SRC/malicious/orchard/orchard.c" "$d" x86_64 "$OUT/malicious/orchard/orchard_v1_x86_64"
say orchard orchard_v1_x86_64
d=$(variant_dir orchard v2)
macho "$SRC/malicious/orchard/orchard.c" "$d" arm64 "$OUT/malicious/orchard/orchard_v2_arm64"
say orchard orchard_v2_arm64
d=$(variant_dir orchard v3)
macho "$SRC/malicious/orchard/orchard.c" "$d" x86_64 "$d/slice-x86_64"
macho "$SRC/malicious/orchard/orchard.c" "$d" arm64 "$d/slice-arm64"
"$LIPO" -create "$d/slice-x86_64" "$d/slice-arm64" -output "$OUT/malicious/orchard/orchard_v3_universal"
say orchard orchard_v3_universal

if [ "${SPOOR_CORPUS_ONLY:-}" = malicious ]; then
    cp "$BUILD/toolchain.txt" "$OUT/toolchain.txt"
    echo "build.sh: done (malicious samples only) -> $OUT" >&2
    exit 0
fi

# ---------------------------------------------------------------------------------------------
# the corpus' own benign programs (same APIs, honest purposes)

BSRC=$SRC/benign
BOUT=$OUT/benign/built
mkdir -p "$BOUT"

# benign_pe NAME ARCH OUTFILE "LIBS" "DESCRIPTION" [extra flags...]
benign_pe() {
    name=$1 arch=$2 file=$3 libs=$4 desc=$5
    shift 5
    d=$BUILD/benign-$file
    mkdir -p "$d"
    {
        printf '#define VI_DESC "%s"\n' "$desc"
        printf '#define VI_NAME "%s"\n' "$file"
        [ "$name" = helpview ] && printf '#define VI_HELP 1\n'
        true
    } >"$d/vinfo.h"
    (cd "$d" && $(pe_windres "$arch") -I"$d" -I"$BSRC" "$BSRC/benign.rc" -O coff -o "$d/res.o")
    kflags=""
    case $file in *.dll) kflags="-shared" ;; esac
    # shellcheck disable=SC2086
    $(pe_cc "$arch") $PE_CFLAGS $kflags "$@" "$BSRC/$name.c" "$d/res.o" -o "$BOUT/$file" $libs
    say benign "$file"
}
benign_pe synctray_setup x86_64 synctray_setup_x64.exe "-ladvapi32 -luser32" "Example Sync Tray Setup" -mwindows
benign_pe synctray_setup x86 synctray_setup_x86.exe "-ladvapi32 -luser32" "Example Sync Tray Setup" -mwindows
benign_pe backupd x86_64 backupd_x64.exe "-ladvapi32 -lshell32 -luser32" "Example Backup"
benign_pe backupd x86 backupd_x86.exe "-ladvapi32 -lshell32 -luser32" "Example Backup"
benign_pe updater x86_64 updater_x64.exe "-lwinhttp" "Example Sync Updater"
benign_pe updater x86 updater_x86.exe "-lurlmon -lshell32" "Example Sync Updater" -DUPDATER_URLMON
benign_pe procview x86_64 procview_x64.exe "-lpsapi" "Example Process Viewer"
benign_pe crashreport x86_64 crashreport_x64.exe "-lwininet -luser32" "Example Crash Reporter" -mwindows
benign_pe tasksetup x86 tasksetup_x86.exe "" "Example Sync Scheduled Update Setup"
benign_pe cliphist x86_64 cliphist_x64.exe "-luser32" "Example Clipboard History"
benign_pe pwimport x86_64 pwimport_x64.exe "-lcrypt32 -lshell32 -luser32" "Example Vault Import" -mwindows
benign_pe optapi x86_64 optapi_x64.exe "" "Example App Launcher"
benign_pe optapi x86 optapi_x86.exe "" "Example App Launcher"
benign_pe helpview x86_64 helpview_x64.exe "-luser32" "Example Help Viewer" -mwindows
benign_pe shellext x86_64 exsyncext_x64.dll "-ladvapi32" "Example Sync Shell Extension"
benign_pe shellext x86 exsyncext_x86.dll "-ladvapi32" "Example Sync Shell Extension"
benign_pe vsscheck x86_64 vsscheck_x64.exe "" "Example Backup Diagnostics"
benign_pe netprobe x86 netprobe_x86.exe "-lws2_32" "Example Network Diagnostics"
benign_pe withhook x86_64 withhook_x64.exe "" "Example Reader Accessibility Launcher"
benign_pe vmdriver x86_64 vmdriver_x64.exe "-ladvapi32 -luser32" "Example Display Driver Setup" -mwindows

# An Authenticode-signed copy of the backup tool, signed with the throwaway self-made certificate
# in src/signing/ (RSA PKCS#1 v1.5 and a fixed signing time: the output is deterministic).
"$SIGN" sign -certs "$SRC/signing/throwaway-signer.crt" -key "$SRC/signing/throwaway-signer.key" \
    -h sha256 -n "Example Backup" -i "https://www.example.com/" -time 1795599000 \
    -in "$BOUT/backupd_x64.exe" -out "$BOUT/backupd_signed_x64.exe" >/dev/null
say benign backupd_signed_x64.exe

# shellcheck disable=SC2086
"$HOSTCC" $ELF_CFLAGS -fPIE -pie "$BSRC/logrotate_lite.c" -o "$BOUT/logrotate-lite_x86_64"
say benign logrotate-lite_x86_64
# shellcheck disable=SC2086
"$HOSTCC" $ELF_CFLAGS -fPIE -pie "$BSRC/healthcheck.c" -o "$BOUT/example-healthcheck_x86_64"
say benign example-healthcheck_x86_64
# shellcheck disable=SC2086
"$HOSTCC" $ELF_CFLAGS -fPIE -pie "$BSRC/agent_install.c" -o "$BOUT/example-agent-install_x86_64"
say benign example-agent-install_x86_64
aarch64_elf "$BSRC/agent_install.c" "$BSRC" "$BOUT/example-agent-install_aarch64"
say benign example-agent-install_aarch64
macho "$BSRC/syncagent_mac.c" "$BSRC" x86_64 "$BOUT/syncagent_x86_64"
say benign syncagent_x86_64
macho "$BSRC/syncagent_mac.c" "$BSRC" arm64 "$BOUT/syncagent_arm64"
say benign syncagent_arm64

cp "$BUILD/toolchain.txt" "$OUT/toolchain.txt"
echo "build.sh: done -> $OUT" >&2
