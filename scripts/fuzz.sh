#!/bin/sh
# Builds the libFuzzer harnesses (tests/fuzz) with clang and runs each for
# SECONDS (default 60) from the seed corpus in tests/fuzz/corpus/<name>.
# A crash, leak, sanitizer report or timeout fails the run; the input that
# caused it is left in $BUILD/crash-*. Without clang, says so and skips.
#   scripts/fuzz.sh [SECONDS] [BUILD_DIR]
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${2:-build-fuzz}
src=$(pwd)
jobs=${JOBS:-1}
if ! command -v clang++ >/dev/null 2>&1 || ! command -v clang >/dev/null 2>&1; then
  echo "fuzz: SKIPPED: clang/clang++ not found (scripts/deps.sh installs clang)"
  exit 0
fi
if [ ! -f "$build/Makefile" ]; then
  cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DBERTH_FUZZ=ON -DBERTH_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
make -C "$build" -j"$jobs" --no-print-directory fuzzers
for name in config process state args json ttrpc; do
  # New inputs go to a scratch corpus, so the seeds in git stay as written.
  work="$build/corpus-$name"
  mkdir -p "$work"
  echo "fuzz: $name for ${seconds}s"
  (cd "$build" && ./tests/fuzz/fuzz_$name -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
     -max_len=65536 -print_final_stats=1 "corpus-$name" "$src/tests/fuzz/corpus/$name" 2>"fuzz-$name.log") || {
    tail -n 60 "$build/fuzz-$name.log"
    echo "fuzz: $name FAILED (log: $build/fuzz-$name.log)"
    exit 1
  }
  grep -E "stat::number_of_executed_units|stat::new_units_added" "$build/fuzz-$name.log" | tr '\n' ' '
  echo
done
echo "fuzz: all harnesses passed"
