#include "agent/mta/postfix/table_parsers.h"

#include <algorithm>
#include <cstddef>
#include <map>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/mta/postfix/table_text.h"

namespace relayguard::agent::postfix {
namespace {

absl::Status SkippedRule(const TableOrigin& origin, int line, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(origin.At(line), ": ", problem,
               " (Postfix skips this rule); fix it so that relayguard can judge the table"));
}

absl::Status OrphanError(const TableOrigin& origin, const TableLines& lines) {
  const LogicalLine& orphan = lines.orphans.front();
  return SkippedRule(origin, orphan.line,
                     absl::StrCat("text \"", TrimTableSpace(orphan.text).substr(0, 30),
                              "\" starts with whitespace but continues no line"));
}

bool IsAlnum(absl::string_view text, size_t i) {
  return i < text.size() && absl::ascii_isalnum(static_cast<unsigned char>(text[i]));
}

// Whether `text` starts with the keyword (any case) not followed by a letter or digit, as
// Postfix recognises "if" and "endif".
bool StartsWithKeyword(absl::string_view text, absl::string_view keyword) {
  return absl::StartsWithIgnoreCase(text, keyword) && !IsAlnum(text, keyword.size());
}

bool AllDigits(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

// The highest $n a regexp:/pcre: result uses (0: none), checked as Postfix's mac_parse() and
// its prescan do: "$$" is a '$', "$n", "${n}" and "$(n)" need n >= 1, any other '$' is an error.
absl::StatusOr<int> HighestReplacementIndex(absl::string_view result) {
  int highest = 0;
  size_t i = 0;
  while (i < result.size()) {
    if (result[i] != '$') {
      ++i;
      continue;
    }
    if (i + 1 < result.size() && result[i + 1] == '$') {
      i += 2;
      continue;
    }
    ++i;
    absl::string_view name;
    if (i < result.size() && (result[i] == '{' || result[i] == '(')) {
      const char open = result[i];
      const char close = open == '{' ? '}' : ')';
      int level = 1;
      size_t j = i + 1;
      for (; level > 0; ++j) {
        if (j >= result.size()) {
          return absl::InvalidArgumentError(
              absl::StrCat("truncated macro reference in result \"", result, "\""));
        }
        if (result[j] == open) ++level;
        if (result[j] == close) --level;
      }
      name = result.substr(i + 1, j - i - 2);
      i = j;
    } else {
      size_t j = i;
      while (j < result.size() &&
             (absl::ascii_isalnum(static_cast<unsigned char>(result[j])) || result[j] == '_')) {
        ++j;
      }
      name = result.substr(i, j - i);
      i = j;
    }
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("empty macro name in result \"", result, "\" (write $$ for a '$')"));
    }
    if (!AllDigits(name)) {
      return absl::InvalidArgumentError(absl::StrCat("non-numeric replacement index \"", name, "\""));
    }
    const int index = name.size() > 4 ? 10000 : std::stoi(std::string(name));
    if (index < 1) {
      return absl::InvalidArgumentError(absl::StrCat("out-of-range replacement index \"", name, "\""));
    }
    highest = std::max(highest, index);
  }
  return highest;
}

// Splits "key whitespace value" as postmap and texthash: do: the key ends at the first
// whitespace outside double quotes (a backslash escapes the next character). nullopt when the
// quotes do not balance.
struct KeyValue {
  std::string key;
  std::string value;
};
std::optional<KeyValue> SplitKeyValue(absl::string_view text) {
  bool in_quotes = false;
  size_t i = 0;
  for (; i < text.size(); ++i) {
    if (text[i] == '\\') {
      if (++i >= text.size()) break;
    } else if (IsTableSpace(text[i])) {
      if (!in_quotes) break;
    } else if (text[i] == '"') {
      in_quotes = !in_quotes;
    }
  }
  if (in_quotes) return std::nullopt;
  const size_t key_end = std::min(i, text.size());
  return KeyValue{std::string(text.substr(0, key_end)),
                  std::string(TrimTableSpace(text.substr(key_end)))};
}

}  // namespace

std::string TableOrigin::At(int line) const {
  return inline_rules ? absl::StrCat(name, ", rule ", line) : absl::StrCat(name, ":", line);
}

