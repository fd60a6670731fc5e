#include "agent/mta/postfix/postfix_settings.h"

#include <algorithm>
#include <charconv>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/cidr.h"

namespace relayguard::agent::postfix {
namespace {

bool ParseInt(absl::string_view text, int& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// "[2001:db8::]/32" -> "2001:db8::/32"; other tokens unchanged.
std::string Unbracket(absl::string_view token) {
  if (token.size() > 1 && token.front() == '[') {
    size_t close = token.find(']');
    if (close != absl::string_view::npos) {
      return absl::StrCat(token.substr(1, close - 1), token.substr(close + 1));
    }
  }
  return std::string(token);
}

// An entry of mynetworks that is meant as an address (not a hostname, /file or type:table).
bool LooksLikeAddress(absl::string_view token) {
  if (token.empty()) return false;
  if (token.front() == '[') return true;
  if (token.find(':') != absl::string_view::npos) {
    return token.find_first_not_of("0123456789abcdefABCDEF:./") == absl::string_view::npos;
  }
  return token.find_first_not_of("0123456789./") == absl::string_view::npos;
}

std::string CanonicalNetwork(absl::string_view token) {
  auto cidr = ParseCidr(Unbracket(token));
  return cidr.ok() ? cidr->ToString() : std::string(token);
}

}  // namespace

absl::StatusOr<PostfixVersion> ParsePostfixVersion(absl::string_view text) {
  absl::string_view t = absl::StripAsciiWhitespace(text);
  std::vector<absl::string_view> parts = absl::StrSplit(t.substr(0, t.find('-')), '.');
  PostfixVersion v;
  if (parts.size() < 2 || !ParseInt(parts[0], v.major) || !ParseInt(parts[1], v.minor) ||
      (parts.size() > 2 && !ParseInt(parts[2], v.patch))) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot parse Postfix version \"", text, "\" (expected like 3.7.11)"));
  }
  return v;
}

std::vector<std::string> SplitPostfixList(absl::string_view value) {
  return absl::StrSplit(value, absl::ByAnyChar(", \t\r\n"), absl::SkipEmpty());
}

std::string PostfixNetwork(const Cidr& cidr) {
  if (cidr.address.family == IpFamily::kV4) return cidr.ToString();
  return absl::StrCat("[", cidr.address.ToString(), "]/", cidr.prefix_length);
}

std::vector<DesiredSetting> DesiredSettings(const Policy& policy) {
  std::vector<DesiredSetting> out;
  std::vector<std::string> networks;
  for (const Cidr& c : RelayClients(policy)) networks.push_back(PostfixNetwork(c));
  out.push_back({"mynetworks", absl::StrJoin(networks, ", "), Compare::kNetworks});
  if (!policy.relay_domains.empty()) {
    out.push_back({"relay_domains", absl::StrJoin(policy.relay_domains, ", "), Compare::kList});
  }
  // With an auth section, smtpd_sasl_auth_enable is set per listener (smtp_auth.h).
  if (policy.require_auth && !policy.auth) {
    out.push_back({"smtpd_sasl_auth_enable", "yes", Compare::kExact});
  }
  if (policy.tls) {
    out.push_back({"smtpd_tls_security_level", TlsLevelName(*policy.tls), Compare::kExact});
  }
  return out;
}

bool SettingHolds(const DesiredSetting& desired, absl::string_view current) {
  switch (desired.compare) {
    case Compare::kExact:
      return absl::StripAsciiWhitespace(current) == desired.value;
    case Compare::kList:
      return SplitPostfixList(current) == SplitPostfixList(desired.value);
    case Compare::kNetworks: {
      std::vector<std::string> a = SplitPostfixList(current);
      std::vector<std::string> b = SplitPostfixList(desired.value);
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        if (CanonicalNetwork(a[i]) != CanonicalNetwork(b[i])) return false;
      }
      return true;
    }
  }
  return false;
}

absl::Status CheckRelaySafety(const std::map<std::string, std::string>& effective) {
  static constexpr absl::string_view kBlocking[] = {"reject_unauth_destination",
                                                    "defer_unauth_destination", "reject", "defer"};
  bool blocked = false;
  for (const char* name : {"smtpd_relay_restrictions", "smtpd_recipient_restrictions"}) {
    auto it = effective.find(name);
    if (it == effective.end()) continue;
    for (const std::string& rule : SplitPostfixList(it->second)) {
      if (std::find(std::begin(kBlocking), std::end(kBlocking), rule) != std::end(kBlocking)) {
        blocked = true;
      }
    }
  }
  if (!blocked) {
    return absl::FailedPreconditionError(
        "neither smtpd_relay_restrictions nor smtpd_recipient_restrictions contains "
        "reject_unauth_destination, defer_unauth_destination, reject or defer: Postfix's smtpd "
        "would refuse every client");
  }
  auto it = effective.find("mynetworks");
  if (it != effective.end()) {
    for (const std::string& token : SplitPostfixList(it->second)) {
      if (!LooksLikeAddress(token)) continue;
      auto cidr = ParseCidr(Unbracket(token));
      if (!cidr.ok()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "mynetworks entry \"", token, "\" is not a valid network: ", cidr.status().message()));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace relayguard::agent::postfix
