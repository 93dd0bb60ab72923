#!/usr/bin/env bash
# rustc wrapper for benches/pgo-build.sh: adds $SPOOR_PGO_FLAGS to the compilation of the
# spoor crates (library and binary) only, so that their dependencies (yara-x above all) keep
# the artifacts they have. Cargo calls it as `pgo-rustc.sh RUSTC ARGS...`.
rustc=$1
shift
prev=
for arg in "$@"; do
  if [ "$prev" = --crate-name ] && [ "$arg" = spoor ]; then
    # shellcheck disable=SC2086 # the flags are words
    exec "$rustc" "$@" $SPOOR_PGO_FLAGS
  fi
  prev=$arg
done
exec "$rustc" "$@"
