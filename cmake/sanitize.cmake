# The sanitizer builds (-DRELAYGUARD_SANITIZE=address,undefined or =thread; issue 17;
# tests/run_sanitizers.sh configures each in a build dir of its own with Debian's clang 14, which
# compiles this code about three times faster than gcc 12 with the same sanitizers; gcc works too).
# Every object of the project is compiled with the sanitizer, with frame pointers and line tables
# so reports have whole stacks with FILE:LINE; a UBSan report aborts (-fno-sanitize-recover), so a
# ctest run cannot pass over one. ASan+UBSan builds at -O0 (the unit tests are short; -O0 halves
# the compile), TSan at -O1 (at -O0 it slows the threads it watches too much). The normal build is
# unchanged: this file is included only when the option is set.
# Only the unit test executables are meant to be built (the `unit_tests` target, or single test
# targets), with what they link and the programs they run.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  set(rg_sanitize_debug -gline-tables-only)
elseif(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  set(rg_sanitize_debug -g1)
else()
  message(FATAL_ERROR "RELAYGUARD_SANITIZE is made for Debian's clang 14 or gcc 12 (their "
                      "ASan, UBSan and TSan runtimes): the compiler is ${CMAKE_CXX_COMPILER_ID}")
endif()
if(RELAYGUARD_SANITIZE STREQUAL "address,undefined")
  set(rg_sanitize_flags -O0 -fsanitize=address,undefined -fno-sanitize-recover=undefined)
  set(rg_sanitize_link -fsanitize=address,undefined)
elseif(RELAYGUARD_SANITIZE STREQUAL "thread")
  set(rg_sanitize_flags -O1 -fsanitize=thread)
  set(rg_sanitize_link -fsanitize=thread)
else()
  message(FATAL_ERROR "RELAYGUARD_SANITIZE is \"${RELAYGUARD_SANITIZE}\": it takes "
                      "\"address,undefined\" or \"thread\"")
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  # clang warns of aggregates initialized without their trailing fields, which gcc's -Wextra
  # accepts (tests write {"", {"mx1"}, {}}); the gcc build keeps the project's warnings.
  list(APPEND rg_sanitize_flags -Wno-missing-field-initializers)
endif()
# After the build type's flags on the command line, so these -O and -g win over RelWithDebInfo's.
add_compile_options(-fno-omit-frame-pointer ${rg_sanitize_debug} ${rg_sanitize_flags})
add_link_options(${rg_sanitize_link})
message(STATUS "relayguard: sanitizer build (-fsanitize=${RELAYGUARD_SANITIZE}, "
               "${CMAKE_CXX_COMPILER_ID})")
