# The sanitizer builds (-DRELAYGUARD_SANITIZE=address,undefined or =thread, gcc; issue 17;
# tests/run_sanitizers.sh configures each in a build dir of its own). Every object of the project
# is compiled with the sanitizer, at -O1 with frame pointers so reports have whole stacks; a UBSan
# report aborts (-fno-sanitize-recover=undefined), so a ctest run cannot pass over one. The normal
# build is unchanged: this file is included only when the option is set.
# Only the unit test executables are meant to be built (the `unit_tests` target, or single test
# targets), with what they link and the programs they run.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  message(FATAL_ERROR "RELAYGUARD_SANITIZE is made for gcc (Debian's gcc 12 and its libasan, "
                      "libubsan, libtsan): the compiler is ${CMAKE_CXX_COMPILER_ID}")
endif()
set(rg_sanitize_flags -fno-omit-frame-pointer -O1 -g)
if(RELAYGUARD_SANITIZE STREQUAL "address,undefined")
  list(APPEND rg_sanitize_flags -fsanitize=address,undefined -fno-sanitize-recover=undefined)
  set(rg_sanitize_link -fsanitize=address,undefined)
elseif(RELAYGUARD_SANITIZE STREQUAL "thread")
  list(APPEND rg_sanitize_flags -fsanitize=thread)
  set(rg_sanitize_link -fsanitize=thread)
else()
  message(FATAL_ERROR "RELAYGUARD_SANITIZE is \"${RELAYGUARD_SANITIZE}\": it takes "
                      "\"address,undefined\" or \"thread\"")
endif()
# After the build type's flags on the command line, so -O1 wins over RelWithDebInfo's -O2.
add_compile_options(${rg_sanitize_flags})
add_link_options(${rg_sanitize_link})
message(STATUS "relayguard: sanitizer build (-fsanitize=${RELAYGUARD_SANITIZE})")
