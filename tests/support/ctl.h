// Test support: relayguardctl (the real binary from the build) against a controller on
// 127.0.0.1:PORT in plaintext (--insecure), as the integration tests drive it.
#ifndef RELAYGUARD_TESTS_SUPPORT_CTL_H_
#define RELAYGUARD_TESTS_SUPPORT_CTL_H_

#include <string>
#include <vector>

#include "tests/support/postfix_lab.h"

namespace relayguard::testing {

// Runs `relayguardctl --controller 127.0.0.1:PORT --insecure ARGS...`; its stdout and stderr,
// and its exit code in *rc when given.
inline std::string RunCtl(int port, const std::vector<std::string>& args, int* rc = nullptr) {
  std::vector<std::string> argv = {std::string(RG_BINARY_DIR) + "/controller/relayguardctl",
                                   "--controller", "127.0.0.1:" + std::to_string(port),
                                   "--insecure"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out;
  const int code = RunCommand(argv, &out);
  if (rc) *rc = code;
  return out;
}

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_SUPPORT_CTL_H_
