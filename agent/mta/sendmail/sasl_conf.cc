#include "agent/mta/sendmail/sasl_conf.h"

#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/text_lines.h"

namespace relayguard::agent::sendmail {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
bool IsKeyChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// One line as libsasl reads it.
struct ParsedLine {
  bool entry = false;        // a "key: value" line (false: blank or comment)
  std::string key;           // lower case
  size_t value_begin = 0;    // offsets into the line's content
  size_t value_end = 0;      // after the value, trailing blanks excluded
  std::string problem;       // why libsasl would refuse the file ("" when it would not)
};

ParsedLine ParseLine(absl::string_view content) {
  ParsedLine p;
  size_t i = 0;
  while (i < content.size() && IsSpace(content[i])) ++i;
  if (i == content.size() || content[i] == '#') return p;
  const size_t key_begin = i;
  while (i < content.size() && IsKeyChar(content[i])) ++i;
  if (i == content.size() || content[i] != ':') {
    p.problem = i == key_begin ? "a line that is neither \"key: value\" nor a # comment"
                               : "a key not followed directly by ':'";
    return p;
  }
  p.key = absl::AsciiStrToLower(content.substr(key_begin, i - key_begin));
  ++i;
  while (i < content.size() && IsSpace(content[i])) ++i;
  size_t end = content.size();
  while (end > i && IsSpace(content[end - 1])) --end;
  if (i == end) {
    p.problem = absl::StrCat("key \"", p.key, "\" without a value");
    return p;
  }
  p.entry = true;
  p.value_begin = i;
  p.value_end = end;
  return p;
}

std::set<std::string> MechanismSet(absl::string_view list) {
  std::set<std::string> set;
  for (absl::string_view m : absl::StrSplit(list, absl::ByAnyChar(" \t,"), absl::SkipEmpty())) {
    set.insert(absl::AsciiStrToUpper(m));
  }
  return set;
}

}  // namespace

absl::StatusOr<SaslConfKeys> WantedSaslConfKeys(const AuthSettings& auth,
                                                absl::string_view policy_source) {
  SaslConfKeys keys;
  switch (auth.backend) {
    case SaslBackend::kSaslauthd:
      keys = {{"pwcheck_method", "saslauthd"}, {"saslauthd_path", auth.path}};
      break;
    case SaslBackend::kSasldb:
      keys = {{"pwcheck_method", "auxprop"},
              {"auxprop_plugin", "sasldb"},
              {"sasldb_path", auth.path}};
      break;
    case SaslBackend::kDovecot:
    case SaslBackend::kPasswordFile:
      return absl::InvalidArgumentError(absl::StrCat(
          policy_source.empty() ? "" : absl::StrCat(policy_source, ": "), "auth.backend ",
          SaslBackendName(auth.backend),
          " cannot serve Sendmail: Sendmail authenticates through Cyrus SASL, so use backend "
          "saslauthd (its mux socket) or sasldb (a sasldb2 file) — nothing was changed"));
  }
  std::vector<std::string> mechanisms;
  for (AuthMechanism m : auth.mechanisms) mechanisms.push_back(AuthMechanismName(m));
  keys.emplace_back("mech_list", absl::StrJoin(mechanisms, " "));
  return keys;
}

std::optional<SaslConfEntry> SaslConfValue(absl::string_view text, absl::string_view key) {
  const std::vector<TextLine> lines = SplitTextLines(text);
  for (size_t k = 0; k < lines.size(); ++k) {
    const absl::string_view content = lines[k].Content(text);
    const ParsedLine p = ParseLine(content);
    if (!p.entry || p.key != key) continue;
    return SaslConfEntry{std::string(content.substr(p.value_begin, p.value_end - p.value_begin)),
                         k + 1};
  }
  return std::nullopt;
}

bool SaslConfValueMatches(absl::string_view key, absl::string_view have, absl::string_view want) {
  if (key == "mech_list") return MechanismSet(have) == MechanismSet(want);
  return have == want;
}

absl::StatusOr<SendmailEdit> EditSaslConf(absl::string_view text, bool exists,
                                          const SaslConfKeys& want, absl::string_view path) {
  const std::vector<TextLine> lines = SplitTextLines(text);
  std::vector<LinePiece> pieces;
  std::map<std::string, size_t> first_line;  // key -> index of its effective line
  std::vector<ParsedLine> parsed;
  for (size_t k = 0; k < lines.size(); ++k) {
    parsed.push_back(ParseLine(lines[k].Content(text)));
    if (!parsed.back().problem.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", k + 1, ": ", parsed.back().problem,
          "; libsasl refuses the whole file (Sendmail would offer no AUTH) — fix the line; "
          "nothing was changed"));
    }
    if (parsed.back().entry) first_line.emplace(parsed.back().key, k);
    pieces.push_back({std::string(lines[k].Content(text)), std::string(lines[k].Ending(text))});
  }
  SendmailEdit edit;
  if (!exists) edit.changed.push_back(absl::StrCat(path, " (created)"));
  std::vector<LinePiece> appended;
  for (const auto& [key, value] : want) {
    auto it = first_line.find(key);
    if (it == first_line.end()) {
      appended.push_back({absl::StrCat(key, ": ", value), ""});
      edit.changed.push_back(absl::StrCat("Sendmail.conf ", key, ": ", value));
      continue;
    }
    const ParsedLine& p = parsed[it->second];
    std::string& content = pieces[it->second].content;
    const std::string have = content.substr(p.value_begin, p.value_end - p.value_begin);
    for (size_t k = it->second + 1; k < parsed.size(); ++k) {
      if (parsed[k].entry && parsed[k].key == key) {
        edit.warnings.push_back(absl::StrCat(path, ":", k + 1, ": ", key,
                                             " appears again; libsasl reads only line ",
                                             it->second + 1));
      }
    }
    if (SaslConfValueMatches(key, have, value)) continue;
    content = absl::StrCat(content.substr(0, p.value_begin), value, content.substr(p.value_end));
    edit.changed.push_back(absl::StrCat("Sendmail.conf ", key, ": ", value));
  }
  if (edit.changed.empty()) {
    edit.text = std::string(text);
    return edit;
  }
  pieces.insert(pieces.end(), appended.begin(), appended.end());
  edit.text = JoinLinePieces(pieces, FileLineEnding(text, lines), EndsWithNewline(text));
  return edit;
}

}  // namespace relayguard::agent::sendmail
