#!/bin/sh
# corpus/default-goodware-index.sh [SET] - rebuild data/goodware/default.idx.gz, the goodware index
# shipped inside spoor (gzip-compressed; spoor decompresses it when first used).
#
# SET is the real goodware set fetched by corpus/real-goodware.sh (default target/real-goodware).
# The index holds every string of corpus/benign (the whole corpus-only index), then the strings,
# imphashes and export names that at least SPOOR_GW_MIN_PACKAGES (default 2) packages of SET's
# train split share: what several unrelated packages hold is toolchain, runtime and library code,
# which is what a rule must not be made of; what one package alone holds is not needed to judge
# other programs, and keeping it would make the index many times larger. The validation and test
# splits are never read. The spoor binary is SPOOR (default: `cargo run --release --`); the date
# recorded is SPOOR_GW_DATE (default today).
set -eu
ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$ROOT"
SET=${1:-target/real-goodware}
MIN=${SPOOR_GW_MIN_PACKAGES:-2}
OUT=data/goodware/default.idx
if [ ! -d "$SET/train" ]; then
    echo "no train split under $SET: fetch it with sh corpus/real-goodware.sh $SET" >&2
    exit 2
fi
if [ -n "${SPOOR:-}" ]; then
    run() { "$SPOOR" "$@"; }
else
    run() { cargo run --quiet --release -- "$@"; }
fi
DATE=${SPOOR_GW_DATE:-$(date -u +%Y-%m-%d)}
# A relative path is recorded in the index header, never this machine's.
SET_REL=$(python3 -c 'import os, sys; print(os.path.relpath(sys.argv[1]))' "$SET/train")
tmp=$OUT.tmp
run goodware build corpus/benign -o "$tmp" --date "$DATE"
run goodware build "$SET_REL" --append --min-packages "$MIN" -o "$tmp" --date "$DATE"
run goodware info "$tmp"
# -n: no name or time stamp in the gzip header, so the same index gives the same bytes
gzip -9 -n -c "$tmp" >"$OUT.gz"
rm -f "$tmp"
