#include "agent/mta/exim/exim_config_text.h"

#include <cctype>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"  // AsciiStrToLower
#include "absl/strings/match.h"  // EqualsIgnoreCase
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/text_lines.h"

namespace relayguard::agent::exim {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

// Whether `rest` (what follows the '.') is directive `name` followed by white space or nothing.
bool IsDirective(absl::string_view rest, absl::string_view name) {
  if (!absl::StartsWith(rest, name)) return false;
  return rest.size() == name.size() || IsSpace(rest[name.size()]);
}

LineKind Classify(absl::string_view content) {
  absl::string_view t = absl::StripAsciiWhitespace(content);
  if (t.empty()) return LineKind::kBlank;
  if (t.front() == '#') return LineKind::kComment;
  if (t.front() != '.') return LineKind::kText;
  t.remove_prefix(1);
  if (IsDirective(t, "ifdef") || IsDirective(t, "ifndef")) return LineKind::kIf;
  if (IsDirective(t, "elifdef") || IsDirective(t, "elifndef") || IsDirective(t, "else")) {
    return LineKind::kElse;
  }
  if (IsDirective(t, "endif")) return LineKind::kEndif;
  if (IsDirective(t, "include") || IsDirective(t, "include_if_exists")) return LineKind::kInclude;
  return LineKind::kText;
}

// Whether a text line continues onto the next (spec 6.2: a '\' at its end, trailing white space
// ignored).
bool EndsInContinuation(absl::string_view content) {
  return absl::EndsWith(absl::StripTrailingAsciiWhitespace(content), "\\");
}

bool IsDirectiveKind(LineKind kind) {
  return kind == LineKind::kIf || kind == LineKind::kElse || kind == LineKind::kEndif ||
         kind == LineKind::kInclude;
}

// The physical lines of `text`, classified.
std::vector<PhysicalLine> SplitLines(absl::string_view text) {
  std::vector<PhysicalLine> lines;
  for (const TextLine& physical : SplitTextLines(text)) {
    PhysicalLine line;
    line.content = std::string(physical.Content(text));
    line.ending = std::string(physical.Ending(text));
    line.kind = Classify(line.content);
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace

absl::string_view ReadName(absl::string_view text) {
  if (text.empty() || !std::isalpha(static_cast<unsigned char>(text.front()))) return {};
  size_t n = 1;
  while (n < text.size() && (std::isalnum(static_cast<unsigned char>(text[n])) || text[n] == '_')) {
    ++n;
  }
  return text.substr(0, n);
}

std::optional<MacroDefinition> ParseMacroDefinition(absl::string_view logical_text) {
  absl::string_view name = ReadName(logical_text);
  if (name.empty() || !std::isupper(static_cast<unsigned char>(name.front()))) return std::nullopt;
  absl::string_view rest = absl::StripAsciiWhitespace(logical_text.substr(name.size()));
  if (rest.empty() || rest.front() != '=') return std::nullopt;
  rest.remove_prefix(absl::StartsWith(rest, "==") ? 2 : 1);
  return MacroDefinition{std::string(name), std::string(absl::StripAsciiWhitespace(rest)), 0};
}

absl::StatusOr<ConfigText> ConfigText::Parse(absl::string_view text, absl::string_view path) {
  ConfigText cfg;
  cfg.path_ = std::string(path);
  cfg.final_newline_ = EndsWithNewline(text);
  cfg.lines_ = SplitLines(text);
  cfg.ending_ = FileLineEnding(text, SplitTextLines(text));
  absl::Status branches = cfg.AssignBranches();
  if (!branches.ok()) return branches;
  cfg.JoinLogicalLines();
  return cfg;
}

absl::Status ConfigText::AssignBranches() {
  std::vector<size_t> open_blocks;  // .ifdef lines of the blocks we are in
  size_t branch = kTopLevel;
  for (size_t i = 0; i < lines_.size(); ++i) {
    PhysicalLine& line = lines_[i];
    line.branch = branch;
    if (line.kind == LineKind::kIf) {
      open_blocks.push_back(i);
      branch = i;
    } else if (line.kind == LineKind::kElse || line.kind == LineKind::kEndif) {
      if (open_blocks.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(Where(i), ": \"", absl::StripAsciiWhitespace(line.content), "\" without a matching .ifdef"));
      }
      line.block = open_blocks.back();
      line.branch = lines_[line.block].branch;
      branch = line.kind == LineKind::kElse ? i : line.branch;
      if (line.kind == LineKind::kEndif) open_blocks.pop_back();
    }
  }
  if (!open_blocks.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(Where(open_blocks.back()), ": \"",
                                          absl::StripAsciiWhitespace(lines_[open_blocks.back()].content),
                                          "\" has no matching .endif"));
  }
  return absl::OkStatus();
}

// As Exim's get_config_line: comments are skipped even inside a continued line, a blank line
// ends one, directives act on physical lines, and "begin NAME" starts part NAME.
void ConfigText::JoinLogicalLines() {
  std::string section;
  std::optional<LogicalLine> current;
  auto finish = [&]() {
    if (!current) return;
    current->text = std::string(absl::StripAsciiWhitespace(current->text));
    absl::string_view t = current->text;
    if (t.size() > 6 && absl::EqualsIgnoreCase(t.substr(0, 6), "begin ")) {
      section = absl::AsciiStrToLower(std::string(absl::StripAsciiWhitespace(t.substr(6))));
      current->is_begin = true;
      has_sections_ = true;
    }
    current->section = section;
    logical_.push_back(std::move(*current));
    current.reset();
  };
  for (size_t i = 0; i < lines_.size(); ++i) {
    const PhysicalLine& line = lines_[i];
    if (line.kind == LineKind::kComment) continue;
    if (line.kind == LineKind::kBlank) {
      finish();
      continue;
    }
    if (IsDirectiveKind(line.kind)) {
      if (current) current->split_by_directive = true;
      continue;
    }
    absl::string_view piece = absl::StripTrailingAsciiWhitespace(line.content);
    if (current) piece = absl::StripLeadingAsciiWhitespace(piece);
    if (!current) current = LogicalLine{i, i, "", "", false, false};
    current->last = i;
    bool continued = EndsInContinuation(piece);
    if (continued) piece.remove_suffix(1);
    absl::StrAppend(&current->text, piece);
    if (!continued) finish();
  }
  finish();
}

std::string ConfigText::Where(size_t line) const { return absl::StrCat(path_, ":", line + 1); }

bool ConfigText::InBranch(size_t line, size_t branch) const {
  if (branch == kTopLevel) return true;
  for (size_t b = lines_[line].branch; b != kTopLevel; b = lines_[b].branch) {
    if (b == branch) return true;
  }
  return false;
}

size_t ConfigText::BranchAfter(size_t line) const {
  const PhysicalLine& l = lines_[line];
  if (l.kind == LineKind::kIf || l.kind == LineKind::kElse) return line;
  return l.branch;
}

std::vector<MacroDefinition> ConfigText::Macros() const {
  std::vector<MacroDefinition> macros;
  for (size_t i = 0; i < logical_.size(); ++i) {
    std::optional<MacroDefinition> m = ParseMacroDefinition(logical_[i].text);
    if (!m) continue;
    m->logical = i;
    macros.push_back(std::move(*m));
  }
  return macros;
}

TextEditor::TextEditor(const ConfigText& text) : text_(text), slots_(text.lines().size() + 1) {}

void TextEditor::InsertBefore(size_t line, std::string content) {
  slots_.at(line).before.push_back(std::move(content));
  changed_ = true;
}

void TextEditor::Replace(size_t line, std::string content) {
  if (line >= text_.lines().size()) return;
  if (content == text_.lines()[line].content) return;
  slots_[line].replacement = std::move(content);
  changed_ = true;
}

void TextEditor::Remove(size_t line) {
  if (line >= text_.lines().size()) return;
  slots_[line].removed = true;
  changed_ = true;
}

std::string TextEditor::Render() const {
  const std::vector<PhysicalLine>& lines = text_.lines();
  std::vector<std::pair<std::string, std::string>> out;  // content, ending
  // Whether the file's last text line so far ends in '\' with nothing after it yet but
  // comments and directives: Exim would join the next line inserted here onto that value (found
  // by the exim_conf fuzz target at the end of a file, and before a blank line). A blank line,
  // which ends a continued line, goes before such an insertion.
  bool file_line_continues = false;
  for (size_t i = 0; i < slots_.size(); ++i) {
    for (const std::string& added : slots_[i].before) {
      bool blank = absl::StripAsciiWhitespace(added).empty();
      if (file_line_continues && !blank) out.emplace_back("", text_.ending());
      file_line_continues = false;
      out.emplace_back(added, text_.ending());
    }
    if (i == lines.size() || slots_[i].removed) continue;
    const std::string& content = slots_[i].replacement.value_or(lines[i].content);
    if (lines[i].kind == LineKind::kBlank) file_line_continues = false;
    if (lines[i].kind == LineKind::kText) {
      file_line_continues = EndsInContinuation(content);
    }
    out.emplace_back(content, lines[i].ending);
  }
  std::string text;
  for (size_t i = 0; i < out.size(); ++i) {
    std::string ending = out[i].second;
    bool last = i + 1 == out.size();
    if (ending.empty() && (!last || text_.final_newline())) ending = text_.ending();
    if (last && !text_.final_newline()) ending.clear();
    text += out[i].first;
    text += ending;
  }
  return text;
}

}  // namespace relayguard::agent::exim
