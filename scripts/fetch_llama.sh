#!/usr/bin/env bash
# Fetches llama.cpp's source from the npm package node-llama-cpp (the only source reachable on our
# build machines: npm and apt, no GitHub) into DEST, e.g. ${build}/_deps/llama.cpp.
#
#   scripts/fetch_llama.sh DEST [NPM_CACHE_DIR]
#
# Idempotent: when DEST.stamp names the expected package and tag, nothing is done.
# `npm pack` downloads the tarball without running any package script. The npm cache lives in
# the build tree (NPM_CACHE_DIR, default DEST/../npm-cache) so a fresh CI machine needs no
# ~/.npm. The source is never committed: DEST is inside the build tree.
set -euo pipefail

readonly kPackage="node-llama-cpp@3.22.1"

dest=${1:?usage: fetch_llama.sh DEST [NPM_CACHE_DIR]}
dest=$(realpath -m "$dest")
npm_cache=$(realpath -m "${2:-$(dirname "$dest")/npm-cache}")
stamp="$dest.stamp"  # beside the tree, so the checkout stays clean

if [[ -f "$stamp" && -f "$dest/CMakeLists.txt" ]] && grep -qx "package=$kPackage" "$stamp"; then
  exit 0
fi

mkdir -p "$(dirname "$dest")"
work=$(mktemp -d "$(dirname "$dest")/.fetch-llama.XXXXXX")
trap 'rm -rf "$work"' EXIT

mkdir -p "$npm_cache"
echo "fetch_llama: npm pack $kPackage" >&2
(cd "$work" && npm_config_cache="$npm_cache" npm pack --silent --ignore-scripts "$kPackage" \
  >/dev/null)
tar -xzf "$work"/node-llama-cpp-*.tgz -C "$work" package/llama/gitRelease.bundle \
  package/llama/llama.cpp.info.json

tag=$(sed -n 's/.*"tag"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' \
  "$work/package/llama/llama.cpp.info.json")
[[ -n "$tag" ]] || { echo "fetch_llama: no tag in llama.cpp.info.json" >&2; exit 1; }

rm -rf "$dest"
# The bundle holds one squashed commit (its HEAD) for release $tag; check out a tag of that name
# when the bundle carries one.
git -c advice.detachedHead=false clone --quiet "$work/package/llama/gitRelease.bundle" "$work/src"
if git -C "$work/src" rev-parse --quiet --verify "refs/tags/$tag" >/dev/null; then
  git -C "$work/src" -c advice.detachedHead=false checkout --quiet "$tag"
fi
mv "$work/src" "$dest"
printf 'package=%s\ntag=%s\n' "$kPackage" "$tag" >"$stamp"
echo "fetch_llama: llama.cpp $tag in $dest" >&2
