// An Exim runtime configuration file the way Exim's reader sees it (spec 6.2-6.10): physical
// lines with their endings; blank and comment lines ('#' after optional white space, and only
// there: Exim has no trailing comments); the directives .ifdef/.ifndef/.elifdef/.elifndef/.else/
// .endif/.include, which act on physical lines even inside a continued line; logical lines joined
// from lines ending in '\' (a comment line may sit between them, a blank line ends them); and the
// part ("begin acl") each logical line is in. Plus TextEditor, which edits physical lines and
// renders everything it was not asked to touch byte for byte.
#ifndef RELAYGUARD_AGENT_MTA_EXIM_EXIM_CONFIG_TEXT_H_
#define RELAYGUARD_AGENT_MTA_EXIM_EXIM_CONFIG_TEXT_H_

#include <cstddef>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace relayguard::agent::exim {

// The branch of lines outside any .ifdef block.
inline constexpr size_t kTopLevel = static_cast<size_t>(-1);

enum class LineKind {
  kBlank,    // nothing but white space
  kComment,  // first non-space character is '#'
  kIf,       // .ifdef, .ifndef
  kElse,     // .elifdef, .elifndef, .else
  kEndif,    // .endif
  kInclude,  // .include, .include_if_exists
  kText,     // starts or continues a logical line
};

struct PhysicalLine {
  std::string content;  // without the line ending
  std::string ending;   // "\n", "\r\n", or "" for a last line without one
  LineKind kind = LineKind::kText;
  // The .ifdef/.ifndef/.elifdef/.elifndef/.else line that opened the conditional branch this line
  // is in, kTopLevel outside any. A directive line is in the branch around its own block.
  size_t branch = kTopLevel;
  // For kElse and kEndif: the .ifdef/.ifndef line that opened their block.
  size_t block = kTopLevel;
};

struct LogicalLine {
  size_t first = 0;       // physical index of the line it starts on
  size_t last = 0;        // physical index of its last continuation line (== first without one)
  std::string text;       // joined as Exim joins it; no leading or trailing white space
  std::string section;    // "" in the main part, else the lower-cased part name
  bool is_begin = false;  // a "begin NAME" line (its section is NAME)
  bool split_by_directive = false;  // a directive line sits between its physical lines
};

struct MacroDefinition {
  std::string name;
  std::string value;
  size_t logical = 0;  // index into ConfigText::logical()
};

class ConfigText {
 public:
  // Never fails on what Exim accepts; InvalidArgument ("PATH:LINE: ...") on unbalanced
  // conditionals (.endif without .ifdef, .ifdef without .endif).
  static absl::StatusOr<ConfigText> Parse(absl::string_view text, absl::string_view path);

  const std::vector<PhysicalLine>& lines() const { return lines_; }
  const std::vector<LogicalLine>& logical() const { return logical_; }
  const std::string& path() const { return path_; }

  // "PATH:N" for physical line index `line` (N counts from 1).
  std::string Where(size_t line) const;
  // The ending new lines get: that of the first line that has one, "\n" if none has.
  const std::string& ending() const { return ending_; }
  // Whether the text ended with a line ending (an empty text counts as ending with one).
  bool final_newline() const { return final_newline_; }
  // Whether any "begin" line divides the file into parts (a conf.d fragment may have none).
  bool has_sections() const { return has_sections_; }

  // Whether physical line `line` lies in `branch` or in a branch nested in it. Every line lies
  // in kTopLevel.
  bool InBranch(size_t line, size_t branch) const;
  // The branch that a line inserted right after physical line `line` would be in.
  size_t BranchAfter(size_t line) const;

  // Every macro definition ("NAME = value", "NAME == value") in file order.
  std::vector<MacroDefinition> Macros() const;

 private:
  absl::Status AssignBranches();  // sets PhysicalLine::branch and ::block
  void JoinLogicalLines();        // fills logical_

  std::string path_;
  std::string ending_ = "\n";
  bool final_newline_ = true;
  bool has_sections_ = false;
  std::vector<PhysicalLine> lines_;
  std::vector<LogicalLine> logical_;
};

// Reads a name at the start of `text` as Exim's readconf_readname does (a letter, then letters,
// digits and '_'); "" when `text` does not start with a letter.
absl::string_view ReadName(absl::string_view text);

// "NAME = value" or "NAME == value" where NAME starts with an upper-case letter (spec 6.4, 6.6);
// nullopt for any other logical line.
std::optional<MacroDefinition> ParseMacroDefinition(absl::string_view logical_text);

// Edits against the physical lines of one ConfigText; Render() reproduces every line that was
// not edited byte for byte, gives new lines the file's ending, and keeps a missing final newline
// missing.
class TextEditor {
 public:
  explicit TextEditor(const ConfigText& text);

  // Inserts `content` (no line ending) before physical line `line`; lines().size() appends.
  // Several insertions at one place come out in call order.
  void InsertBefore(size_t line, std::string content);
  // Replaces the content of physical line `line`, keeping its ending.
  void Replace(size_t line, std::string content);
  // Removes physical line `line` with its ending.
  void Remove(size_t line);

  bool changed() const { return changed_; }
  std::string Render() const;

 private:
  struct Slot {
    std::vector<std::string> before;
    std::optional<std::string> replacement;
    bool removed = false;
  };
  const ConfigText& text_;
  std::vector<Slot> slots_;  // one per physical line, plus one for the end of the file
  bool changed_ = false;
};

}  // namespace relayguard::agent::exim

#endif  // RELAYGUARD_AGENT_MTA_EXIM_EXIM_CONFIG_TEXT_H_
