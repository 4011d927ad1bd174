#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset: clang with AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs each for SECONDS (default 60, or $FUZZ_SECONDS) from the
# seeds in tests/fuzz/corpus. What it learns stays in build/fuzz/corpus-NAME for the next run.
# A crash, a leak or an input slower than 30 s fails the run and leaves that input in
# build/fuzz/; once fixed, add it to tests/fuzz/corpus, which the unit tests replay.
#
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
seconds=${1:-${FUZZ_SECONDS:-60}}

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
for target in request_fuzz; do
  learned="build/fuzz/corpus-${target%_fuzz}"
  mkdir -p "$learned"
  # max_len and timeout as Beast's own fuzzing of its parser.
  "build/fuzz/tests/fuzz/$target" -max_total_time="$seconds" -max_len=4000 -timeout=30 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=build/fuzz/ \
    "$learned" tests/fuzz/corpus
done
