// Test support: which lines an edit changed. Physical lines keep their endings, so a changed
// line ending shows up as a change; the diff is a longest common subsequence, like `diff`.
#ifndef RELAYGUARD_TESTS_SUPPORT_LINE_DIFF_H_
#define RELAYGUARD_TESTS_SUPPORT_LINE_DIFF_H_

#include <algorithm>
#include <string>
#include <vector>

namespace relayguard::testing {

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
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
  std::vector<std::string> removed;  // lines of `before` not kept, in order
  std::vector<std::string> added;    // lines of `after` that are new, in order
};

inline LineDiff Diff(const std::string& before, const std::string& after) {
  std::vector<std::string> a = Lines(before), b = Lines(after);
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

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_SUPPORT_LINE_DIFF_H_
