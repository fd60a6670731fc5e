// Test support for the Sendmail editor tests: the fixture directory and reading a file whole.
#ifndef RELAYGUARD_TESTS_AGENT_MTA_SENDMAIL_SENDMAIL_TEST_FILES_H_
#define RELAYGUARD_TESTS_AGENT_MTA_SENDMAIL_SENDMAIL_TEST_FILES_H_

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace relayguard::agent::sendmail::testing {

inline const std::string kDataDir = std::string(RG_SOURCE_DIR) + "/tests/data/sendmail";

// The whole file; a failed expectation (and "") when it cannot be read.
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace relayguard::agent::sendmail::testing

#endif  // RELAYGUARD_TESTS_AGENT_MTA_SENDMAIL_SENDMAIL_TEST_FILES_H_
