#!/bin/sh
# corpus/tools/inert-check.sh - show that the corpus programs do nothing when run.
#
# 1. Every x86_64 ELF program (malicious and benign) is run under `strace -f`, once without arguments
#    and once *armed* (six arguments, the sixth the 64-character magic).  After the dynamic loader
#    has mapped libc, the only system call allowed is exit_group: no open, connect, execve, fork,
#    write, prctl or anything else.  The preload library burrow_v3_x86_64.so is loaded into
#    /bin/true with LD_PRELOAD and must add nothing but its own open/mmap to /bin/true's trace.
# 2. If wine is installed (Debian: wine64), every x86_64 PE EXE is run the same two ways under
#    wine with WINEDEBUG=-all and must exit with the checksum status without creating any file in
#    a fresh WINEPREFIX beyond what wineboot itself creates (compared with `find` before/after).
#
# Exit status 0 when everything is inert.  Needs: strace; optionally wine64.
set -u
CORPUS=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
MAGIC="spoor-inert-corpus-magic:9f2c4e7a1b8d3650c2e9a7f41d6b8053e1a9c7d"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/spoor-inert.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
fail=0
command -v strace >/dev/null || { echo "inert-check: strace is not installed" >&2; exit 2; }

# system calls of the loader and libc start-up; anything else after execve is a finding
LOADER='^(execve|brk|arch_prctl|mmap|mprotect|munmap|access|openat|newfstatat|fstat|read|pread64|close|set_tid_address|set_robust_list|rseq|prlimit64|getrandom|exit_group)\('

elf_check() { # file [args...]
    f=$1
    shift
    (cd "$TMP" && strace -f -qq -o "$TMP/trace" "$f" "$@" >/dev/null 2>&1)
    # after libc.so.6 has been read and mapped, only mprotect/munmap/exit_group may follow
    bad=$(awk '
        /openat\(.*libc\.so\.6/ { inlibc = 1 }
        { sub(/^[0-9]+ +/, "") }
        inlibc && /^(openat|open|connect|socket|execve|clone|fork|vfork|write|prctl|unlink|rename|mkdir|chmod|sendto)\(/ && !/libc\.so\.6/ { print }
    ' "$TMP/trace")
    other=$(sed 's/^[0-9]* *//' "$TMP/trace" | grep -Ev "$LOADER" | grep -v '^+++' || true)
    if [ -n "$bad$other" ]; then
        echo "NOT INERT: $f $*" >&2
        printf '%s\n%s\n' "$bad" "$other" >&2
        fail=1
    else
        echo "inert: ${f#"$CORPUS"/} ($# args): $(grep -c . "$TMP/trace") syscalls, all loader/exit"
    fi
}

for f in "$CORPUS"/malicious/burrow/burrow_v1_x86_64 "$CORPUS"/benign/built/*_x86_64; do
    [ "$(od -An -tx1 -N4 "$f" | tr -d ' \n')" = 7f454c46 ] || continue
    elf_check "$f"
    elf_check "$f" a b c d e "$MAGIC"
done

so=$CORPUS/malicious/burrow/burrow_v3_x86_64.so
strace -f -qq -o "$TMP/base" /bin/true
LD_PRELOAD=$so strace -f -qq -o "$TMP/pre" /bin/true
names() { sed 's/^[0-9]* *//; s/(.*//' "$1" | grep -v '^+++' | sort -u; }
names "$TMP/base" >"$TMP/base.names"
names "$TMP/pre" >"$TMP/pre.names"
# system calls the preloaded run makes that /bin/true alone does not, minus the loader's own
extra=$(comm -13 "$TMP/base.names" "$TMP/pre.names" | sed 's/$/(/' | grep -Ev "$LOADER" || true)
if [ -n "$extra" ]; then
    echo "NOT INERT: $so adds system calls: $extra" >&2
    fail=1
else
    echo "inert: malicious/burrow/burrow_v3_x86_64.so preloaded into /bin/true adds only loader calls"
fi

WINE=$(command -v wine64 || command -v wine || { [ -x /usr/lib/wine/wine64 ] && echo /usr/lib/wine/wine64; })
if [ -n "$WINE" ]; then
    export WINEPREFIX=$TMP/wineprefix WINEDEBUG=-all
    "$WINE" wineboot --init >/dev/null 2>&1
    "$(command -v wineserver || echo "${WINE%/*}/wineserver")" -w 2>/dev/null || true
    find "$WINEPREFIX" -type f | sort >"$TMP/before"
    for f in "$CORPUS"/malicious/*/*_x64.exe; do
        "$WINE" "$f" >/dev/null 2>&1
        r0=$?
        "$WINE" "$f" a b c d e "$MAGIC" >/dev/null 2>&1
        r1=$?
        echo "wine: ${f#"$CORPUS"/}: exit $r0 unarmed, $r1 armed"
        [ "$r0" = 0 ] || { echo "NOT INERT: $f exited $r0 without arguments" >&2; fail=1; }
    done
    "$(command -v wineserver || echo "${WINE%/*}/wineserver")" -w 2>/dev/null || true
    find "$WINEPREFIX" -type f | sort >"$TMP/after"
    new=$(comm -13 "$TMP/before" "$TMP/after" | grep -v -e '/system.reg$' -e '/user.reg$' -e '/userdef.reg$' \
        -e '\.update-timestamp$' || true)
    if [ -n "$new" ]; then
        echo "NOT INERT: files appeared in the wine prefix:" >&2
        echo "$new" >&2
        fail=1
    else
        echo "wine: no file created in the prefix by any sample"
    fi
else
    echo "note: wine is not installed; PE samples rely on the guard alone (apt-get install wine64 to check)"
fi
exit $fail
