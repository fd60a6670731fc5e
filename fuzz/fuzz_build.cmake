# The fuzz build (-DRELAYGUARD_FUZZ=ON, clang only; fuzz/run_fuzz.sh configures it in a build
# dir of its own): every object with libFuzzer's coverage, AddressSanitizer and
# UndefinedBehaviorSanitizer (a UB report aborts, so libFuzzer keeps the input). The project's
# libraries are defined as usual but built only when a fuzz target links them: no gRPC, no
# controller, no tests (proto/ generates the messages alone, linked with libprotobuf).
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "RELAYGUARD_FUZZ needs clang (CXX=clang++, Debian's clang 14 and "
                      "libclang-rt-14-dev): the compiler is ${CMAKE_CXX_COMPILER_ID}")
endif()
add_compile_options(-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all
                    -fno-omit-frame-pointer -gline-tables-only -O1)
add_link_options(-fsanitize=address,undefined)

add_subdirectory(proto EXCLUDE_FROM_ALL)
add_subdirectory(common EXCLUDE_FROM_ALL)
add_subdirectory(agent EXCLUDE_FROM_ALL)
add_subdirectory(fuzz)
