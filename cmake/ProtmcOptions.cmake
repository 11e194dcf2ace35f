# Project-wide compile settings applied to protmc's own targets only (not to
# third-party headers, which are included as SYSTEM by their imported targets).

add_library(protmc_options INTERFACE)
target_compile_features(protmc_options INTERFACE cxx_std_20)
target_compile_options(protmc_options INTERFACE -Wall -Wextra -Werror)
target_include_directories(protmc_options INTERFACE ${PROJECT_SOURCE_DIR})

# A fuzzing build: clang's coverage instrumentation for libFuzzer everywhere
# (fuzz targets link libFuzzer itself), under ASan and UBSan by default.
if(PROTMC_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PROTMC_FUZZ=ON needs clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(NOT PROTMC_SANITIZE)
    set(PROTMC_SANITIZE "address,undefined")
  endif()
  target_compile_options(protmc_options INTERFACE -fsanitize=fuzzer-no-link)
endif()

if(PROTMC_SANITIZE)
  target_compile_options(protmc_options INTERFACE -fsanitize=${PROTMC_SANITIZE} -fno-omit-frame-pointer
                                                  -fno-sanitize-recover=all)
  target_link_options(protmc_options INTERFACE -fsanitize=${PROTMC_SANITIZE})
  # -O1 (after the build type's -O3, so it wins): a sanitizer build compiles
  # much faster and still runs the suite quickly, with usable stack traces.
  target_compile_options(protmc_options INTERFACE -O1)
  # GCC 12's flow analysis gives false -Wmaybe-uninitialized warnings on
  # ASan-instrumented code (std::regex, std::function); not a sanitizer suppression.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(protmc_options INTERFACE -Wno-maybe-uninitialized)
  endif()
  # Tell the fiber runtime to annotate stack switches for AddressSanitizer.
  if(PROTMC_SANITIZE MATCHES "address")
    target_compile_definitions(protmc_options INTERFACE PROTMC_ASAN_FIBERS=1)
  endif()
endif()
