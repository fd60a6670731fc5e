// FUZZ_CHECK: a property a fuzz target checks. When it does not hold, the input, what was
// expected and where go to stderr and the process aborts, so libFuzzer keeps the input as a
// crash (fuzz/run_fuzz.sh).
#ifndef RELAYGUARD_FUZZ_FUZZ_CHECK_H_
#define RELAYGUARD_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>

#define FUZZ_CHECK(condition, what)                                                     \
  do {                                                                                  \
    if (!(condition)) {                                                                 \
      std::fprintf(stderr, "%s:%d: property failed: %s\n  %s\n", __FILE__, __LINE__,   \
                   #condition, std::string(what).c_str());                               \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

#endif  // RELAYGUARD_FUZZ_FUZZ_CHECK_H_
