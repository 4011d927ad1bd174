# whisper.cpp 1.9.1 from the npm package nodejs-whisper@0.3.1 (scripts/fetch_whisper.sh), built
# after llama.cpp (llama_cpp.cmake) in the same tree so both use llama.cpp's ggml: whisper.cpp's
# CMake skips its own ggml when the target exists. Both versions are pinned in their fetch
# scripts; a later ggml could break the pair.
set(SWITCHYARD_WHISPER_DIR "${PROJECT_BINARY_DIR}/_deps/whisper.cpp" CACHE PATH
    "whisper.cpp source tree (fetched from the nodejs-whisper npm package when absent)")

if(NOT EXISTS "${SWITCHYARD_WHISPER_DIR}/CMakeLists.txt" OR
   NOT EXISTS "${SWITCHYARD_WHISPER_DIR}.stamp")
  execute_process(
    COMMAND "${PROJECT_SOURCE_DIR}/scripts/fetch_whisper.sh" "${SWITCHYARD_WHISPER_DIR}"
            "${PROJECT_BINARY_DIR}/_deps/npm-cache"
    RESULT_VARIABLE fetch_result)
  if(NOT fetch_result EQUAL 0)
    message(FATAL_ERROR "fetching whisper.cpp failed (${fetch_result}); see scripts/fetch_whisper.sh")
  endif()
endif()

if(NOT TARGET ggml)
  message(FATAL_ERROR "whisper_cpp.cmake must come after llama_cpp.cmake (it reuses its ggml)")
endif()

# The library only, static; settings are function-local.
function(switchyard_add_whisper_cpp)
  set(CMAKE_POLICY_DEFAULT_CMP0077 NEW)  # its option()s honour the variables set here
  set(BUILD_SHARED_LIBS OFF)
  set(WHISPER_BUILD_TESTS OFF)
  set(WHISPER_BUILD_EXAMPLES OFF)
  set(WHISPER_BUILD_SERVER OFF)
  set(WHISPER_ALL_WARNINGS OFF)
  set(WHISPER_CURL OFF)
  set(WHISPER_SDL2 OFF)
  add_subdirectory("${SWITCHYARD_WHISPER_DIR}" whisper EXCLUDE_FROM_ALL SYSTEM)
endfunction()
switchyard_add_whisper_cpp()
