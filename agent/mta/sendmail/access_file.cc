#include "agent/mta/sendmail/access_file.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "agent/mta/sendmail/access_grants.h"
#include "common/text_lines.h"
#include "common/status_macros.h"

namespace relayguard::agent::sendmail {
namespace {

absl::string_view Std(absl::string_view v) { return v; }

// makemap separates key and value by isspace().
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == '\n';
}

absl::string_view TrimSpace(absl::string_view v) {
  while (!v.empty() && IsSpace(v.front())) v.remove_prefix(1);
  while (!v.empty() && IsSpace(v.back())) v.remove_suffix(1);
  return v;
}

struct Entry {
  absl::string_view key;    // as written
  absl::string_view value;  // trimmed
};

// An entry as makemap would store it; nullopt for comments, blank and malformed lines.
std::optional<Entry> ParseEntry(absl::string_view content) {
  if (content.empty() || content.front() == '#' || IsSpace(content.front())) return std::nullopt;
  size_t key_end = 0;
  while (key_end < content.size() && !IsSpace(content[key_end])) ++key_end;
  absl::string_view value = TrimSpace(content.substr(key_end));
  if (value.empty()) return std::nullopt;  // makemap: "no RHS for LHS"
  return Entry{content.substr(0, key_end), value};
}

// Why makemap would refuse a line (it goes on, but exits 65), or nullopt. `line` is what
// makemap reads: without the '\n' but with the '\r' of a CRLF line, so a blank line of a CRLF
// file starts with whitespace.
std::optional<std::string> MakemapProblem(absl::string_view line) {
  if (line.empty() || line.front() == '#') return std::nullopt;
  if (IsSpace(line.front())) return "the line starts with whitespace";
  if (!ParseEntry(line)) return "the key has no value";
  return std::nullopt;
}

bool IsRelay(absl::string_view value) { return absl::EqualsIgnoreCase(value, "RELAY"); }

// A relay domain is written into a key; policy validation makes this impossible to fail.
bool IsKeyableDomain(absl::string_view domain) {
  if (domain.empty()) return false;
  for (char c : domain) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
      return false;
    }
  }
  return true;
}

absl::Status Refuse(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what, " — nothing was changed"));
}

std::string Where(absl::string_view path, size_t line_index) {
  return absl::StrCat(path, ":", line_index + 1);
}

// The keys relayguard wants, in policy order, each once (compared in lower case as makemap
// folds keys).
struct WantedKeys {
  std::vector<std::string> keys;
  std::vector<bool> present;
  std::set<std::string> lower;  // all of keys, lower case

  void Add(std::string key) {
    if (lower.insert(absl::AsciiStrToLower(key)).second) {
      keys.push_back(std::move(key));
      present.push_back(false);
    }
  }
  bool MarkPresent(absl::string_view key) {
    const std::string l = absl::AsciiStrToLower(key);
    for (size_t k = 0; k < keys.size(); ++k) {
      if (absl::AsciiStrToLower(keys[k]) == l) {
        present[k] = true;
        return true;
      }
    }
    return false;
  }
};

// Everything the policy asks of the access map.
struct Wanted {
  WantedKeys networks;                  // "Connect:..." keys
  WantedKeys domains;                   // "To:<domain>" keys
  std::set<std::string> relay_domains;  // lower case

  bool Has(absl::string_view key) const {
    const std::string lower_key = absl::AsciiStrToLower(key);
    return networks.lower.count(lower_key) > 0 || domains.lower.count(lower_key) > 0;
  }
};

absl::StatusOr<Wanted> WantedFor(const AccessPolicy& want, absl::string_view path) {
  Wanted wanted;
  for (const Cidr& network : want.relay_networks) {
    absl::StatusOr<std::vector<std::string>> keys = AccessKeysFor(network);
    if (!keys.ok()) return Refuse(path, keys.status().message());
    for (std::string& key : *keys) wanted.networks.Add(std::move(key));
  }
  for (const std::string& domain : want.relay_domains) {
    if (!IsKeyableDomain(domain)) {
      return Refuse(path, absl::StrCat("relay domain \"", absl::CHexEscape(domain),
                                       "\" cannot be written as an access key"));
    }
    wanted.relay_domains.insert(absl::AsciiStrToLower(domain));
    wanted.domains.Add(absl::StrCat("To:", domain));
  }
  return wanted;
}

// What happens to one entry.
struct Decision {
  bool drop = false;
  std::string retag_key;  // when set, the line gets this key in place of its own
};

