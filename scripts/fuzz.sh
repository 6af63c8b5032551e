#!/usr/bin/env bash
# `make fuzz`: runs every fuzz target for FUZZ_SECONDS (default 600) and
# prints, per target, the executions, the corpus size and any crash. New
# interesting inputs go to target/fuzz-corpus/<target>; the committed seeds
# in tests/fuzz/corpus/<target> are read, not written. Crashes are saved
# under tests/fuzz/artifacts/<target>/ and make the run fail at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-600}"
targets="${FUZZ_TARGETS:-signaling_protocol peer_protocol safe_path rtp}"

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

crashed=()
for target in $targets; do
  scratch="target/fuzz-corpus/$target"
  log="target/fuzz-$target.log"
  mkdir -p "$scratch"
  (cd tests/fuzz && cargo +nightly fuzz run -O --fuzz-dir . "$target" \
      "../../$scratch" "corpus/$target" -- \
      -max_total_time="$seconds" -print_final_stats=1) >"$log" 2>&1
  status=$?
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  corpus=$(find "$scratch" "tests/fuzz/corpus/$target" -type f | wc -l)
  if [ "$status" -eq 0 ]; then
    echo "$target: ${runs:-?} executions in ${seconds}s, corpus $corpus inputs, no crash"
  else
    crashed+=("$target")
    echo "$target: CRASH after ${runs:-?} executions (exit $status); see $log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|thread .* panicked)' "$log" | head -5
  fi
done
if [ "${#crashed[@]}" -gt 0 ]; then
  echo "crashed: ${crashed[*]}; the inputs are in tests/fuzz/artifacts/"
  exit 1
fi