absl::StatusOr<std::vector<TableEntry>> ParseCidrTable(absl::string_view text,
                                                       const TableOrigin& origin) {
  const TableLines lines = SplitLogicalLines(text);
  if (!lines.orphans.empty()) return OrphanError(origin, lines);
  std::vector<TableEntry> entries;
  std::vector<std::string> conditions;
  for (const LogicalLine& logical : lines.lines) {
    const absl::string_view rule = TrimTableSpace(logical.text);
    if (StartsWithKeyword(rule, "if")) {
      const absl::string_view pattern = rule.substr(2);
      absl::StatusOr<CidrPattern> parsed = ParseCidrPattern(pattern);
      if (!parsed.ok()) return SkippedRule(origin, logical.line, parsed.status().message());
      conditions.push_back(FoldedCidrPattern(pattern));
      continue;
    }
    if (StartsWithKeyword(rule, "endif")) {
      if (!TrimTableSpace(rule.substr(5)).empty()) {
        return SkippedRule(origin, logical.line, "garbage after ENDIF");
      }
      if (conditions.empty()) return SkippedRule(origin, logical.line, "ENDIF without IF");
      conditions.pop_back();
      continue;
    }
    // The key runs from the negations to the first whitespace after the address.
    size_t key_start = 0;
    while (key_start < rule.size() && (rule[key_start] == '!' || IsTableSpace(rule[key_start]))) {
      ++key_start;
    }
    size_t key_end = key_start;
    while (key_end < rule.size() && !IsTableSpace(rule[key_end])) ++key_end;
    const absl::string_view pattern = rule.substr(0, key_end);
    absl::StatusOr<CidrPattern> parsed = ParseCidrPattern(pattern);
    if (!parsed.ok()) return SkippedRule(origin, logical.line, parsed.status().message());
    const absl::string_view result = TrimTableSpace(rule.substr(key_end));
    if (result.empty()) return SkippedRule(origin, logical.line, "no lookup result");
    entries.push_back(
        TableEntry{logical.line, FoldedCidrPattern(pattern), std::string(result), conditions});
  }
  // An "if" without "endif" runs to the end of the table, as in Postfix (which warns).
  return entries;
}

absl::StatusOr<std::vector<TableEntry>> ParseRegexTable(RegexDialect dialect, absl::string_view text,
                                                        const TableOrigin& origin) {
  const TableLines lines = SplitLogicalLines(text);
  if (!lines.orphans.empty()) return OrphanError(origin, lines);
  std::vector<TableEntry> entries;
  std::vector<std::string> conditions;
  for (const LogicalLine& logical : lines.lines) {
    const absl::string_view rule = TrimTableSpace(logical.text);
    const int line = logical.line;
    if (!IsAlnum(rule, 0)) {
      absl::StatusOr<size_t> end = ScanRegexPattern(dialect, rule);
      if (!end.ok()) return SkippedRule(origin, line, end.status().message());
      const absl::string_view pattern = rule.substr(0, *end);
      absl::StatusOr<TableRegex> compiled = TableRegex::Compile(dialect, pattern);
      if (!compiled.ok()) {
        return SkippedRule(origin, line,
                           absl::StrCat("pattern does not compile: ", compiled.status().message()));
      }
      // No result: Postfix uses the empty string (which an access table takes as OK).
      const absl::string_view result = TrimTableSpace(rule.substr(*end));
      absl::StatusOr<int> highest = HighestReplacementIndex(result);
      if (!highest.ok()) return SkippedRule(origin, line, highest.status().message());
      const std::string folded = FoldedRegexPattern(pattern);
      if (*highest > 0 && folded[0] == '!') {
        return SkippedRule(origin, line, "$number found in negative match replacement text");
      }
      if (*highest > compiled->capture_count()) {
        return SkippedRule(origin, line,
                           absl::StrCat("out of range replacement index \"", *highest, "\""));
      }
      entries.push_back(TableEntry{line, folded, std::string(result), conditions});
      continue;
    }
    if (StartsWithKeyword(rule, "if")) {
      const absl::string_view rest = TrimTableSpace(rule.substr(2));
      // Text after the pattern is ignored, as Postfix does (with a warning).
      absl::StatusOr<size_t> end = ScanRegexPattern(dialect, rest, /*allow_second=*/false);
      if (!end.ok()) return SkippedRule(origin, line, end.status().message());
      const absl::string_view pattern = rest.substr(0, *end);
      absl::StatusOr<TableRegex> compiled = TableRegex::Compile(dialect, pattern);
      if (!compiled.ok()) {
        return SkippedRule(origin, line,
                           absl::StrCat("pattern does not compile: ", compiled.status().message()));
      }
      conditions.push_back(FoldedRegexPattern(pattern));
      continue;
    }
    if (StartsWithKeyword(rule, "endif")) {
      if (conditions.empty()) return SkippedRule(origin, line, "ENDIF without matching IF");
      conditions.pop_back();
      continue;
    }
    return SkippedRule(origin, line, absl::StrCat("unrecognized request \"", rule.substr(0, 40), "\""));
  }
  return entries;
}

