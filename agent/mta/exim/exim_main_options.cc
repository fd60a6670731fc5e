#include "agent/mta/exim/exim_main_options.h"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace relayguard::agent::exim {
namespace {

// One open .ifdef block while walking the file.
struct Block {
  bool parent_active = true;
  bool taken = false;  // some branch of the block was active already
  bool active = true;
};

struct Walk {
  // Macros in definition order: name, value (substituted when defined), definition line.
  std::vector<std::pair<std::string, std::string>> macros;
  std::map<std::string, size_t> macro_lines;
  std::map<std::string, MainOptionSetting> options;
};

bool Defined(const Walk& w, const std::set<std::string>& builtin, absl::string_view name) {
  if (builtin.count(std::string(name)) > 0) return true;
  return std::any_of(w.macros.begin(), w.macros.end(),
                     [&](const auto& m) { return m.first == name; });
}

// Applies directive line `p` to `blocks`.
absl::Status Directive(const ConfigText& text, size_t p, const Walk& w,
                       const std::set<std::string>& builtin, std::vector<Block>& blocks) {
  absl::string_view s = absl::StripAsciiWhitespace(text.lines()[p].content);
  s.remove_prefix(1);  // '.'
  absl::string_view word = ReadName(s);
  absl::string_view name = absl::StripAsciiWhitespace(s.substr(word.size()));
  bool active_now = blocks.empty() || blocks.back().active;
  auto test = [&](bool negate) -> absl::StatusOr<bool> {
    if (name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(text.Where(p), ": .", word, " without a name"));
    }
    return Defined(w, builtin, name) != negate;
  };
  if (word == "ifdef" || word == "ifndef") {
    ASSIGN_OR_RETURN(bool hold, test(word == "ifndef"));
    blocks.push_back({active_now, hold, active_now && hold});
  } else if (word == "elifdef" || word == "elifndef") {
    Block& b = blocks.back();
    ASSIGN_OR_RETURN(bool hold, test(word == "elifndef"));
    b.active = b.parent_active && !b.taken && hold;
    b.taken |= hold;
  } else if (word == "else") {
    Block& b = blocks.back();
    b.active = b.parent_active && !b.taken;
    b.taken = true;
  } else if (word == "endif") {
    blocks.pop_back();
  }
  return absl::OkStatus();
}

// "[hide] name = value" for a lower-case option name; nullopt for anything else.
std::optional<std::pair<std::string, std::string>> ParseOption(absl::string_view s) {
  absl::string_view name = ReadName(s);
  if (name == "hide") {
    s = absl::StripLeadingAsciiWhitespace(s.substr(name.size()));
    name = ReadName(s);
  }
  if (name.empty() || !std::islower(static_cast<unsigned char>(name.front()))) return std::nullopt;
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(s.substr(name.size()));
  if (!absl::ConsumePrefix(&rest, "=")) return std::nullopt;
  return std::make_pair(std::string(name), std::string(absl::StripAsciiWhitespace(rest)));
}

void Define(const LogicalLine& l, Walk& w) {
  std::optional<MacroDefinition> m = ParseMacroDefinition(l.text);
  if (!m) return;
  std::string value = SubstituteMacros(m->value, w.macros);
  w.macro_lines[m->name] = l.first;
  for (auto& [name, old] : w.macros) {
    if (name == m->name) {
      old = value;  // "==" redefinition: same place in the order
      return;
    }
  }
  w.macros.emplace_back(m->name, value);
}

void SetOption(const LogicalLine& l, Walk& w) {
  auto option = ParseOption(l.text);
  if (!option) return;
  const auto& [name, raw] = *option;
  MainOptionSetting s{raw, SubstituteMacros(raw, w.macros), l.first, std::nullopt};
  if (auto it = w.macro_lines.find(raw); it != w.macro_lines.end()) s.macro_line = it->second;
  w.options[name] = std::move(s);
}

absl::StatusOr<Walk> WalkMain(const ConfigText& text, const std::set<std::string>& builtin) {
  std::map<size_t, size_t> starts;  // physical index -> logical index
  for (size_t i = 0; i < text.logical().size(); ++i) starts[text.logical()[i].first] = i;
  Walk w;
  std::vector<Block> blocks;
  for (size_t p = 0; p < text.lines().size(); ++p) {
    LineKind kind = text.lines()[p].kind;
    if (kind == LineKind::kIf || kind == LineKind::kElse || kind == LineKind::kEndif) {
      RETURN_IF_ERROR(Directive(text, p, w, builtin, blocks));
      continue;
    }
    auto it = starts.find(p);
    if (it == starts.end() || !(blocks.empty() || blocks.back().active)) continue;
    const LogicalLine& l = text.logical()[it->second];
    if (l.is_begin || !l.section.empty()) break;  // the main part is over
    Define(l, w);
    SetOption(l, w);
  }
  return w;
}

}  // namespace

std::string SubstituteMacros(std::string value,
                             const std::vector<std::pair<std::string, std::string>>& macros) {
  for (const auto& [name, replacement] : macros) {
    if (name.empty() || !absl::StrContains(value, name)) continue;
    std::string out;
    for (size_t at = 0;;) {
      size_t hit = value.find(name, at);
      out.append(value, at, hit == std::string::npos ? std::string::npos : hit - at);
      if (hit == std::string::npos) break;
      out += replacement;
      at = hit + name.size();
    }
    value = std::move(out);
  }
  return value;
}

absl::StatusOr<std::map<std::string, MainOptionSetting>> ReadMainOptions(
    const ConfigText& text, const std::set<std::string>& builtin_macros) {
  ASSIGN_OR_RETURN(Walk w, WalkMain(text, builtin_macros));
  return std::move(w.options);
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ActiveMacros(
    const ConfigText& text, const std::set<std::string>& builtin_macros) {
  ASSIGN_OR_RETURN(Walk w, WalkMain(text, builtin_macros));
  return std::move(w.macros);
}

}  // namespace relayguard::agent::exim
