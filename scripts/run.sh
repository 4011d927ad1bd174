#!/usr/bin/env bash
# Builds everything (release) and runs the router on the shipped config/models.yaml, serving the
# models the build generates. Extra arguments go to switchyard (e.g. --log-level debug).
#
#   scripts/run.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release

export SWITCHYARD_MODELS="${SWITCHYARD_MODELS:-$root/build/release/models}"
exec build/release/bin/switchyard --config config/models.yaml "$@"
