// Test support: reading Prometheus text exposition (a sample's value) and checking it with the
// real promtool (Debian's prometheus package, installed by deploy/install_deps.sh).
#ifndef RELAYGUARD_TESTS_SUPPORT_PROMETHEUS_TEXT_H_
#define RELAYGUARD_TESTS_SUPPORT_PROMETHEUS_TEXT_H_

#include <unistd.h>

#include <optional>
#include <sstream>
#include <string>

#include "tests/support/postfix_lab.h"

namespace relayguard::testing {

// The value of the sample `series` (name and labels exactly as printed, labels sorted by name:
// `relayguard_agents{state="online"}`), or nullopt when the text has no such line.
inline std::optional<double> SampleValue(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

// `promtool check metrics` on `text`: "" when it passes (exit 0, no lint findings), else what
// it printed.
inline std::string PromtoolProblems(const std::string& text) {
  char path[] = "/tmp/relayguard-metrics-XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) return "cannot create a temporary file";
  ::close(fd);
  WriteFileOrDie(path, text);
  std::string out;
  const int rc = RunCommand(
      {"/bin/sh", "-c", std::string("exec /usr/bin/promtool check metrics < ") + path}, &out);
  ::unlink(path);
  if (rc == 0 && out.empty()) return "";
  return "promtool exit " + std::to_string(rc) + ": " + out;
}

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_SUPPORT_PROMETHEUS_TEXT_H_
