// Physical lines of a configuration file, as offsets, so that an editor can rewrite some lines
// and keep every other byte (CRLF endings, a last line without a newline) as it was.
#ifndef RELAYGUARD_AGENT_MTA_SENDMAIL_PHYSICAL_LINES_H_
#define RELAYGUARD_AGENT_MTA_SENDMAIL_PHYSICAL_LINES_H_

#include <cstddef>
#include <vector>

#include "absl/strings/string_view.h"

namespace relayguard::agent::sendmail {

// The offset just after the next newline at or after `from` (text.size() without one).
inline size_t AfterNewline(absl::string_view text, size_t from) {
  size_t nl = text.find('\n', from);
  return nl == absl::string_view::npos ? text.size() : nl + 1;
}

// A physical line: text[begin, content_end) is its text, text[content_end, end) its ending
// ("\n", "\r\n", or nothing for a last line without one).
struct Line {
  size_t begin = 0;
  size_t content_end = 0;
  size_t end = 0;
};

inline std::vector<Line> SplitLines(absl::string_view text) {
  std::vector<Line> lines;
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t end = AfterNewline(text, begin);
    size_t content_end = end;
    if (content_end > begin && text[content_end - 1] == '\n') {
      --content_end;
      if (content_end > begin && text[content_end - 1] == '\r') --content_end;
    }
    lines.push_back({begin, content_end, end});
    begin = end;
  }
  return lines;
}

}  // namespace relayguard::agent::sendmail

#endif  // RELAYGUARD_AGENT_MTA_SENDMAIL_PHYSICAL_LINES_H_
