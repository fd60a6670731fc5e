#include "common/text_lines.h"

namespace relayguard {

size_t AfterNewline(std::string_view text, size_t from) {
  size_t nl = text.find('\n', from);
  return nl == std::string_view::npos ? text.size() : nl + 1;
}

std::vector<TextLine> SplitTextLines(std::string_view text) {
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

std::string FileLineEnding(std::string_view text, const std::vector<TextLine>& lines) {
  for (const TextLine& line : lines) {
    if (line.end > line.content_end) return std::string(line.Ending(text));
  }
  return "\n";
}

std::string JoinLinePieces(const std::vector<LinePiece>& pieces, std::string_view ending,
                           bool final_newline) {
  std::string out;
  for (size_t k = 0; k < pieces.size(); ++k) {
    std::string_view e = pieces[k].ending.empty() ? ending : std::string_view(pieces[k].ending);
    if (k + 1 == pieces.size() && !final_newline) e = "";
    out += pieces[k].content;
    out += e;
  }
  return out;
}

}  // namespace relayguard
