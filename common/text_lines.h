// Physical lines of a configuration file with their line endings, so that an editor can rewrite
// some lines and keep every other byte as it was (CRLF endings, a last line without a newline).
// The one line splitter of the MTA editors (main.cf, exim.conf, sendmail.mc, access).
#ifndef RELAYGUARD_COMMON_TEXT_LINES_H_
#define RELAYGUARD_COMMON_TEXT_LINES_H_

#include <cstddef>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

namespace relayguard {

// A physical line as offsets into its text: text[begin, content_end) is what it says,
// text[content_end, end) its ending: "\n", "\r\n", or "" for a last line without one. A '\r'
// not followed by '\n' is content (Postfix, Exim and makemap read it so).
struct TextLine {
  size_t begin = 0;
  size_t content_end = 0;
  size_t end = 0;

  absl::string_view Content(absl::string_view text) const {
    return text.substr(begin, content_end - begin);
  }
  absl::string_view Ending(absl::string_view text) const {
    return text.substr(content_end, end - content_end);
  }
  absl::string_view Whole(absl::string_view text) const { return text.substr(begin, end - begin); }
  bool operator==(const TextLine&) const = default;
};

// The lines of `text`, in order; none for an empty text.
std::vector<TextLine> SplitTextLines(absl::string_view text);

// The offset just after the next '\n' at or after `from` (text.size() without one).
size_t AfterNewline(absl::string_view text, size_t from);

// The file's line ending, judged by its first line that has one ("\r\n" files stay CRLF);
// "\n" when no line has one.
std::string FileLineEnding(absl::string_view text, const std::vector<TextLine>& lines);

// Whether `text` ends with a newline; an empty text counts as ending with one.
inline bool EndsWithNewline(absl::string_view text) { return text.empty() || text.back() == '\n'; }

// A line to write: its content and its own ending ("": the file's ending).
struct LinePiece {
  std::string content;
  std::string ending;
};

// Joins `pieces`: every piece but the last ends with its own ending (or `ending` when it has
// none); the last one ends with one exactly when `final_newline`.
std::string JoinLinePieces(const std::vector<LinePiece>& pieces, absl::string_view ending,
                           bool final_newline);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_TEXT_LINES_H_
