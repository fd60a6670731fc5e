// A Postfix list value as it is written (a main.cf value over its continuation lines, or the
// value of a master.cf `-o name=value`), edited word by word so that every byte that is not
// edited stays: the admin's separators, line breaks, indentation, comment lines between
// continuation lines and CRLF endings. Restriction lists are edited element by element through
// it (relay_rules.h), so a one-element fix shows as a one-line diff.
//
// Words follow Postfix's list syntax: separated by commas and whitespace; a `{ ... }` group
// (possibly inside a word, as in inline:{ a=b, c=d }) is part of one word. In the text, a
// physical line after the first whose first non-blank character is '#', or that is blank, is a
// comment line and holds no words (postconf(5), master(5)).
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_LIST_TEXT_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_LIST_TEXT_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

namespace relayguard::agent::postfix {

// Splits a list value into its words (as ListText does, without positions).
std::vector<std::string> SplitListWords(absl::string_view text);

class ListText {
 public:
  struct Word {
    std::string text;
    size_t begin = 0;  // byte offsets in text()
    size_t end = 0;
    int line = 0;  // 0-based physical line within text()
  };

  // `text` runs from the first byte of the value to the end of its last line's content (line
  // endings and comment lines between included, the final line ending not). `spaces_allowed`
  // is false for an unbraced master.cf value: one token, so words are joined by commas only.
  ListText(std::string text, bool spaces_allowed);

  const std::string& text() const { return text_; }
  const std::vector<Word>& words() const { return words_; }

  // Removes words [first, last] and the separator that tied them to the list. Whole lines are
  // removed when the words fill them, so comment lines around them stay.
  void Remove(size_t first, size_t last);

  // Inserts `element` (words separated by single spaces, e.g. "check_client_access cidr:/x")
  // before word `before` (== words().size(): at the end), separated like the list's other
  // elements (", " / "," / ",\n    ").
  void Insert(size_t before, absl::string_view element);

  // Replaces word `index` with `word`, nothing else.
  void Replace(size_t index, absl::string_view word);

 private:
  void Tokenize();
  std::string Separator() const;
  std::string Joined(absl::string_view element) const;
  size_t LineStart(int line) const;
  size_t LineContentEnd(int line) const;
  bool FirstOnLine(size_t word) const;

  std::string text_;
  bool spaces_allowed_;
  std::vector<Word> words_;
  std::vector<size_t> line_starts_;  // byte offset of each physical line
};

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_LIST_TEXT_H_
