#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the engines need, and only what is
# missing. Safe to run again; the run and test scripts call it first.
#
#   scripts/setup.sh [EXTRA_LIST...]   (EXTRA_LIST: more package lists, e.g. bench/apt-packages.txt)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl
  libboost1.81-dev libboost-filesystem1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libsystemd-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  nodejs npm
)
# Engines list their own packages beside this script.
for list in "$root"/scripts/apt-packages-*.txt "$@"; do
  [[ -f "$list" ]] || continue
  while read -r package _; do
    [[ -n "$package" && "$package" != \#* ]] && packages+=("$package")
  done < "$list"
done

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
for package in "${packages[@]}"; do
  # node and npm may come from elsewhere (nodesource, nvm): any working npm will do.
  if [[ "$package" == nodejs || "$package" == npm ]] && command -v npm >/dev/null; then continue; fi
  installed "$package" || missing+=("$package")
done

if ((${#missing[@]})); then
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  # Boost 1.81 conflicts with 1.74's -dev packages (libboost-all-dev is 1.74 and has no
  # Process v2); apt removes them when told to install 1.81.
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