absl::StatusOr<std::vector<TableEntry>> ParseTexthashTable(absl::string_view text,
                                                           const TableOrigin& origin) {
  const TableLines lines = SplitLogicalLines(text);
  if (!lines.orphans.empty()) return OrphanError(origin, lines);
  std::vector<TableEntry> entries;
  for (const LogicalLine& logical : lines.lines) {
    std::optional<KeyValue> split = SplitKeyValue(TrimTableSpace(logical.text));
    if (!split.has_value()) {
      return SkippedRule(origin, logical.line, "unbalanced '\"'");
    }
    if (split->key.empty() || split->value.empty()) {
      return SkippedRule(origin, logical.line, "expected format: key whitespace value");
    }
    entries.push_back(TableEntry{logical.line, split->key, split->value, {}});
  }
  return entries;
}

absl::StatusOr<std::string> InlineRulesText(absl::string_view name) {
  absl::StatusOr<std::vector<std::string>> rules =
      SplitBraceList(name, /*require_braced_items=*/true);
  if (!rules.ok()) return rules.status();
  std::string text;
  for (const std::string& rule : *rules) absl::StrAppend(&text, rule, "\n");
  return text;
}

absl::StatusOr<std::vector<TableEntry>> ParseInlineTable(absl::string_view name) {
  absl::StatusOr<std::vector<std::string>> items =
      SplitBraceList(name, /*require_braced_items=*/false);
  if (!items.ok()) return items.status();
  if (items->empty()) return absl::InvalidArgumentError("empty table");
  std::vector<TableEntry> entries;
  for (const std::string& item : *items) {
    // As Postfix's split_qnameval(): the key ends at whitespace or '=' outside quotes.
    const absl::string_view text = TrimTableSpace(item);
    if (text.empty()) return absl::InvalidArgumentError("no key found; expected key = value");
    bool in_quotes = false;
    size_t key_end = 0;
    for (; key_end < text.size(); ++key_end) {
      const char c = text[key_end];
      if (c == '\\') {
        if (++key_end >= text.size()) break;
      } else if (IsTableSpace(c) || c == '=') {
        if (!in_quotes) break;
      } else if (c == '"') {
        in_quotes = !in_quotes;
      }
    }
    if (in_quotes) return absl::InvalidArgumentError("unbalanced '\"'");
    key_end = std::min(key_end, text.size());
    const absl::string_view rest = TrimTableSpace(text.substr(key_end));
    if (rest.empty() || rest[0] != '=') {
      return absl::InvalidArgumentError(
          absl::StrCat("missing '=' after attribute name in \"", text, "\""));
    }
    entries.push_back(TableEntry{
        0, std::string(text.substr(0, key_end)), std::string(TrimTableSpace(rest.substr(1))), {}});
  }
  return entries;
}

absl::StatusOr<std::vector<TableEntry>> ParseStaticTable(absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("static: needs a value");
  absl::string_view value = name;
  if (name[0] == '{') {
    // "{ value }": one brace group holding the value, nothing after it.
    int level = 0;
    size_t end = 0;
    for (; end < name.size(); ++end) {
      if (name[end] == '{') ++level;
      if (name[end] == '}' && --level == 0) break;
    }
    if (end >= name.size()) return absl::InvalidArgumentError("missing '}'");
    if (end + 1 != name.size()) return absl::InvalidArgumentError("syntax error after '}'");
    value = name.substr(1, end - 1);
  }
  return std::vector<TableEntry>{TableEntry{0, "", std::string(TrimTableSpace(value)), {}}};
}

std::vector<TableEntry> ParsePostmapDump(absl::string_view output) {
  std::vector<TableEntry> entries;
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == absl::string_view::npos) end = output.size();
    const absl::string_view line = output.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    const size_t tab = line.find('\t');
    const absl::string_view key = tab == absl::string_view::npos ? line : line.substr(0, tab);
    const absl::string_view value =
        tab == absl::string_view::npos ? absl::string_view() : line.substr(tab + 1);
    entries.push_back(TableEntry{0, std::string(key), std::string(TrimTableSpace(value)), {}});
  }
  return entries;
}

void AssignSourceLines(absl::string_view source, std::vector<TableEntry>& entries) {
  std::map<std::string, int> first_line;
  for (const LogicalLine& logical : SplitLogicalLines(source).lines) {
    std::optional<KeyValue> split = SplitKeyValue(TrimTableSpace(logical.text));
    if (!split.has_value() || split->key.empty() || split->value.empty()) continue;
    first_line.emplace(absl::AsciiStrToLower(split->key), logical.line);
  }
  for (TableEntry& entry : entries) {
    auto it = first_line.find(absl::AsciiStrToLower(entry.pattern));
    entry.line = it == first_line.end() ? 0 : it->second;
  }
}

}  // namespace relayguard::agent::postfix
