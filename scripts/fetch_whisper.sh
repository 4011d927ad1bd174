#!/usr/bin/env bash
# Fetches whisper.cpp's source from the npm package nodejs-whisper (which ships whisper.cpp 1.9.1
# with its full CMake files under cpp/whisper.cpp) into DEST, e.g. ${build}/_deps/whisper.cpp.
#
#   scripts/fetch_whisper.sh DEST [NPM_CACHE_DIR]
#
# Idempotent: when DEST.stamp names the expected package, nothing is done. `npm pack` downloads
# the tarball without running any package script; the npm cache lives in the build tree. The
# version is pinned together with llama.cpp's (scripts/fetch_llama.sh): whisper.cpp compiles
# against llama.cpp's ggml, and a later ggml could break the pair.
set -euo pipefail

readonly kPackage="nodejs-whisper@0.3.1"
readonly kVersion="1.9.1"

dest=${1:?usage: fetch_whisper.sh DEST [NPM_CACHE_DIR]}
dest=$(realpath -m "$dest")
npm_cache=$(realpath -m "${2:-$(dirname "$dest")/npm-cache}")
stamp="$dest.stamp"  # beside the tree

if [[ -f "$stamp" && -f "$dest/CMakeLists.txt" ]] && grep -qx "package=$kPackage" "$stamp"; then
  exit 0
fi

mkdir -p "$(dirname "$dest")"
work=$(mktemp -d "$(dirname "$dest")/.fetch-whisper.XXXXXX")
trap 'rm -rf "$work"' EXIT

mkdir -p "$npm_cache"
echo "fetch_whisper: npm pack $kPackage" >&2
(cd "$work" && npm_config_cache="$npm_cache" npm pack --silent --ignore-scripts "$kPackage" \
  >/dev/null)
tar -xzf "$work"/nodejs-whisper-*.tgz -C "$work" package/cpp/whisper.cpp

src="$work/package/cpp/whisper.cpp"
version=$(sed -n 's/^project("whisper.cpp" VERSION \([0-9.]*\)).*/\1/p' "$src/CMakeLists.txt")
if [[ "$version" != "$kVersion" ]]; then
  echo "fetch_whisper: $kPackage ships whisper.cpp '$version', expected $kVersion" >&2
  exit 1
fi

rm -rf "$dest"
mv "$src" "$dest"
printf 'package=%s\nversion=%s\n' "$kPackage" "$version" >"$stamp"
echo "fetch_whisper: whisper.cpp $version in $dest" >&2
