#!/usr/bin/env bash
# Builds target/release/spoor with profile-guided optimisation (PGO), then checks that it
# writes the same output as the plain release build.
#
#   bash benches/pgo-build.sh
#
# Steps: the plain release build (kept as target/pgo/spoor-plain); the `extract` bench's
# mixed log, generated (`-- --generate-only`); the spoor crates built again instrumented
# (`-Cprofile-generate`, through benches/pgo-rustc.sh: the dependencies keep their
# artifacts, so each of the two builds compiles spoor alone); the training runs; the
# profile merged by llvm-profdata; the spoor crates built with it (`-Cprofile-use`); and
# the check: `extract` (three formats), `triage` and `events` of both binaries compared
# byte for byte.
#
# Training data, all of it from this repository: corpus/ and tests/cases/ (every file
# through `extract`, the samples through `triage`, the logs through `events`) and the
# mixed log. The high-cardinality log of `cargo bench --bench extract_cardinality` is not
# in it, so that bench measures the binary on a file it was not trained on.
#
# Needs llvm-profdata able to read the raw profiles of rustc's LLVM: rustup's
# `llvm-tools` component, or a packaged LLVM (Debian 12: `apt-get install llvm-19` reads
# the profiles of rustc 1.95's LLVM 22). Set LLVM_PROFDATA to choose one.
#
# target/release/spoor stays the optimised build until the spoor sources change (cargo
# then builds them plainly again) or `cargo clean -p spoor --release`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=${CARGO_TARGET_DIR:-target}
case $target in /*) ;; *) target=$root/$target ;; esac
work=$target/pgo
bin=$target/release/spoor
log() { printf '\n== pgo: %s\n' "$*"; }

# llvm-profdata candidates, most likely to match rustc's LLVM first
candidates=()
[ -n "${LLVM_PROFDATA:-}" ] && candidates+=("$LLVM_PROFDATA")
host=$(rustc -vV | sed -n 's/^host: //p')
candidates+=("$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata")
for p in $(ls -d /usr/lib/llvm-*/bin/llvm-profdata 2>/dev/null | sort -t- -k2 -rn); do
  candidates+=("$p")
done
command -v llvm-profdata >/dev/null 2>&1 && candidates+=("$(command -v llvm-profdata)")
found=0
for p in "${candidates[@]}"; do [ -x "$p" ] && found=1; done
if [ $found = 0 ]; then
  echo "pgo: no llvm-profdata found; install rustup's llvm-tools component or a packaged LLVM (Debian 12: llvm-19), or set LLVM_PROFDATA" >&2
  exit 2
fi

rm -rf "$work"
mkdir -p "$work/raw" "$work/out"

log "plain release build"
cargo build --release --locked --bin spoor
cp "$bin" "$work/spoor-plain"

log "training log: the extract bench's mixed log"
mixed=$(cargo bench --locked --bench extract -- --generate-only | tail -n 1)
[ -f "$mixed" ] || { echo "pgo: the extract bench wrote no log ($mixed)" >&2; exit 1; }

build_spoor() {
  cargo clean --release -p spoor
  RUSTC_WRAPPER="$root/benches/pgo-rustc.sh" SPOOR_PGO_FLAGS="$1" \
    cargo build --release --locked --bin spoor
}

log "instrumented build"
build_spoor "-Cprofile-generate=$work/raw"

mapfile -t files < <(find corpus tests/cases -type f | sort)
mapfile -t samples < <(find corpus/malicious corpus/benign -type f | sort)
# One run of each kind of work spoor does on a large input and on many small ones. The
# exit status is not asked: some inputs are broken on purpose.
train() {
  local b=$1 out=$2
  for fmt in ndjson json text; do
    "$b" extract -j 1 -f "$fmt" -o "$out/files.$fmt" "${files[@]}" >/dev/null 2>&1 || true
    "$b" extract -j 1 -f "$fmt" -o "$out/mixed.$fmt" "$mixed" >/dev/null 2>&1 || true
  done
  "$b" extract -j 1 -f ndjson --memory-limit 4M -o "$out/mixed-spilled.ndjson" "$mixed" \
    >/dev/null 2>&1 || true
  "$b" triage --color never "${samples[@]}" >"$out/triage.txt" 2>&1 || true
  for d in corpus/logs/*/; do
    "$b" events -f json "$d"* >"$out/events-$(basename "$d").json" 2>&1 || true
  done
}
log "training runs"
train "$bin" "$work/out"

log "merging the profile"
merged=
for p in "${candidates[@]}"; do
  [ -x "$p" ] || continue
  if "$p" merge -o "$work/spoor.profdata" "$work"/raw/*.profraw 2>"$work/merge.err"; then
    merged=$p
    break
  fi
  echo "pgo: $p cannot read these profiles: $(head -n 1 "$work/merge.err")" >&2
done
[ -n "$merged" ] || { echo "pgo: no llvm-profdata could merge the profiles" >&2; exit 1; }
echo "merged by $merged"

log "optimised build"
build_spoor "-Cprofile-use=$work/spoor.profdata"

log "same output as the plain build"
mkdir -p "$work/plain" "$work/pgo"
train "$work/spoor-plain" "$work/plain"
train "$bin" "$work/pgo"
if ! diff -r "$work/plain" "$work/pgo" >/dev/null; then
  diff -r "$work/plain" "$work/pgo" | head -n 20
  echo "pgo: the optimised build's output differs from the plain build's" >&2
  exit 1
fi
rm -rf "$work/raw" "$work/out" "$work/plain" "$work/pgo"
echo "target/release/spoor is built with profile-guided optimisation (same output as the plain build on $(( ${#files[@]} + 1 )) inputs)"
