// JudgeEntry (lookup_table.h): does one table entry let a stranger relay?
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "agent/mta/postfix/lookup_table.h"
#include "agent/mta/postfix/stranger_samples.h"
#include "agent/mta/postfix/table_patterns.h"
#include "agent/mta/postfix/table_text.h"

namespace relayguard::agent::postfix {
namespace {

// A cidr: entry whose "!" and "if" blocks leave more pieces than this is not worth splitting.
constexpr size_t kMaxCidrBlocks = 4096;

EntryJudgement Grants(std::string why) { return {true, false, std::move(why)}; }
EntryJudgement Narrow(std::string why) { return {false, false, std::move(why)}; }
EntryJudgement Unproven(std::string why) { return {false, true, std::move(why)}; }

// "0.0.0.0/0 OK", "static:OK", "/^mail\./ OK (inside if !/^10\./)" for messages.
std::string Describe(const LookupTable& table, const TableEntry& entry) {
  std::string text = entry.pattern.empty() && table.type == "static"
                         ? absl::StrCat("static:", entry.action)
                         : absl::StrCat(entry.pattern, " ", entry.action);
  if (!entry.conditions.empty()) {
    absl::StrAppend(&text, " (inside if ", absl::StrJoin(entry.conditions, ", if "), ")");
  }
  return std::string(TrimTableSpace(text));
}

bool IsRegexTable(const LookupTable& table) {
  return table.type == "regexp" || table.type == "pcre";
}

RegexDialect DialectOf(const LookupTable& table) {
  return table.type == "pcre" ? RegexDialect::kPcre : RegexDialect::kPosix;
}

// Whether a regexp:/pcre: result could permit once $1, ${1}, $(1) are replaced by the matched
// text (assume the worst: the text is "permit").
bool PermitsAfterSubstitution(absl::string_view action) {
  std::string replaced;
  for (size_t i = 0; i < action.size(); ++i) {
    if (action[i] != '$') {
      replaced += action[i];
      continue;
    }
    if (i + 1 < action.size() && action[i + 1] == '$') {
      replaced += '$';
      ++i;
      continue;
    }
    size_t j = i + 1;
    if (j < action.size() && (action[j] == '{' || action[j] == '(')) {
      const char close = action[j] == '{' ? '}' : ')';
      j = action.find(close, j);
      j = j == absl::string_view::npos ? action.size() : j + 1;
    } else {
      while (j < action.size() && absl::ascii_isalnum(static_cast<unsigned char>(action[j]))) ++j;
    }
    replaced += "permit";
    i = j - 1;
  }
  return IsPermitAction(replaced);
}

// --- cidr: address sets -------------------------------------------------------------------

bool Inside(const Cidr& inner, const Cidr& outer) {
  return inner.address.family == outer.address.family &&
         outer.prefix_length <= inner.prefix_length && outer.Contains(inner.address);
}

// `block` without `hole`: the sibling blocks along the path from `block` down to `hole`.
std::vector<Cidr> Subtract(const Cidr& block, const Cidr& hole) {
  if (Inside(block, hole)) return {};
  if (!Inside(hole, block)) return {block};
  std::vector<Cidr> out;
  Cidr current = block;
  while (current.prefix_length < hole.prefix_length) {
    const int bit = current.prefix_length;
    Cidr low = current;
    low.prefix_length = bit + 1;
    Cidr high = low;
    high.address.bytes[bit / 8] |= static_cast<uint8_t>(0x80u >> (bit % 8));
    const bool hole_high = high.Contains(hole.address);
    out.push_back(hole_high ? low : high);
    current = hole_high ? high : low;
  }
  return out;
}

EntryJudgement JudgeClientCidr(const LookupTable& table, const TableEntry& entry,
                               const Policy& policy) {
  absl::StatusOr<CidrPattern> own = ParseCidrPattern(entry.pattern);
  if (!own.ok()) {
    return Unproven(
        absl::StrCat("cannot read cidr pattern \"", entry.pattern, "\": ", own.status().message()));
  }
  std::vector<CidrPattern> clauses;
  for (const std::string& condition : entry.conditions) {
    absl::StatusOr<CidrPattern> parsed = ParseCidrPattern(condition);
    if (!parsed.ok()) {
      return Unproven(
          absl::StrCat("cannot read cidr condition \"", condition, "\": ", parsed.status().message()));
    }
    clauses.push_back(*parsed);
  }
  clauses.push_back(*own);
  const IpFamily family = own->network.address.family;
  // Postfix applies an "if", "!net" and "net" only to addresses of the pattern's own family.
  Cidr positive{IpAddress{family, {}}, 0};
  for (const CidrPattern& clause : clauses) {
    if (clause.network.address.family != family) {
      return Narrow(absl::StrCat("matches no address: ", Describe(table, entry),
                             " mixes IPv4 and IPv6 patterns"));
    }
    if (clause.negated) continue;
    if (Inside(clause.network, positive)) {
      positive = clause.network;
    } else if (!Inside(positive, clause.network)) {
      return Narrow(absl::StrCat("matches no address: ", Describe(table, entry)));
    }
  }
  std::vector<Cidr> blocks{positive};
  for (const CidrPattern& clause : clauses) {
    if (!clause.negated) continue;
    std::vector<Cidr> next;
    for (const Cidr& block : blocks) {
      for (Cidr& piece : Subtract(block, clause.network)) next.push_back(piece);
    }
    blocks = std::move(next);
    if (blocks.size() > kMaxCidrBlocks) {
      return Unproven(
          absl::StrCat(Describe(table, entry), " splits into more than ", kMaxCidrBlocks, " networks"));
    }
  }
  if (blocks.empty()) return Narrow(absl::StrCat("matches no address: ", Describe(table, entry)));
  std::vector<std::string> narrow;
  for (const Cidr& block : blocks) {
    if (GrantsStrangers(policy, block)) {
      const bool has_source = block.Contains(policy.probe.untrusted_source) &&
                              block.address.family == policy.probe.untrusted_source.family;
      return Grants(absl::StrCat(Describe(table, entry), " grants ",
                             block.prefix_length == 0
                                 ? "every client"
                                 : absl::StrCat("every client in ", block.ToString()),
                             has_source ? " (the probe's untrusted source included)" : ""));
    }
    narrow.push_back(block.ToString());
  }
  if (narrow.size() > 4) {
    narrow.resize(4);
    narrow.push_back("...");
  }
  return Narrow(absl::StrCat("narrow: ", absl::StrJoin(narrow, ", ")));
}

// --- indexed / texthash / inline keys -----------------------------------------------------

// The network an access(5) client address key stands for: "1.2.3.4" /32, "1.2.3" /24, "1.2"
// /16, "1" /8; an IPv6 address /128, or its leading ':'-separated parts ("2001:db8" /32).
std::optional<Cidr> ClientKeyNetwork(absl::string_view key) {
  if (key.empty()) return std::nullopt;
  if (key.find(':') != absl::string_view::npos) {
    absl::StatusOr<IpAddress> full = ParseIpAddress(key);
    if (full.ok()) return Cidr{*full, 128};
    absl::string_view parts_text = key;
    while (!parts_text.empty() && parts_text.back() == ':') parts_text.remove_suffix(1);
    if (parts_text.empty() || parts_text.find("::") != absl::string_view::npos) return std::nullopt;
    std::vector<std::string> parts = absl::StrSplit(parts_text, ':');
    if (parts.size() >= 8) return std::nullopt;
    absl::StatusOr<IpAddress> padded = ParseIpAddress(absl::StrCat(parts_text, "::"));
    if (!padded.ok()) return std::nullopt;
    return Cidr{*padded, static_cast<int>(16 * parts.size())};
  }
  std::vector<std::string> octets = absl::StrSplit(key, '.');
  if (key.find_first_not_of("0123456789.") == absl::string_view::npos && octets.size() <= 4) {
    std::string padded(key);
    for (size_t i = octets.size(); i < 4; ++i) padded += ".0";
    absl::StatusOr<IpAddress> address = ParseIpAddress(padded);
    if (address.ok()) return Cidr{*address, static_cast<int>(8 * octets.size())};
  }
  // "2001" is what remains of an IPv6 address after every ":group" is cut off.
  if (key.size() <= 4 && key.find_first_not_of("0123456789abcdef") == absl::string_view::npos) {
    absl::StatusOr<IpAddress> address = ParseIpAddress(absl::StrCat(key, "::"));
    if (address.ok()) return Cidr{*address, 16};
  }
  return std::nullopt;
}

EntryJudgement JudgeClientKey(const LookupTable& table, const TableEntry& entry,
                              const Policy& policy) {
  const std::string key = absl::AsciiStrToLower(TrimTableSpace(entry.pattern));
  if (std::optional<Cidr> network = ClientKeyNetwork(key)) {
    if (GrantsStrangers(policy, *network)) {
      return Grants(
          absl::StrCat(Describe(table, entry), " grants every client in ", network->ToString()));
    }
    return Narrow(absl::StrCat("narrow: ", network->ToString()));
  }
  if (key.find(':') != std::string::npos) {
    return Narrow(absl::StrCat("matches no client: \"", key, "\" is no address prefix"));
  }
  absl::string_view name = key;
  if (absl::StartsWith(name, ".")) name.remove_prefix(1);
  if (name == "unknown") {
    return Grants(
        absl::StrCat(Describe(table, entry), " grants every client without a verified host name"));
  }
  if (IsPublicSuffix(name)) {
    return Grants(absl::StrCat(Describe(table, entry), " grants every client named under \"", name,
                           "\", which anyone can register"));
  }
  return Narrow(absl::StrCat("narrow: clients named ", name, " or under it"));
}

EntryJudgement JudgeRecipientKey(const LookupTable& table, const TableEntry& entry,
                                 const Policy& policy) {
  const std::string key = absl::AsciiStrToLower(TrimTableSpace(entry.pattern));
  if (absl::EndsWith(key, "@")) {
    return Grants(
        absl::StrCat(Describe(table, entry), " lets that local part through in every domain"));
  }
  const size_t at = key.rfind('@');
  absl::string_view domain =
      at == std::string::npos ? absl::string_view(key) : absl::string_view(key).substr(at + 1);
  if (absl::StartsWith(domain, ".")) domain.remove_prefix(1);
  if (domain.empty() || (at != std::string::npos && at == 0)) {
    return Narrow(absl::StrCat("matches no recipient lookup: \"", key, "\""));
  }
  for (const std::string& relay_domain : policy.relay_domains) {
    if (InDomain(domain, absl::AsciiStrToLower(relay_domain))) {
      return Narrow(absl::StrCat("narrow: ", domain, " is a relay domain of the policy"));
    }
  }
  if (IsPublicSuffix(domain)) {
    return Grants(
        absl::StrCat(Describe(table, entry), " lets every domain under \"", domain, "\" through"));
  }
  const std::string& probe = policy.probe.foreign_recipient;
  const std::string probe_domain = absl::AsciiStrToLower(probe.substr(probe.rfind('@') + 1));
  if (InDomain(probe_domain, domain)) {
    return Grants(absl::StrCat(Describe(table, entry), " lets the probe's foreign recipient ", probe,
                           " through"));
  }
  return Narrow(absl::StrCat("narrow: recipients in ", domain, " (like relay_domains)"));
}

// --- regexp: / pcre: ----------------------------------------------------------------------

EntryJudgement JudgeRegexBySamples(const LookupTable& table, const TableEntry& entry,
                                   const std::vector<StrangerSample>& samples,
                                   absl::string_view who) {
  const RegexDialect dialect = DialectOf(table);
  std::vector<TableRegex> clauses;
  for (const std::string& pattern : entry.conditions) {
    absl::StatusOr<TableRegex> compiled = TableRegex::Compile(dialect, pattern);
    if (!compiled.ok()) {
      return Unproven(
          absl::StrCat("if pattern ", pattern, " does not compile: ", compiled.status().message()));
    }
    clauses.push_back(*std::move(compiled));
  }
  absl::StatusOr<TableRegex> own = TableRegex::Compile(dialect, entry.pattern);
  if (!own.ok()) {
    return Unproven(
        absl::StrCat("pattern ", entry.pattern, " does not compile: ", own.status().message()));
  }
  clauses.push_back(*std::move(own));
  std::vector<const StrangerSample*> matched;  // one per group
  std::set<std::string> groups;
  for (const StrangerSample& sample : samples) {
    bool applies = true;
    for (const TableRegex& clause : clauses) {
      absl::StatusOr<bool> match = clause.Matches(sample.text);
      if (!match.ok()) {
        return Unproven(absl::StrCat(Describe(table, entry), " cannot be evaluated on \"", sample.text,
                                 "\": ", match.status().message()));
      }
      if (!*match) {
        applies = false;
        break;
      }
    }
    if (!applies) continue;
    if (sample.decisive) {
      return Grants(absl::StrCat(Describe(table, entry), " matches ", who, " \"", sample.text, "\""));
    }
    if (groups.insert(sample.group).second) matched.push_back(&sample);
    if (matched.size() >= 2) {
      return Grants(absl::StrCat(Describe(table, entry), " matches ", who, " such as \"",
                             matched[0]->text, "\" and \"", matched[1]->text, "\""));
    }
  }
  if (matched.empty()) return Narrow(absl::StrCat("narrow: matches none of the sample ", who));
  return Narrow(absl::StrCat("narrow: of the sample ", who, " it matches only ", matched[0]->group));
}

}  // namespace

EntryJudgement JudgeEntry(const LookupTable& table, const TableEntry& entry, LookupKind kind,
                          const Policy& policy) {
  if (!IsPermitAction(entry.action)) {
    if (IsRegexTable(table) && PermitsAfterSubstitution(entry.action)) {
      return Unproven(
          absl::StrCat(Describe(table, entry), ": whether it permits depends on the matched text"));
    }
    return Narrow(absl::StrCat("not a grant: ", Describe(table, entry)));
  }
  switch (kind) {
    case LookupKind::kOther:
      return Unproven(absl::StrCat(Describe(table, entry),
                               " permits, and relayguard cannot tell who holds such a key"));
    case LookupKind::kSender:
    case LookupKind::kHelo:
    case LookupKind::kDnsDerived:
      return Grants(absl::StrCat(Describe(table, entry), " permits any client that claims the key (",
                             kind == LookupKind::kSender ? "MAIL FROM"
                             : kind == LookupKind::kHelo ? "HELO name"
                                                         : "DNS records",
                             " are chosen by the client)"));
    case LookupKind::kClient:
      if (table.type == "static") return Grants(Describe(table, entry) + " grants every client");
      if (table.type == "cidr") return JudgeClientCidr(table, entry, policy);
      if (IsRegexTable(table)) {
        return JudgeRegexBySamples(table, entry, ClientSamples(policy), "strangers");
      }
      return JudgeClientKey(table, entry, policy);
    case LookupKind::kRecipient:
      if (table.type == "static") {
        return Grants(Describe(table, entry) + " lets every recipient through");
      }
      if (table.type == "cidr") return Narrow("cidr: keys never match a mail address");
      if (IsRegexTable(table)) {
        return JudgeRegexBySamples(table, entry, RecipientSamples(policy), "foreign recipients");
      }
      return JudgeRecipientKey(table, entry, policy);
  }
  return Unproven("unknown lookup kind");
}

}  // namespace relayguard::agent::postfix
