#include "agent/mta/sendmail/relay_class.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "agent/mta/sendmail/access_keys.h"

namespace relayguard::agent::sendmail {
namespace {

// The class name after 'C' or 'F' ("R" or "{R}"), and the rest of the line; nullopt for other
// classes.
std::optional<absl::string_view> ClassRLine(absl::string_view line, char kind) {
  if (line.empty() || line.front() != kind) return std::nullopt;
  line.remove_prefix(1);
  if (absl::ConsumePrefix(&line, "{R}") || absl::ConsumePrefix(&line, "R")) return line;
  return std::nullopt;
}

ClassFile ParseFileLine(absl::string_view rest, size_t cf_line) {
  ClassFile f;
  f.cf_line = cf_line;
  f.spec = std::string(absl::StripAsciiWhitespace(rest));
  absl::string_view p = absl::StripLeadingAsciiWhitespace(rest);
  if (absl::StartsWith(p, "-o")) {  // sendmail: "-o" and the rest of that word
    f.optional = true;
    while (!p.empty() && !absl::ascii_isspace(static_cast<unsigned char>(p.front()))) {
      p.remove_prefix(1);
    }
    p = absl::StripLeadingAsciiWhitespace(p);
  }
  const bool program = absl::StartsWith(p, "|");
  const bool map = !absl::StartsWith(p, "/") && absl::StrContains(p, '@');
  if (program || map || p.empty()) return f;  // not a plain file: path stays empty
  size_t end = 0;
  while (end < p.size() && !absl::ascii_isspace(static_cast<unsigned char>(p[end]))) ++end;
  f.path = std::string(p.substr(0, end));
  f.format = std::string(absl::StripAsciiWhitespace(p.substr(end)));
  return f;
}

// "%[^#]", "%[^\#]": every word up to the first '#'.
bool CutsAtHash(absl::string_view format) {
  std::string f(format);
  f.erase(std::remove(f.begin(), f.end(), '\\'), f.end());
  return f == "%[^#]";
}

}  // namespace

ClassRSources ClassRSourcesOf(absl::string_view std_cf) {
  const absl::string_view cf(std_cf.data(), std_cf.size());
  ClassRSources sources;
  size_t number = 0;
  for (absl::string_view line : absl::StrSplit(cf, '\n')) {
    ++number;
    line = absl::StripSuffix(line, "\r");
    if (std::optional<absl::string_view> words = ClassRLine(line, 'C')) {
      for (absl::string_view w :
           absl::StrSplit(*words, absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
        sources.words.push_back({std::string(w), number});
      }
    } else if (std::optional<absl::string_view> rest = ClassRLine(line, 'F')) {
      sources.files.push_back(ParseFileLine(*rest, number));
    }
  }
  return sources;
}

std::optional<std::vector<ClassWord>> ClassFileWords(absl::string_view std_text,
                                                     absl::string_view std_format) {
  const absl::string_view format(std_format.data(), std_format.size());
  const bool first_word = format.empty() || format == "%s";
  if (!first_word && !CutsAtHash(format)) return std::nullopt;
  std::vector<ClassWord> words;
  size_t number = 0;
  for (absl::string_view line :
       absl::StrSplit(std_text, '\n')) {
    ++number;
    if (absl::StartsWith(line, "#")) continue;
    line = line.substr(0, line.find('#'));
    for (absl::string_view w :
         absl::StrSplit(line, absl::ByAnyChar(" \t\r\f\v"), absl::SkipEmpty())) {
      words.push_back({std::string(w), number});
      if (first_word) break;
    }
  }
  return words;
}

std::optional<ClassMember> JudgeClassMember(absl::string_view word, const AccessPolicy& policy) {
  const std::string lower = absl::AsciiStrToLower(word);
  ClassMember m;
  if (IsAddressKey(lower)) {
    std::optional<Cidr> network = AccessKeyNetwork(lower);
    if (!network) return std::nullopt;  // matches no client address
    if ((network->prefix_length == 32 &&
         network->address == IpAddress{IpFamily::kV4, {127, 0, 0, 1}}) ||
        (network->prefix_length == 128 &&
         network->address ==
             IpAddress{IpFamily::kV6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}})) {
      return std::nullopt;
    }
    m.grants = absl::StrCat("lets clients in ", network->ToString(), " relay");
    if (network->address.family == IpFamily::kV4 && network->address.bytes[0] == 0) {
      m.reason = "no client has an address in 0.0.0.0/8, but the member reads as \"everyone\"";
    } else {
      m.reason = StrangerGrantReason(*network, policy);
    }
    return m;
  }
  const absl::string_view name = absl::StripPrefix(lower, ".");
  if (name == "localhost" || absl::StartsWith(name, "localhost.")) return std::nullopt;
  m.grants = absl::StrCat("lets clients named under ", name, " relay, and anyone relay to ", name);
  std::vector<absl::string_view> labels = absl::StrSplit(name, '.', absl::SkipEmpty());
  if (labels.size() < 2) {
    m.reason = "a name of fewer than two labels covers strangers";
  } else if (!policy.stranger_grant) {
    m.reason = "the policy lets only authenticated clients relay";
  } else {
    bool relay_domain = false;
    for (const std::string& d : policy.relay_domains) {
      relay_domain = relay_domain || absl::EqualsIgnoreCase(d, name);
    }
    if (!relay_domain) {
      m.note = absl::StrCat(name, " is not one of the policy's relay domains");
    }
  }
  return m;
}

}  // namespace relayguard::agent::sendmail
