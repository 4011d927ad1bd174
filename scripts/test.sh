#!/usr/bin/env bash
# Builds and runs the whole test suite: the release build with every engine, the end-to-end
# suite (the OpenAI Node SDK against that build), the router and its tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer, then a minute of fuzzing of the request path.
#
#   scripts/test.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

scripts/setup.sh

echo "== release build and tests" >&2
cmake --preset release >/dev/null
cmake --build --preset release
ctest --preset release

echo "== end-to-end tests with the official OpenAI SDK" >&2
tests/e2e/run.sh build/release

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build and tests (router)" >&2
cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan

echo "== fuzzing the request path (libFuzzer, clang, ASan + UBSan)" >&2
scripts/fuzz.sh
