#include "agent/mta/postfix/table_text.h"

#include <cstddef>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace relayguard::agent::postfix {
namespace {

constexpr absl::string_view kListSeparators = ", \t\r\n";

// Length of the brace group that starts `text` ("{a{b}c}..." -> 7), 0 when it does not start
// with '{' or never closes.
size_t BraceGroupLength(absl::string_view text) {
  if (text.empty() || text[0] != '{') return 0;
  int level = 1;
  for (size_t i = 1; i < text.size(); ++i) {
    if (text[i] == '{') {
      ++level;
    } else if (text[i] == '}' && --level == 0) {
      return i + 1;
    }
  }
  return 0;
}

// The inside of the brace group that is all of `text`, or why it is not one.
absl::StatusOr<absl::string_view> BraceGroupInside(absl::string_view text) {
  const size_t length = BraceGroupLength(text);
  if (text.empty() || text[0] != '{') {
    return absl::InvalidArgumentError(absl::StrCat("no '{' at the start of \"", text, "\""));
  }
  if (length == 0) {
    return absl::InvalidArgumentError(absl::StrCat("missing '}' in \"", text, "\""));
  }
  if (length != text.size()) {
    return absl::InvalidArgumentError(absl::StrCat("text after '}' in \"", text, "\""));
  }
  return text.substr(1, length - 2);
}

}  // namespace

bool IsTableSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

absl::string_view TrimTableSpace(absl::string_view text) {
  while (!text.empty() && IsTableSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsTableSpace(text.back())) text.remove_suffix(1);
  return text;
}

TableLines SplitLogicalLines(absl::string_view text) {
  TableLines out;
  LogicalLine current;
  bool have_current = false;
  bool current_is_orphan = false;
  auto flush = [&] {
    if (!have_current) return;
    (current_is_orphan ? out.orphans : out.lines).push_back(std::move(current));
    current = LogicalLine();
    have_current = false;
  };
  int number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == absl::string_view::npos) end = text.size();
    const absl::string_view physical = text.substr(start, end - start);
    start = end + 1;
    ++number;
    const absl::string_view content = TrimTableSpace(physical);
    // Comments and blank lines vanish without ending the logical line around them, as in
    // Postfix's readllines().
    if (content.empty() || content[0] == '#') continue;
    if (IsTableSpace(physical[0])) {
      if (have_current) {
        absl::StrAppend(&current.text, physical);
        continue;
      }
      current = LogicalLine{number, std::string(physical)};
      have_current = true;
      current_is_orphan = true;
      continue;
    }
    flush();
    current = LogicalLine{number, std::string(physical)};
    have_current = true;
    current_is_orphan = false;
  }
  flush();
  return out;
}

absl::StatusOr<std::vector<std::string>> SplitBraceList(absl::string_view text,
                                                        bool require_braced_items) {
  absl::StatusOr<absl::string_view> inside = BraceGroupInside(text);
  if (!inside.ok()) return inside.status();
  absl::string_view rest = *inside;
  std::vector<std::string> items;
  while (true) {
    const size_t first = rest.find_first_not_of(kListSeparators);
    if (first == absl::string_view::npos) break;
    rest.remove_prefix(first);
    // An item ends at a separator outside braces; a '}' without its '{' is ordinary text.
    size_t end = 0;
    int level = 0;
    for (; end < rest.size(); ++end) {
      const char c = rest[end];
      if (c == '{') {
        ++level;
      } else if (c == '}' && level > 0) {
        --level;
      } else if (level == 0 && kListSeparators.find(c) != absl::string_view::npos) {
        break;
      }
    }
    const absl::string_view item = rest.substr(0, end);
    rest.remove_prefix(end);
    if (item[0] == '{') {
      absl::StatusOr<absl::string_view> group = BraceGroupInside(item);
      if (!group.ok()) return group.status();
      items.emplace_back(TrimTableSpace(*group));
    } else if (require_braced_items) {
      return absl::InvalidArgumentError(absl::StrCat("rule \"", item, "\" is not enclosed in { }"));
    } else {
      items.emplace_back(item);
    }
  }
  return items;
}

}  // namespace relayguard::agent::postfix
