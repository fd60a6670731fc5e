// What a relay policy means in Postfix main.cf parameters, and the semantic checks relayguard
// runs on effective values (Postfix's own checkers accept `mynetworks = 127.0.0.1/33`, and an
// smtpd without any relay restriction refuses to start only when a client connects).
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_POSTFIX_SETTINGS_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_POSTFIX_SETTINGS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/policy/policy.h"

namespace relayguard::agent::postfix {

struct PostfixVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;
  // smtpd_relay_restrictions exists from Postfix 2.10 on; before, relay control lives in
  // smtpd_recipient_restrictions.
  bool HasRelayRestrictions() const { return major > 2 || (major == 2 && minor >= 10); }
};

// Parses "3.7.11", "2.9.6", "3.8-20221006". InvalidArgument otherwise.
absl::StatusOr<PostfixVersion> ParsePostfixVersion(absl::string_view text);

// How two values of one parameter are compared.
enum class Compare {
  kList,      // comma/space separated tokens, order matters, spacing does not
  kNetworks,  // like kList, but addresses compared as canonical CIDRs ([::1]/128 == ::1/128)
  kExact,     // trimmed text
};

struct DesiredSetting {
  std::string name;
  std::string value;  // as written into main.cf
  Compare compare = Compare::kExact;
};

// The host-wide main.cf parameters `policy` sets, in the order they are applied: mynetworks
// (the policy's relay clients), relay_domains, smtpd_sasl_auth_enable (require_auth without an
// auth section; with one, smtp_auth.h sets it per listener), the TLS level. The
// restriction lists are edited element by element per listener instead (relay_fix.h).
std::vector<DesiredSetting> DesiredSettings(const Policy& policy);

// Whether `current` already satisfies `desired` under its comparison.
bool SettingHolds(const DesiredSetting& desired, absl::string_view current);

// Splits a Postfix list value on commas and whitespace.
std::vector<std::string> SplitPostfixList(absl::string_view value);

// Postfix's spelling of a network: 192.0.2.0/24, [2001:db8::]/32.
std::string PostfixNetwork(const Cidr& cidr);

// Semantic checks on effective values (`postconf -x -h`): some relay restriction list must
// contain reject_unauth_destination, defer_unauth_destination, reject or defer (else smtpd
// refuses every client), and every address-like mynetworks entry must be a valid CIDR.
// FailedPrecondition naming the parameter and the value otherwise.
absl::Status CheckRelaySafety(const std::map<std::string, std::string>& effective);

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_POSTFIX_SETTINGS_H_
