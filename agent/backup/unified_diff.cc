// UnifiedDiff: a line-based diff (LCS on lines; config files are small) in unified format.
#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/backup/git_backup_store.h"

namespace relayguard::agent {
namespace {

struct Lines {
  std::vector<std::string> text;
  bool missing_final_newline = false;
};

Lines SplitLines(const std::string& s) {
  Lines out;
  size_t start = 0;
  while (start < s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) {
      out.text.push_back(s.substr(start));
      out.missing_final_newline = true;
      break;
    }
    out.text.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

enum class Op { kSame, kDel, kAdd };
struct Edit {
  Op op;
  size_t a;  // index in old (kSame, kDel)
  size_t b;  // index in new (kSame, kAdd)
};

std::vector<Edit> Diff(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  // Trim the common prefix and suffix, LCS on the rest.
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf]) {
    ++suf;
  }
  size_t n = a.size() - pre - suf, m = b.size() - pre - suf;
  std::vector<std::vector<uint32_t>> lcs(n + 1, std::vector<uint32_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      lcs[i][j] = a[pre + i] == b[pre + j] ? lcs[i + 1][j + 1] + 1
                                           : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::vector<Edit> edits;
  for (size_t k = 0; k < pre; ++k) edits.push_back({Op::kSame, k, k});
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[pre + i] == b[pre + j]) {
      edits.push_back({Op::kSame, pre + i++, pre + j++});
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      edits.push_back({Op::kDel, pre + i++, 0});
    } else {
      edits.push_back({Op::kAdd, 0, pre + j++});
    }
  }
  for (size_t k = 0; k < suf; ++k) {
    edits.push_back({Op::kSame, a.size() - suf + k, b.size() - suf + k});
  }
  return edits;
}

std::string Range(size_t start, size_t count) {
  if (count == 0) return absl::StrCat(start, ",0");
  if (count == 1) return absl::StrCat(start + 1);
  return absl::StrCat(start + 1, ",", count);
}

}  // namespace

std::string UnifiedDiff(const std::string& path, const std::string& old_text,
                        const std::string& new_text) {
  if (old_text == new_text) return "";
  Lines a = SplitLines(old_text), b = SplitLines(new_text);
  std::vector<Edit> edits = Diff(a.text, b.text);
  // A change of only the final newline shows up as the last line differing.
  if (a.text == b.text && !a.text.empty()) {
    edits.back() = {Op::kDel, a.text.size() - 1, 0};
    edits.push_back({Op::kAdd, 0, b.text.size() - 1});
  }
  constexpr size_t kContext = 3;
  std::string out = absl::StrCat("--- a", path, "\n+++ b", path, "\n");
  size_t k = 0;
  while (k < edits.size()) {
    while (k < edits.size() && edits[k].op == Op::kSame) ++k;
    if (k == edits.size()) break;
    size_t start = k >= kContext ? k - kContext : 0;
    size_t end = k;  // extend while changes are within 2*context of each other
    for (size_t last_change = k; end < edits.size(); ++end) {
      if (edits[end].op != Op::kSame) last_change = end;
      else if (end - last_change > 2 * kContext) break;
    }
    // Trim trailing context to kContext lines.
    size_t last = end;
    while (last > start && edits[last - 1].op == Op::kSame) --last;
    end = std::min(edits.size(), last + kContext);
    size_t a_start = 0, b_start = 0, a_count = 0, b_count = 0;
    bool a_set = false, b_set = false;
    std::string body;
    for (size_t e = start; e < end; ++e) {
      const Edit& ed = edits[e];
      bool has_a = ed.op != Op::kAdd, has_b = ed.op != Op::kDel;
      if (has_a) {
        if (!a_set) a_start = ed.a, a_set = true;
        ++a_count;
      }
      if (has_b) {
        if (!b_set) b_start = ed.b, b_set = true;
        ++b_count;
      }
      const std::string& line = has_a ? a.text[ed.a] : b.text[ed.b];
      char mark = ed.op == Op::kSame ? ' ' : ed.op == Op::kDel ? '-' : '+';
      absl::StrAppend(&body, std::string(1, mark), line, "\n");
      bool a_last = has_a && ed.a == a.text.size() - 1 && a.missing_final_newline;
      bool b_last = has_b && ed.b == b.text.size() - 1 && b.missing_final_newline;
      if ((ed.op == Op::kDel && a_last) || (ed.op == Op::kAdd && b_last) ||
          (ed.op == Op::kSame && (a_last || b_last))) {
        absl::StrAppend(&body, "\\ No newline at end of file\n");
      }
    }
    if (!a_set) {
      // Pure insertion: the old range starts before the next old line.
      for (size_t e = start; e < edits.size(); ++e) {
        if (edits[e].op != Op::kAdd) { a_start = edits[e].a; break; }
        a_start = a.text.size();
      }
    }
    if (!b_set) {
      for (size_t e = start; e < edits.size(); ++e) {
        if (edits[e].op != Op::kDel) { b_start = edits[e].b; break; }
        b_start = b.text.size();
      }
    }
    absl::StrAppend(&out, "@@ -", Range(a_start, a_count), " +", Range(b_start, b_count),
                    " @@\n", body);
    k = end;
  }
  return out;
}

}  // namespace relayguard::agent
