// Which relay grants of Sendmail's access map may stay (issue 11: keep the admin's own rules).
// A RELAY entry lets some clients relay to anywhere ("Connect:" and untagged keys, by address
// or by the client's verified reverse name) or lets anyone relay to some recipients ("To:" and
// untagged names). relayguard removes only what lets strangers relay:
//  - an address key whose network (AccessKeyNetwork: Sendmail's octet or group prefixes)
//    grants strangers by the policy's rule (GrantsStrangers: it contains the untrusted probe
//    source or is wider than one partner's network), and keys in 0.0.0.0/8, which no client
//    has but which read as "everyone" ("Connect:0", "0.0.0.0");
//  - a client name of one label ("Connect:com", an empty "Connect:"): every host under a
//    top-level name;
//  - a recipient grant ("To:NAME", an untagged "NAME" or "user@NAME") for a domain that is not
//    one of the policy's relay domains: the policy says which domains strangers may relay to.
//    An untagged multi-label name is both; it becomes "Connect:NAME" (same line, same value),
//    which keeps the client grant and drops the recipient grant.
// Narrower address keys and multi-label client names are the admin's partner rules: kept and
// reported. Under require_auth every client grant goes: only authenticated users relay.
// 127.0.0.1, ::1 and localhost are kept: Sendmail lets them relay anyway (ruleset Relay_ok).
#ifndef RELAYGUARD_AGENT_MTA_SENDMAIL_ACCESS_GRANTS_H_
#define RELAYGUARD_AGENT_MTA_SENDMAIL_ACCESS_GRANTS_H_

#include <functional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "agent/policy/policy.h"
#include "common/cidr.h"

namespace relayguard::agent::sendmail {

struct AccessPolicy {
  std::vector<Cidr> relay_networks;        // RelayClients(policy): must relay (empty under auth)
  std::vector<std::string> relay_domains;  // recipient domains anyone may relay to
  // Why an admin's grant to `network` (not one of relay_networks' keys) lets strangers relay,
  // or "" when it is narrow and stays. Unset (require_auth): every admin client grant goes.
  std::function<std::string(const Cidr& network)> stranger_grant;
};

// The access map `policy` asks for: its relay clients and relay domains, judged by
// GrantsStrangers unless it requires authentication.
AccessPolicy AccessPolicyFor(const Policy& policy);

enum class KeyKind {
  kAddress,  // an IP address or network, matched against ${client_addr} (or "[addr]")
  kName,     // a host, domain or address, matched against ${client_name} or the recipient
  kOther,    // another tag (From:, Spam:, GreetPause:, ...)
};

struct KeyParts {
  KeyKind kind = KeyKind::kOther;
  std::string tag;   // "connect", "to" or "" (untagged), lower case
  std::string body;  // the key without its tag, lower case
};

KeyParts ClassifyAccessKey(absl::string_view key);

// What relayguard does with one RELAY entry that is not one of the policy's own keys.
struct RelayGrant {
  enum class Action { kKeep, kDelete, kRetag };
  Action action = Action::kKeep;
  std::string grants;        // "lets clients in 10.20.0.0/16 relay"; "" for nothing of note
  std::string reason;        // kDelete, kRetag: why the (recipient part of the) grant goes
  std::string retag_key;     // kRetag: "Connect:" + the key
  bool admin_grant = false;  // kKeep, kRetag: an admin's client grant kept on purpose
  std::string warning;       // kKeep: what the operator should know, without "PATH:LINE: "
};

// Judges a RELAY entry keyed `key` (as written) by the rules above.
RelayGrant JudgeRelayEntry(absl::string_view key, const AccessPolicy& policy);

// Judges a client grant to `network` that is not one of the policy's keys (also for the
// address prefixes of class {R}): the reason it lets strangers relay, or "" when it stays.
std::string StrangerGrantReason(const Cidr& network, const AccessPolicy& policy);

}  // namespace relayguard::agent::sendmail

#endif  // RELAYGUARD_AGENT_MTA_SENDMAIL_ACCESS_GRANTS_H_
