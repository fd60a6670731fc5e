#include "agent/mta/postfix/list_text.h"

#include <algorithm>
#include <utility>

namespace relayguard::agent::postfix {
namespace {

bool IsSeparator(char c) {
  return c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// A comment or blank physical line (only lines after the first can be one).
bool IsCommentLine(absl::string_view content) {
  size_t i = 0;
  while (i < content.size() && IsBlank(content[i])) ++i;
  return i == content.size() || content[i] == '#';
}

}  // namespace

std::vector<std::string> SplitListWords(absl::string_view text) {
  ListText list{std::string(text), true};
  std::vector<std::string> words;
  for (const ListText::Word& w : list.words()) words.push_back(w.text);
  return words;
}

ListText::ListText(std::string text, bool spaces_allowed)
    : text_(std::move(text)), spaces_allowed_(spaces_allowed) {
  Tokenize();
}

size_t ListText::LineStart(int line) const { return line_starts_[line]; }

size_t ListText::LineContentEnd(int line) const {
  if (static_cast<size_t>(line) + 1 >= line_starts_.size()) return text_.size();
  size_t end = line_starts_[line + 1] - 1;  // the '\n'
  if (end > line_starts_[line] && text_[end - 1] == '\r') --end;
  return end;
}

void ListText::Tokenize() {
  words_.clear();
  line_starts_ = {0};
  for (size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }
  bool in_word = false;
  int depth = 0;  // inside a { ... } group, separators do not end the word
  Word word;
  auto finish = [&](size_t end) {
    word.end = end;
    word.text = text_.substr(word.begin, end - word.begin);
    words_.push_back(word);
    in_word = false;
  };
  for (int line = 0; static_cast<size_t>(line) < line_starts_.size(); ++line) {
    const size_t begin = LineStart(line);
    const size_t end = LineContentEnd(line);
    if (line > 0 && IsCommentLine(absl::string_view(text_).substr(begin, end - begin))) continue;
    for (size_t pos = begin; pos < end; ++pos) {
      const char c = text_[pos];
      if (depth == 0 && IsSeparator(c)) {
        if (in_word) finish(pos);
        continue;
      }
      if (!in_word) {
        in_word = true;
        word = Word{};
        word.begin = pos;
        word.line = line;
      }
      if (c == '{') ++depth;
      if (c == '}' && depth > 0) --depth;
    }
    if (in_word && depth == 0) finish(end);
  }
  if (in_word) finish(LineContentEnd(static_cast<int>(line_starts_.size()) - 1));
}

bool ListText::FirstOnLine(size_t index) const {
  const Word& w = words_[index];
  if (w.line == 0) return false;  // the first line starts with "name =" or "-o name="
  for (size_t i = LineStart(w.line); i < w.begin; ++i) {
    if (!IsBlank(text_[i])) return false;
  }
  return true;
}

namespace {
int LineOf(const std::vector<size_t>& starts, size_t offset) {
  return static_cast<int>(std::upper_bound(starts.begin(), starts.end(), offset) - starts.begin()) -
         1;
}
}  // namespace

void ListText::Remove(size_t first, size_t last) {
  const size_t n = words_.size();
  if (first > last || last >= n) return;
  const int last_line = LineOf(line_starts_, words_[last].end);
  if (last + 1 < n) {
    const Word& next = words_[last + 1];
    if (FirstOnLine(first) && next.line > last_line) {
      // The words fill whole lines: drop those lines and nothing else.
      text_.erase(LineStart(words_[first].line),
                  LineStart(last_line + 1) - LineStart(words_[first].line));
    } else {
      text_.erase(words_[first].begin, next.begin - words_[first].begin);
    }
  } else if (first > 0) {
    const Word& prev = words_[first - 1];
    const int prev_line = LineOf(line_starts_, prev.end);
    if (FirstOnLine(first) && words_[first].line > prev_line) {
      // The last element on lines of its own: drop those lines (with the line break before
      // them) and the separator the previous element keeps at its line's end.
      const size_t from = LineContentEnd(words_[first].line - 1);
      text_.erase(from, LineContentEnd(last_line) - from);
      text_.erase(prev.end, LineContentEnd(prev_line) - prev.end);
    } else {
      text_.erase(prev.end, words_[last].end - prev.end);
    }
  } else {
    text_.erase(words_[first].begin, words_[last].end - words_[first].begin);
  }
  Tokenize();
}

std::string ListText::Separator() const {
  if (words_.size() < 2) return spaces_allowed_ ? ", " : ",";
  std::string chosen;
  for (size_t i = 0; i + 1 < words_.size(); ++i) {
    std::string s = text_.substr(words_[i].end, words_[i + 1].begin - words_[i].end);
    if (i == 0) chosen = s;
    if (s.find(',') != std::string::npos) {
      chosen = s;
      break;
    }
  }
  size_t first_break = chosen.find('\n');
  if (first_break == std::string::npos) return chosen;
  // ",\n    " (maybe with comment lines between): the comma, one line break in the list's own
  // style, the indentation of the next line.
  std::string head = chosen.substr(0, first_break);
  std::string ending = "\n";
  if (!head.empty() && head.back() == '\r') {
    head.pop_back();
    ending = "\r\n";
  }
  while (!head.empty() && IsBlank(head.back())) head.pop_back();
  return head + ending + chosen.substr(chosen.rfind('\n') + 1);
}

std::string ListText::Joined(absl::string_view element) const {
  std::string out(element);
  if (!spaces_allowed_) std::replace(out.begin(), out.end(), ' ', ',');
  return out;
}

void ListText::Insert(size_t before, absl::string_view element) {
  const std::string joined = Joined(element);
  if (words_.empty()) {
    size_t end = text_.size();
    while (end > 0 && IsBlank(text_[end - 1])) --end;
    text_.insert(end, joined);
  } else if (before < words_.size()) {
    text_.insert(words_[before].begin, joined + Separator());
  } else {
    text_.insert(words_.back().end, Separator() + joined);
  }
  Tokenize();
}

void ListText::Replace(size_t index, absl::string_view word) {
  if (index >= words_.size()) return;
  text_.replace(words_[index].begin, words_[index].end - words_[index].begin, Joined(word));
  Tokenize();
}

}  // namespace relayguard::agent::postfix
