#include "agent/mta/exim/exim_acl.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace relayguard::agent::exim {
namespace {

constexpr absl::string_view kVerbs[] = {"accept", "defer",   "deny", "discard",
                                       "drop",   "require", "warn"};
constexpr absl::string_view kModifiers[] = {
    "add_header",  "continue",          "control",  "delay",   "endpass",
    "log_message", "log_reject_target", "logwrite", "message", "queue",
    "set",         "remove_header",     "udpsend"};

template <size_t N>
bool OneOf(absl::string_view word, const absl::string_view (&words)[N]) {
  return std::find(std::begin(words), std::end(words), word) != std::end(words);
}

// Parses "[!]name = value", "endpass" or "set acl_m_x = value" (what follows a verb, or a line
// of its own).
absl::StatusOr<AclItem> ParseItem(const ConfigText& text, size_t line, absl::string_view acl,
                                  absl::string_view s) {
  AclItem item;
  if (absl::ConsumePrefix(&s, "!")) item.negated = true;
  s = absl::StripLeadingAsciiWhitespace(s);
  item.name = std::string(ReadName(s));
  absl::string_view rest = absl::StripAsciiWhitespace(s.substr(item.name.size()));
  if (item.name.empty()) return AclError(text, line, acl, absl::StrCat("cannot read \"", s, "\""));
  if (item.name == "endpass") return item;
  if (item.name == "set") rest = absl::StripLeadingAsciiWhitespace(rest.substr(ReadName(rest).size()));
  if (!absl::ConsumePrefix(&rest, "=")) {
    return AclError(text, line, acl, absl::StrCat("expected \"=\" after \"", item.name, "\""));
  }
  item.value = std::string(absl::StripAsciiWhitespace(rest));
  return item;
}

constexpr absl::string_view kOutsideBlock =
    "this line is outside the .ifdef block the ACL starts in";

// A verb line: a new statement, with the condition or modifier that may follow the verb.
absl::Status StartStatement(const ConfigText& text, const LogicalLine& l, absl::string_view verb,
                            Acl& acl) {
  AclStatement st{std::string(verb),   l.first, l.last, text.lines()[l.first].branch, {},
                  l.split_by_directive};
  absl::string_view rest = absl::StripAsciiWhitespace(absl::string_view(l.text).substr(verb.size()));
  if (!rest.empty()) {
    ASSIGN_OR_RETURN(AclItem item, ParseItem(text, l.first, acl.name, rest));
    item.line = l.first;
    st.items.push_back(std::move(item));
  }
  acl.statements.push_back(std::move(st));
  return absl::OkStatus();
}

// A line of its own holding a condition or modifier of the last statement.
absl::Status AddItem(const ConfigText& text, const LogicalLine& l, bool directive_before,
                     Acl& acl) {
  if (acl.statements.empty() || acl.statements.back().verb.empty()) {
    return AclError(text, l.first, acl.name, absl::StrCat("\"", l.text, "\" does not follow a verb"));
  }
  AclStatement& st = acl.statements.back();
  if (!text.InBranch(l.first, st.branch)) {
    return AclError(text, l.first, acl.name,
                    absl::StrCat("the statement of line ", st.first + 1,
                        " continues across an .ifdef/.else/.endif boundary"));
  }
  ASSIGN_OR_RETURN(AclItem item, ParseItem(text, l.first, acl.name, l.text));
  item.conditional = text.lines()[l.first].branch != st.branch;
  item.line = l.first;
  st.items.push_back(std::move(item));
  st.last = l.last;
  st.split_by_directive |= directive_before || l.split_by_directive;
  return absl::OkStatus();
}

// Adds logical line `l` of the body to the statements: a new statement or an item of the last.
absl::Status AddLine(const ConfigText& text, const LogicalLine& l, bool directive_before,
                     Acl& acl) {
  absl::string_view s = l.text;
  if (s.empty()) return absl::OkStatus();
  bool negated = s.front() == '!';
  absl::string_view word = ReadName(absl::StripLeadingAsciiWhitespace(negated ? s.substr(1) : s));
  if (!text.InBranch(l.first, acl.header_branch)) {
    return AclError(text, l.first, acl.name, kOutsideBlock);
  }
  if (!negated && !word.empty() && std::isupper(static_cast<unsigned char>(word.front()))) {
    // A macro standing alone: it may expand to any statement.
    acl.statements.push_back({"", l.first, l.last, text.lines()[l.first].branch, {}, false});
    return absl::OkStatus();
  }
  if (!OneOf(word, kVerbs)) return AddItem(text, l, directive_before, acl);
  if (negated)
    return AclError(text, l.first, acl.name, absl::StrCat("a verb cannot be negated: \"", s, "\""));
  return StartStatement(text, l, word, acl);
}

// Whether logical line `l` ends the ACL that started at logical line `header`: another ACL, a
// macro definition, a new part.
bool EndsAcl(const LogicalLine& l, const LogicalLine& header) {
  absl::string_view name = ReadName(l.text);
  bool next_acl = !name.empty() &&
                  absl::StartsWith(absl::StripLeadingAsciiWhitespace(absl::string_view(l.text).substr(name.size())), ":");
  return l.is_begin || l.section != header.section || next_acl ||
         ParseMacroDefinition(l.text).has_value();
}

// The statements of the ACL whose header is logical line `header`.
absl::Status ReadBody(const ConfigText& text, size_t header, Acl& acl) {
  const std::vector<LogicalLine>& logical = text.logical();
  std::map<size_t, size_t> starts;  // physical index -> logical index, for the body
  acl.stop = text.lines().size();
  for (size_t i = header + 1; i < logical.size(); ++i) {
    if (EndsAcl(logical[i], logical[header])) {
      acl.stop = logical[i].first;
      break;
    }
    starts[logical[i].first] = i;
  }
  bool directive_before = false;
  for (size_t p = logical[header].last + 1; p < acl.stop; ++p) {
    LineKind kind = text.lines()[p].kind;
    if (kind == LineKind::kInclude) {
      if (!text.InBranch(p, acl.header_branch)) return AclError(text, p, acl.name, kOutsideBlock);
      acl.statements.push_back({"", p, p, text.lines()[p].branch, {}, false});
    } else if (kind == LineKind::kIf || kind == LineKind::kElse || kind == LineKind::kEndif) {
      directive_before = true;
    } else if (auto it = starts.find(p); it != starts.end()) {
      RETURN_IF_ERROR(AddLine(text, logical[it->second], directive_before, acl));
      directive_before = false;
      p = logical[it->second].last;
    }
  }
  return absl::OkStatus();
}

bool IsAclHeader(absl::string_view text, absl::string_view name) {
  absl::string_view n = ReadName(text);
  return !n.empty() && n == name && absl::StartsWith(absl::StripLeadingAsciiWhitespace(text.substr(n.size())), ":");
}

}  // namespace

absl::StatusOr<Acl> ReadAcl(const ConfigText& text, absl::string_view section,
                            absl::string_view name) {
  std::optional<size_t> header;
  const std::vector<LogicalLine>& logical = text.logical();
  for (size_t i = 0; i < logical.size(); ++i) {
    if (logical[i].is_begin || logical[i].section != section) continue;
    if (!IsAclHeader(logical[i].text, name)) continue;
    if (header) {
      return AclError(text, logical[i].first, name,
                      absl::StrCat("defined twice (first at line ", logical[*header].first + 1, ")"));
    }
    header = i;
  }
  if (!header) return absl::NotFoundError(absl::StrCat("ACL \"", name, "\" is not defined"));
  Acl acl;
  acl.name = std::string(name);
  acl.header = logical[*header].first;
  acl.header_branch = text.lines()[acl.header].branch;
  RETURN_IF_ERROR(ReadBody(text, *header, acl));
  return acl;
}

bool IsAclModifier(absl::string_view name) { return OneOf(name, kModifiers); }

absl::Status AclError(const ConfigText& text, size_t line, absl::string_view acl,
                      absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(text.Where(line), ": ACL ", acl, ": ", what));
}

}  // namespace relayguard::agent::exim
