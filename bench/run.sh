#!/usr/bin/env bash
# Builds what the benchmark needs and runs it (bench/bench.mjs); see bench/README.md.
#
#   bench/run.sh [--figures 1,2,3,4,5,6,7] [--reps 5] [--duration 5] [--conns 1,16,64,256]
#                [--streams 1,100,1000] [--tokens 128] [--soak-requests 10000] [--soak-idle 60]
#                [--slow-headers 1000] [--slow-bodies 100] [--slow-interval-ms 2000]
#                [--router-log-level warn]
#
# Environment: BENCH_BUILD (default build/bench: a Release build of the router and worker),
# BENCH_JOBS (parallel compile jobs, default all cores), LLAMA_SERVER (use this llama-server
# instead of building one into build/llama-server).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

build=$(realpath -m "${BENCH_BUILD:-build/bench}")
jobs=${BENCH_JOBS:-$(nproc)}
figures=1,2,3,4,5,6,7
args=("$@")
for ((i = 0; i < ${#args[@]}; ++i)); do
  [[ ${args[i]} == --figures ]] && figures=${args[i + 1]:-}
done
wants() { [[ ",$figures," == *",$1,"* ]]; }

scripts/setup.sh bench/apt-packages.txt  # adds nginx, haproxy and wrk

# Switchyard in Release, with the tiny model and the model generator.
echo "bench: building switchyard (Release) in $build" >&2
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSWITCHYARD_BUILD_TESTS=OFF >/dev/null
targets=(switchyard)
if wants 3 || wants 4 || wants 5; then
  targets+=(switchyard-worker switchyard-tiny-models switchyard-make-model)
fi
ninja -C "$build" -j "$jobs" "${targets[@]}" >&2

# Our upstream and SSE client: Boost headers only, no CMake needed.
tools="$build/bench-tools"
mkdir -p "$tools"
for tool in upstream sse_client; do
  out="$tools/bench_$tool"
  if [[ ! -x "$out" || bench/$tool.cpp -nt "$out" ]]; then
    echo "bench: compiling bench/$tool.cpp" >&2
    g++ -std=c++20 -O2 -Wall -Wextra -DBOOST_ASIO_NO_DEPRECATED "bench/$tool.cpp" -o "$out" -pthread
  fi
done

extra=()
if wants 5; then
  # A random-weight LLaMA of about 56M parameters: big enough that compute dominates.
  model="$build/models/bench-56m.gguf"
  if [[ ! -f "$model" ]]; then
    echo "bench: generating $model" >&2
    make_model=
    for candidate in "$build/bin/switchyard-make-model" "$build/worker/tools/switchyard-make-model"; do
      [[ -x "$candidate" ]] && { make_model=$candidate; break; }
    done
    "$make_model" \
      --vocab "$build/_deps/llama.cpp/models/ggml-vocab-llama-spm.gguf" --out "$model" \
      --n-embd 512 --n-layer 8 --n-ff 1408 --n-head 8 --n-head-kv 8 --ctx 2048 --seed 42
  fi
  extra+=(--bench-model "$model")

  # llama-server from the same pinned llama.cpp source the worker uses, cached in build/.
  server=${LLAMA_SERVER:-}
  if [[ -z "$server" ]]; then
    server_build="$root/build/llama-server"
    server="$server_build/bin/llama-server"
    if [[ ! -x "$server" ]]; then
      echo "bench: building llama-server in $server_build (a few minutes)" >&2
      cmake -S "$build/_deps/llama.cpp" -B "$server_build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON \
        -DLLAMA_BUILD_COMMON=ON -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_TESTS=OFF \
        -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_CURL=OFF >/dev/null
      ninja -C "$server_build" -j "$jobs" llama-server >&2
    fi
  fi
  extra+=(--llama-server "$server")
fi

# 1000 streams through a proxy are 2000+ sockets per process.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
SWITCHYARD_BENCH_VIA_RUN_SH=1 exec node bench/bench.mjs --build "$build" "${extra[@]}" "$@"
