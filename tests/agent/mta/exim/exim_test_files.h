// Shared by the Exim editor tests: reading fixtures (tests/data/exim) and Debian's unpacked
// exim4-config files (RELAYGUARD_MTA_ROOT, default /var/cache/relayguard/mta-root), and a line
// diff to assert exactly which lines an edit touched.
#ifndef RELAYGUARD_TESTS_AGENT_MTA_EXIM_EXIM_TEST_FILES_H_
#define RELAYGUARD_TESTS_AGENT_MTA_EXIM_EXIM_TEST_FILES_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/line_diff.h"

namespace relayguard::agent::exim::testing {

using Strings = std::vector<std::string>;
using ::relayguard::testing::Diff;
using ::relayguard::testing::LineDiff;
using ::relayguard::testing::Lines;

inline const std::string kDataDir = std::string(RG_SOURCE_DIR) + "/tests/data/exim";

inline std::string ReadFileOrFail(const std::string& path, const std::string& hint) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path << hint;
    return "";
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string ReadData(const std::string& name) {
  return ReadFileOrFail(kDataDir + "/" + name, "");
}

inline std::string MtaRoot() {
  const char* env = std::getenv("RELAYGUARD_MTA_ROOT");
  return env != nullptr && *env != '\0' ? env : "/var/cache/relayguard/mta-root";
}

// A file of Debian's exim4-config package, e.g. "etc/exim4/exim4.conf.template". Fails the
// test (never skips) when the package root is missing.
inline std::string ReadDebian(const std::string& relative) {
  return ReadFileOrFail(MtaRoot() + "/" + relative,
                        " — Debian's exim4 files are missing; run `bash deploy/lab/mta-root.sh "
                        "/var/cache/relayguard/mta-root` (or set RELAYGUARD_MTA_ROOT)");
}

// The conf.d files in the order update-exim4.conf(8) concatenates them for the split
// configuration: sections main, acl, router, transport, retry, rewrite, auth; files sorted by
// name within a section.
inline std::string DebianSplitConfig() {
  std::string out;
  for (const char* section : {"main", "acl", "router", "transport", "retry", "rewrite", "auth"}) {
    std::filesystem::path dir = std::filesystem::path(MtaRoot()) / "etc/exim4/conf.d" / section;
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      names.push_back(entry.path().filename().string());
    }
    if (ec) {
      ADD_FAILURE() << "cannot list " << dir << " — run `bash deploy/lab/mta-root.sh "
                    << "/var/cache/relayguard/mta-root`";
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      std::string text = ReadDebian("etc/exim4/conf.d/" + std::string(section) + "/" + name);
      out += "### " + std::string(section) + "/" + name + "\n" + text;
      if (!text.empty() && text.back() != '\n') out += "\n";
    }
  }
  return out;
}

}  // namespace relayguard::agent::exim::testing

#endif  // RELAYGUARD_TESTS_AGENT_MTA_EXIM_EXIM_TEST_FILES_H_
