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

namespace relayguard::agent::exim::testing {

using Strings = std::vector<std::string>;

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

// Physical lines with their endings, so that a changed ending shows up as a change.
inline Strings Lines(const std::string& text) {
  Strings lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

struct LineDiff {
  Strings removed;  // lines of `before` not kept, in order
  Strings added;    // lines of `after` that are new, in order
};

// A line diff (longest common subsequence), like `diff` shows it.
inline LineDiff Diff(const std::string& before, const std::string& after) {
  Strings a = Lines(before), b = Lines(after);
  std::vector<std::vector<int>> lcs(a.size() + 1, std::vector<int>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;) {
    for (size_t j = b.size(); j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  LineDiff d;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      ++i, ++j;
    } else if (j < b.size() && (i == a.size() || lcs[i][j + 1] >= lcs[i + 1][j])) {
      d.added.push_back(b[j++]);
    } else {
      d.removed.push_back(a[i++]);
    }
  }
  return d;
}

}  // namespace relayguard::agent::exim::testing

#endif  // RELAYGUARD_TESTS_AGENT_MTA_EXIM_EXIM_TEST_FILES_H_
