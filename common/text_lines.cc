#include "common/text_lines.h"


#include "absl/strings/str_cat.h"
namespace relayguard {

size_t AfterNewline(absl::string_view text, size_t from) {
  size_t nl = text.find('\n', from);
  return nl == absl::string_view::npos ? text.size() : nl + 1;
}

std::vector<TextLine> SplitTextLines(absl::string_view text) {
  std::vector<TextLine> lines;
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t end = AfterNewline(text, begin);
    size_t content_end = end;
    if (text[content_end - 1] == '\n') {
      --content_end;
      if (content_end > begin && text[content_end - 1] == '\r') --content_end;
    }
    lines.push_back({begin, content_end, end});
    begin = end;
  }
  return lines;
}

std::string FileLineEnding(absl::string_view text, const std::vector<TextLine>& lines) {
  for (const TextLine& line : lines) {
    if (line.end > line.content_end) return std::string(line.Ending(text));
  }
  return "\n";
}

std::string JoinLinePieces(const std::vector<LinePiece>& pieces, absl::string_view ending,
                           bool final_newline) {
  std::string out;
  for (size_t k = 0; k < pieces.size(); ++k) {
    absl::string_view e = pieces[k].ending.empty() ? ending : absl::string_view(pieces[k].ending);
    if (k + 1 == pieces.size() && !final_newline) e = "";
    out += pieces[k].content;
    absl::StrAppend(&out, e);
  }
  return out;
}

}  // namespace relayguard
