#include "agent/mta/sendmail/access_grants.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "agent/mta/sendmail/access_keys.h"

namespace relayguard::agent::sendmail {
namespace {

constexpr char kAuthOnly[] = "the policy lets only authenticated clients relay";

// "From", "GreetPause", "SRV_Features": what may stand before the ':' of a tag. A bracketed
// "[IPv6:...]" host name has none.
bool IsTag(absl::string_view prefix) {
  if (prefix.empty()) return false;
  for (char c : prefix) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

absl::string_view WithoutBrackets(absl::string_view body) {
  if (body.size() >= 2 && body.front() == '[' && body.back() == ']') {
    return body.substr(1, body.size() - 2);
  }
  return body;
}

// Keys Sendmail trusts anyway (ruleset Relay_ok): 127.0.0.1, ::1 and the local host's names.
bool IsLoopback(const KeyParts& parts) {
  if (parts.kind == KeyKind::kAddress) {
    std::optional<Cidr> network = AccessKeyNetwork(parts.body);
    return network &&
           ((network->prefix_length == 32 &&
             network->address == IpAddress{IpFamily::kV4, {127, 0, 0, 1}}) ||
            (network->prefix_length == 128 &&
             network->address ==
                 IpAddress{IpFamily::kV6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}));
  }
  if (parts.kind != KeyKind::kName) return false;
  const absl::string_view body = WithoutBrackets(parts.body);
  return body == "localhost" || absl::StartsWith(body, "localhost.");
}

// How many labels a name has ("mx.partner.example" 3, ".example.com" 2, "com" 1, "" 0).
size_t Labels(absl::string_view name) {
  std::vector<absl::string_view> labels = absl::StrSplit(name, '.', absl::SkipEmpty());
  return labels.size();
}

bool IsRelayDomain(absl::string_view name, const AccessPolicy& policy) {
  for (const std::string& d : policy.relay_domains) {
    if (absl::EqualsIgnoreCase(d, name)) return true;
  }
  return false;
}

RelayGrant Delete(std::string grants, std::string reason) {
  RelayGrant g;
  g.action = RelayGrant::Action::kDelete;
  g.grants = std::move(grants);
  g.reason = std::move(reason);
  return g;
}

RelayGrant JudgeAddress(const KeyParts& parts, const AccessPolicy& policy) {
  std::optional<Cidr> network = AccessKeyNetwork(parts.body);
  RelayGrant g;
  if (!network) {
    g.warning =
        "matches no client address (Sendmail writes them without leading zeros, "
        "IPv6 uncompressed); kept";
    return g;
  }
  g.grants = absl::StrCat("lets clients in ", network->ToString(), " relay");
  if (network->address.family == IpFamily::kV4 && network->address.bytes[0] == 0) {
    return Delete(std::move(g.grants),
                  "no client has an address in 0.0.0.0/8, but the key reads as \"everyone\"");
  }
  std::string reason = StrangerGrantReason(*network, policy);
  if (!reason.empty()) return Delete(std::move(g.grants), std::move(reason));
  g.admin_grant = true;
  return g;
}

RelayGrant JudgeName(absl::string_view key, const KeyParts& parts, const AccessPolicy& policy) {
  const absl::string_view name = parts.body;
  const bool recipient_only =
      parts.tag == "to" || (parts.tag.empty() && absl::StrContains(name, '@'));
  if (recipient_only) {
    return Delete(absl::StrCat("lets anyone relay to ", name),
                  "it is not one of the policy's relay domains");
  }
  if (IsRelayDomain(name, policy)) {
    RelayGrant g;
    g.warning = absl::StrCat("also lets clients named under ", name,
                             " relay to anywhere (the policy only asks for relaying to it); kept");
    return g;
  }
  std::string grants =
      absl::StrCat("lets clients whose reverse DNS name is ", name, " or under it relay");
  if (Labels(name) < 2) {
    return Delete(absl::StrCat("lets every client named under \"", name, "\" relay"),
                  "a name of fewer than two labels covers strangers");
  }
  if (!policy.stranger_grant) return Delete(std::move(grants), kAuthOnly);
  RelayGrant g;
  g.grants = std::move(grants);
  g.admin_grant = true;
  if (parts.tag.empty()) {
    g.action = RelayGrant::Action::kRetag;
    g.retag_key = absl::StrCat("Connect:", key);
    g.reason = absl::StrCat("the untagged key also lets anyone relay to ", name,
                            ", which is not one of the policy's relay domains");
  }
  return g;
}

}  // namespace

AccessPolicy AccessPolicyFor(const Policy& policy) {
  AccessPolicy want;
  want.relay_domains = policy.relay_domains;
  if (policy.require_auth) return want;
  want.relay_networks = RelayClients(policy);
  want.stranger_grant = [policy](const Cidr& network) -> std::string {
    if (!GrantsStrangers(policy, network)) return "";
    const IpAddress& stranger = policy.probe.untrusted_source;
    if (stranger.family == network.address.family && network.Contains(stranger)) {
      return absl::StrCat("it contains the untrusted probe source ", stranger.ToString());
    }
    return absl::StrCat(
        "it is wider than /",
        network.address.family == IpFamily::kV4 ? kWidestPartnerV4 : kWidestPartnerV6,
        " (more than one partner's network)");
  };
  return want;
}

KeyParts ClassifyAccessKey(absl::string_view key) {
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
  parts.kind = parts.tag != "to" && IsAddressKey(body)
                   ? KeyKind::kAddress
                   : KeyKind::kName;
  return parts;
}

std::string StrangerGrantReason(const Cidr& network, const AccessPolicy& policy) {
  if (!policy.stranger_grant) return kAuthOnly;
  return policy.stranger_grant(network);
}

RelayGrant JudgeRelayEntry(absl::string_view key, const AccessPolicy& policy) {
  const KeyParts parts = ClassifyAccessKey(key);
  if (parts.kind == KeyKind::kOther || IsLoopback(parts)) return RelayGrant{};
  if (parts.kind == KeyKind::kAddress) return JudgeAddress(parts, policy);
  return JudgeName(key, parts, policy);
}

}  // namespace relayguard::agent::sendmail
