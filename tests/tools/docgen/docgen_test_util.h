// What the docgen tests share: running a program (no shell), reading a file, and a man page's
// text without roff's escapes and font changes.
#ifndef RELAYGUARD_TESTS_TOOLS_DOCGEN_DOCGEN_TEST_UTIL_H_
#define RELAYGUARD_TESTS_TOOLS_DOCGEN_DOCGEN_TEST_UTIL_H_

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "agent/os/process_runner.h"

namespace relayguard::docgen {

inline agent::ProcessResult RunProgram(std::vector<std::string> argv) {
  agent::RealProcessRunner runner;
  agent::Command command;
  command.argv = std::move(argv);
  absl::StatusOr<agent::ProcessResult> result = runner.Run(command);
  if (!result.ok()) {
    agent::ProcessResult failed;
    failed.stderr_text = std::string(result.status().message());
    return failed;
  }
  return *result;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "\fB\-\-label\fR KEY=VALUE" -> "--label KEY=VALUE".
inline std::string PlainRoff(std::string text) {
  text = std::regex_replace(text, std::regex(R"(\\f[BIRP])"), "");
  text = std::regex_replace(text, std::regex(R"(\\-)"), "-");
  text = std::regex_replace(text, std::regex(R"(\\e)"), "\\");
  text = std::regex_replace(text, std::regex(R"(\\&)"), "");
  text = std::regex_replace(text, std::regex(R"(\\ )"), " ");
  text = std::regex_replace(text, std::regex(R"(\\\(dq)"), "\"");
  return text;
}

inline const std::string kDocsDir = std::string(RG_BINARY_DIR) + "/docs";

}  // namespace relayguard::docgen

#endif  // RELAYGUARD_TESTS_TOOLS_DOCGEN_DOCGEN_TEST_UTIL_H_
