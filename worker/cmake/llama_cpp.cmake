# llama.cpp (and, later, whisper.cpp and mtmd against the same ggml) from the npm bundle.
# scripts/fetch_llama.sh puts the source into the build tree once; later configures find it
# (a stamp file beside it) and skip the fetch. The source is never part of the repository.
set(SWITCHYARD_LLAMA_DIR "${PROJECT_BINARY_DIR}/_deps/llama.cpp" CACHE PATH
    "llama.cpp source tree (fetched from the node-llama-cpp npm bundle when absent)")

if(NOT EXISTS "${SWITCHYARD_LLAMA_DIR}/CMakeLists.txt" OR
   NOT EXISTS "${SWITCHYARD_LLAMA_DIR}.stamp")
  execute_process(
    COMMAND "${PROJECT_SOURCE_DIR}/scripts/fetch_llama.sh" "${SWITCHYARD_LLAMA_DIR}"
            "${PROJECT_BINARY_DIR}/_deps/npm-cache"
    RESULT_VARIABLE fetch_result)
  if(NOT fetch_result EQUAL 0)
    message(FATAL_ERROR "fetching llama.cpp failed (${fetch_result}); see scripts/fetch_llama.sh")
  endif()
endif()

# A static CPU build of the libraries only: as a subproject every LLAMA_BUILD_* option (tools,
# server, examples, tests, common) already defaults to OFF. The settings are function-local so
# they do not leak into our targets. LLAMA_BUILD_MTMD adds tools/mtmd on its own (the `mtmd`
# target: image and audio projectors, stb_image and miniaudio decoders) without the rest of
# tools/; whisper.cpp may follow (its CMake reuses this ggml via `if (NOT TARGET ggml)`).
function(switchyard_add_llama_cpp)
  set(BUILD_SHARED_LIBS OFF)
  set(LLAMA_USE_PREBUILT_UI OFF)  # otherwise a server build would download its web UI
  set(LLAMA_BUILD_COMMON OFF)
  set(LLAMA_BUILD_TOOLS OFF)
  set(LLAMA_BUILD_SERVER OFF)
  set(LLAMA_BUILD_EXAMPLES OFF)
  set(LLAMA_BUILD_TESTS OFF)
  set(LLAMA_BUILD_MTMD ON)
  set(LLAMA_SUBPROCESS OFF)  # also turns mtmd's video input (an ffmpeg child process) off
  add_subdirectory("${SWITCHYARD_LLAMA_DIR}" llama EXCLUDE_FROM_ALL SYSTEM)
endfunction()
switchyard_add_llama_cpp()

# The vocab-only GGUF files the tiny-model generator takes its tokenizers from.
set(SWITCHYARD_LLAMA_VOCAB_DIR "${SWITCHYARD_LLAMA_DIR}/models")
