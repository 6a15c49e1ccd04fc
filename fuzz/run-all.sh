#!/usr/bin/env bash
# Runs every fuzz target for SECONDS seconds each (no sanitizer: the crate is
# `forbid(unsafe_code)`, and `-s none` works on the stable toolchain) and
# fails on the first crash. Prints each target's executions and corpus size.
#
#   fuzz/run-all.sh 300      # the acceptance run: five minutes per target
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz@0.13.2
targets=$(cargo fuzz list)
for target in $targets; do
  mkdir -p "fuzz/corpus/$target"
  dict=()
  case "$target" in
    parse_json_policy|roundtrip|lint) dict=(-dict=fuzz/dict/json-policy.dict) ;;
    parse_dsl_policy) dict=(-dict=fuzz/dict/dsl-policy.dict) ;;
  esac
  log=$(mktemp)
  if ! cargo fuzz run -s none "$target" -- -max_total_time="$seconds" -print_final_stats=1 "${dict[@]}" >"$log" 2>&1; then
    cat "$log"
    echo "fuzz: $target crashed (see fuzz/artifacts/$target/)" >&2
    exit 1
  fi
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')
  corpus=$(find "fuzz/corpus/$target" -type f | wc -l)
  echo "fuzz: $target ok: $runs executions in ${seconds}s, corpus $corpus files"
  rm -f "$log"
done
