#!/usr/bin/env bash
# End-to-end tests: the official OpenAI Node SDK against a real switchyard that the tests start
# (config/models.yaml's models plus test models; see harness.mjs). Installs the pinned SDK from
# package-lock.json (npm ci, npm cache under build/) when node_modules does not match it, then
# runs node's test runner; its TAP output ends with "# pass N" and "# fail N".
#
#   tests/e2e/run.sh [BUILD_DIR]     BUILD_DIR holds bin/switchyard, bin/switchyard-worker and
#                                    models/ (default: build/release, or $SWITCHYARD_BUILD)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

build=$(realpath -m "${1:-${SWITCHYARD_BUILD:-$root/build/release}}")
export SWITCHYARD_BUILD="$build"

cd "$here"
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f node_modules/.switchyard-lock ]] || [[ $(<node_modules/.switchyard-lock) != "$lock_sum" ]]; then
  echo "e2e: npm ci" >&2
  npm_config_cache="$root/build/npm-cache" npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$lock_sum" >node_modules/.switchyard-lock
fi

exec node --test --test-reporter=tap switchyard.test.mjs