// Decides about an entry, marks the wanted keys it provides and records what the edit reports.
// `where` is "PATH:LINE", `line` 1-based, `keys` every key of the file in lower case.
absl::StatusOr<Decision> Decide(const Entry& entry, absl::string_view where, size_t line,
                                const std::set<std::string>& keys, const AccessPolicy& want,
                                Wanted& wanted, AccessEdit& edit) {
  if (!IsRelay(entry.value)) {
    if (!wanted.Has(entry.key)) return Decision{};
    return Refuse(
        where, absl::StrCat(entry.key, " already has the value \"", absl::CHexEscape(entry.value),
                            "\"; the policy needs ", entry.key,
                            " RELAY and makemap refuses a key twice; change or remove "
                            "that line by hand"));
  }
  const KeyParts parts = ClassifyAccessKey(Std(entry.key));
  if (parts.kind == KeyKind::kOther) {
    if (parts.tag == "from") {
      edit.warnings.push_back(absl::StrCat(where, ": ", entry.key,
                                           " RELAY takes effect only with "
                                           "FEATURE(`relay_mail_from'), which relayguard "
                                           "removes; kept"));
    }
    return Decision{};
  }
  // An untagged address key is what a "Connect:" lookup finds when the tagged one is missing.
  const bool untagged_address = parts.kind == KeyKind::kAddress && parts.tag.empty();
  if (wanted.networks.MarkPresent(entry.key) || wanted.domains.MarkPresent(entry.key) ||
      (untagged_address && wanted.networks.MarkPresent(absl::StrCat("Connect:", entry.key)))) {
    return Decision{};
  }
  const RelayGrant grant = JudgeRelayEntry(Std(entry.key), want);
  const std::string spelled = absl::StrCat(entry.key, " RELAY");
  if (!grant.warning.empty()) {
    edit.warnings.push_back(absl::StrCat(where, ": ", spelled, " ", grant.warning));
  }
  Decision d;
  switch (grant.action) {
    case RelayGrant::Action::kKeep:
      if (grant.admin_grant)
        edit.kept.push_back(absl::StrCat(where, ": ", spelled, " ", grant.grants));
      return d;
    case RelayGrant::Action::kRetag:
      edit.removed.push_back({line, std::string(entry.key), grant.grants, grant.reason,
                              absl::StrCat(grant.retag_key, " RELAY")});
      if (keys.count(absl::AsciiStrToLower(grant.retag_key)) > 0) {
        d.drop = true;  // the Connect: entry exists already and is judged on its own line
      } else {
        d.retag_key = grant.retag_key;
        edit.kept.push_back(absl::StrCat(where, ": ", grant.retag_key, " RELAY ", grant.grants,
                                         " (was ", spelled, ")"));
      }
      edit.changed.push_back(absl::StrCat("-access ", spelled));
      if (!d.drop) edit.changed.push_back(absl::StrCat("access ", grant.retag_key, " RELAY"));
      return d;
    case RelayGrant::Action::kDelete:
      edit.removed.push_back({line, std::string(entry.key), grant.grants, grant.reason, ""});
      edit.changed.push_back(absl::StrCat("-access ", spelled));
      d.drop = true;
      return d;
  }
  return d;
}

}  // namespace

absl::StatusOr<AccessEdit> EditAccessFile(absl::string_view std_text, const AccessPolicy& want,
                                          absl::string_view std_path) {
  const absl::string_view text(std_text.data(), std_text.size());
  const absl::string_view path(std_path.data(), std_path.size());
  ASSIGN_OR_RETURN(Wanted wanted, WantedFor(want, path));
  const std::vector<TextLine> lines = SplitTextLines(std_text);
  std::set<std::string> keys;
  for (const TextLine& line : lines) {
    std::optional<Entry> entry = ParseEntry(text.substr(line.begin, line.content_end - line.begin));
    if (entry) keys.insert(absl::AsciiStrToLower(entry->key));
  }
  AccessEdit edit;
  std::vector<Decision> decisions(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    const TextLine& line = lines[i];
    const absl::string_view content = text.substr(line.begin, line.content_end - line.begin);
    // makemap strips only the '\n', so it sees the '\r' of a CRLF line.
    const absl::string_view raw =
        text.substr(line.begin, line.end - line.begin - (line.end > line.content_end ? 1 : 0));
    if (std::optional<std::string> problem = MakemapProblem(raw)) {
      edit.warnings.push_back(
          absl::StrCat(Where(path, i), ": makemap refuses this line (", *problem, "); kept"));
    }
    std::optional<Entry> entry = ParseEntry(content);
    if (!entry) continue;
    ASSIGN_OR_RETURN(decisions[i], Decide(*entry, Where(path, i), i + 1, keys, want, wanted, edit));
  }
  std::vector<std::string> appended;
  for (const WantedKeys* wanted_keys : {&wanted.networks, &wanted.domains}) {
    for (size_t k = 0; k < wanted_keys->keys.size(); ++k) {
      if (wanted_keys->present[k]) continue;
      appended.push_back(absl::StrCat(wanted_keys->keys[k], "\tRELAY"));
      edit.changed.push_back(absl::StrCat("access ", wanted_keys->keys[k], " RELAY"));
    }
  }
  if (edit.changed.empty()) {
    edit.text = std::string(text);
    return edit;
  }
  // Every kept line keeps its bytes; a retagged line gets "Connect:" in front of its own bytes;
  // only the last line's ending follows the original's.
  std::vector<std::string> retagged(lines.size());
  const std::string ending = FileLineEnding(std_text, lines);
  std::vector<LinePiece> pieces;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (decisions[i].drop) continue;
    absl::string_view content = text.substr(lines[i].begin, lines[i].content_end - lines[i].begin);
    if (!decisions[i].retag_key.empty()) {
      retagged[i] = absl::StrCat("Connect:", content);
      content = retagged[i];
    }
    pieces.push_back({std::string(content), std::string(lines[i].Ending(std_text))});
  }
  for (const std::string& line : appended) pieces.push_back({line, ending});
  edit.text = JoinLinePieces(pieces, ending, EndsWithNewline(std_text));
  return edit;
}

std::vector<std::string> AccessRelayKeys(absl::string_view std_text) {
  const absl::string_view text(std_text.data(), std_text.size());
  std::vector<std::string> keys;
  for (const TextLine& line : SplitTextLines(std_text)) {
    std::optional<Entry> entry = ParseEntry(text.substr(line.begin, line.content_end - line.begin));
    if (entry && IsRelay(entry->value)) keys.emplace_back(entry->key);
  }
  return keys;
}

}  // namespace relayguard::agent::sendmail
