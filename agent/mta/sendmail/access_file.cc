#include "agent/mta/sendmail/access_file.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <utility>

#include "agent/mta/sendmail/physical_lines.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"

namespace relayguard::agent::sendmail {
namespace {

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

enum class KeyKind {
  kAddress,  // an IP address or network, matched against ${client_addr}
  kName,     // a host, domain or address, matched against ${client_name} or the recipient
  kOther,    // another tag (From:, Spam:, GreetPause:, ...)
};

struct KeyParts {
  KeyKind kind = KeyKind::kOther;
  std::string tag;   // "connect", "to" or "" (untagged), lower case
  std::string body;  // the key without its tag, lower case
};

bool IsAddressBody(absl::string_view body) {
  if (body == "ipv6") return true;  // ::/0
  if (absl::StartsWith(body, "ipv6:")) {
    absl::string_view rest = body.substr(5);
    if (rest.empty()) return false;
    for (char c : rest) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
        return false;
      }
    }
    return true;
  }
  if (body.empty() || !absl::ascii_isdigit(static_cast<unsigned char>(body.front()))) {
    return false;
  }
  for (char c : body) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.') return false;
  }
  return true;
}

// "From", "GreetPause", "SRV_Features": what may stand before the ':' of a tag. A bracketed
// "[IPv6:...]" host name has none.
bool IsTag(absl::string_view prefix) {
  if (prefix.empty()) return false;
  for (char c : prefix) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

KeyParts Classify(absl::string_view key) {
  KeyParts parts;
  std::string lower = absl::AsciiStrToLower(key);
  absl::string_view body = lower;
  if (absl::StartsWith(body, "connect:")) {
    parts.tag = "connect";
    body.remove_prefix(8);
  } else if (absl::StartsWith(body, "to:")) {
    parts.tag = "to";
    body.remove_prefix(3);
  } else if (body.find(':') != absl::string_view::npos && !absl::StartsWith(body, "ipv6:") &&
             IsTag(body.substr(0, body.find(':')))) {
    parts.tag = std::string(body.substr(0, body.find(':')));
    parts.body = std::string(body.substr(body.find(':') + 1));
    return parts;
  }
  parts.body = std::string(body);
  parts.kind = parts.tag != "to" && IsAddressBody(body) ? KeyKind::kAddress : KeyKind::kName;
  return parts;
}

bool IsLoopbackAddress(absl::string_view body) {
  if (body == "127.0.0.1") return true;
  if (!absl::StartsWith(body, "ipv6:")) return false;
  absl::StatusOr<IpAddress> ip = ParseIpAddress(std::string_view(body.data() + 5, body.size() - 5));
  return ip.ok() &&
         *ip == IpAddress{IpFamily::kV6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
}

// Keys Sendmail trusts anyway (ruleset Relay_ok): 127.0.0.1, ::1 and the local host's names.
bool IsLoopback(const KeyParts& parts) {
  if (parts.kind == KeyKind::kAddress) return IsLoopbackAddress(parts.body);
  if (parts.kind != KeyKind::kName) return false;
  absl::string_view body = parts.body;
  if (body.size() >= 2 && body.front() == '[' && body.back() == ']') {
    return IsLoopbackAddress(body.substr(1, body.size() - 2));
  }
  return body == "localhost" || absl::StartsWith(body, "localhost.");
}

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

absl::string_view FileEnding(absl::string_view text, const std::vector<Line>& lines) {
  for (const Line& line : lines) {
    if (line.end > line.content_end) {
      return text.substr(line.content_end, line.end - line.content_end);
    }
  }
  return "\n";
}

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

// Whether an entry stays; marks the wanted keys it provides. `where` is "PATH:LINE".
absl::StatusOr<bool> KeepEntry(const Entry& entry, absl::string_view where, Wanted& wanted,
                               std::vector<std::string>& warnings) {
  if (!IsRelay(entry.value)) {
    if (!wanted.Has(entry.key)) return true;
    return Refuse(
        where, absl::StrCat(entry.key, " already has the value \"", absl::CHexEscape(entry.value),
                            "\"; the policy needs ", entry.key,
                            " RELAY and makemap refuses a key twice; change or remove "
                            "that line by hand"));
  }
  const KeyParts parts = Classify(entry.key);
  if (parts.kind == KeyKind::kOther) {
    if (parts.tag == "from") {
      warnings.push_back(absl::StrCat(where, ": ", entry.key,
                                      " RELAY takes effect only with FEATURE(`relay_mail_from'), "
                                      "which relayguard removes; kept"));
    }
    return true;
  }
  if (wanted.networks.MarkPresent(entry.key) || wanted.domains.MarkPresent(entry.key) ||
      IsLoopback(parts)) {
    return true;
  }
  if (parts.kind == KeyKind::kName && wanted.relay_domains.count(parts.body) > 0) {
    if (parts.tag != "to") {
      warnings.push_back(absl::StrCat(where, ": ", entry.key,
                                      " RELAY also lets clients named under ", parts.body,
                                      " relay to anywhere (the policy only asks for relaying to "
                                      "it); kept"));
    }
    return true;
  }
  return false;
}

// Joins pieces of (content, ending): every piece but the last ends a line; the last one ends
// with a newline exactly when the original file did.
std::string Render(const std::vector<std::pair<absl::string_view, absl::string_view>>& pieces,
                   absl::string_view ending, bool final_newline) {
  std::string out;
  for (size_t k = 0; k < pieces.size(); ++k) {
    absl::string_view e = pieces[k].second.empty() ? ending : pieces[k].second;
    if (k + 1 == pieces.size() && !final_newline) e = "";
    absl::StrAppend(&out, pieces[k].first, e);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> AccessKeysFor(const Cidr& network) {
  const std::array<uint8_t, 16>& b = network.address.bytes;
  const bool v6 = network.address.family == IpFamily::kV6;
  const bool v4_mapped = v6 && network.prefix_length >= 96 && b[10] == 0xff && b[11] == 0xff &&
                         std::all_of(b.begin(), b.begin() + 10, [](uint8_t x) { return x == 0; });
  if (v4_mapped) {  // Sendmail writes such clients as dotted quads
    Cidr v4;
    v4.address.family = IpFamily::kV4;
    std::copy(b.begin() + 12, b.end(), v4.address.bytes.begin());
    v4.prefix_length = network.prefix_length - 96;
    return AccessKeysFor(v4);
  }
  const int unit_bits = v6 ? 16 : 8;
  const int prefix = network.prefix_length;
  int units = (prefix + unit_bits - 1) / unit_bits;
  if (!v6 && units == 0) units = 1;               // there is no empty IPv4 key: 0/0 is 0..255
  const int spread = units * unit_bits - prefix;  // low bits of the last unit left free
  if (spread > 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("network ", network.ToString(), " needs ", uint64_t{1} << spread,
                     " access keys (more than 256): Sendmail matches ", v6 ? "IPv6" : "IPv4",
                     " networks by whole ", v6 ? "16-bit groups" : "octets",
                     "; use a prefix length closer to a multiple of ", unit_bits));
  }
  if (units == 0) return std::vector<std::string>{"Connect:IPv6"};  // ::/0
  std::vector<uint32_t> values;
  for (int k = 0; k < units; ++k) {
    values.push_back(v6 ? (uint32_t{b[2 * k]} << 8) | b[2 * k + 1] : uint32_t{b[k]});
  }
  values.back() &= ~((uint32_t{1} << spread) - 1);  // host bits
  const uint32_t base = values.back();
  std::vector<std::string> keys;
  for (uint32_t i = 0; i < (uint32_t{1} << spread); ++i) {
    values.back() = base | i;
    if (v6) {
      keys.push_back(absl::StrCat("Connect:IPv6:",
                                  absl::StrJoin(values, ":", [](std::string* out, uint32_t v) {
                                    absl::StrAppend(out, absl::Hex(v));
                                  })));
    } else {
      keys.push_back(absl::StrCat("Connect:", absl::StrJoin(values, ".")));
    }
  }
  return keys;
}

absl::StatusOr<SendmailEdit> EditAccessFile(std::string_view std_text, const AccessPolicy& want,
                                            std::string_view std_path) {
  const absl::string_view text(std_text.data(), std_text.size());
  const absl::string_view path(std_path.data(), std_path.size());
  ASSIGN_OR_RETURN(Wanted wanted, WantedFor(want, path));
  const std::vector<Line> lines = SplitLines(text);
  SendmailEdit edit;
  std::vector<bool> drop(lines.size(), false);
  for (size_t i = 0; i < lines.size(); ++i) {
    const Line& line = lines[i];
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
    ASSIGN_OR_RETURN(bool keep, KeepEntry(*entry, Where(path, i), wanted, edit.warnings));
    if (keep) continue;
    drop[i] = true;
    edit.changed.push_back(absl::StrCat("-access ", entry->key, " RELAY"));
  }
  std::vector<std::string> appended;
  for (const WantedKeys* keys : {&wanted.networks, &wanted.domains}) {
    for (size_t k = 0; k < keys->keys.size(); ++k) {
      if (keys->present[k]) continue;
      appended.push_back(absl::StrCat(keys->keys[k], "\tRELAY"));
      edit.changed.push_back(absl::StrCat("access ", keys->keys[k], " RELAY"));
    }
  }
  if (edit.changed.empty()) {
    edit.text = std::string(text);
    return edit;
  }
  // Every kept line keeps its bytes; only the last line's ending follows the original's.
  const absl::string_view ending = FileEnding(text, lines);
  std::vector<std::pair<absl::string_view, absl::string_view>> pieces;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (drop[i]) continue;
    pieces.emplace_back(text.substr(lines[i].begin, lines[i].content_end - lines[i].begin),
                        text.substr(lines[i].content_end, lines[i].end - lines[i].content_end));
  }
  for (const std::string& line : appended) pieces.emplace_back(line, ending);
  edit.text = Render(pieces, ending, text.empty() || text.back() == '\n');
  return edit;
}

std::vector<std::string> AccessRelayKeys(std::string_view std_text) {
  const absl::string_view text(std_text.data(), std_text.size());
  std::vector<std::string> keys;
  for (const Line& line : SplitLines(text)) {
    std::optional<Entry> entry = ParseEntry(text.substr(line.begin, line.content_end - line.begin));
    if (entry && IsRelay(entry->value)) keys.emplace_back(entry->key);
  }
  return keys;
}

}  // namespace relayguard::agent::sendmail
