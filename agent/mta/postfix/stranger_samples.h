// Sample strangers: the lookup keys that clients relayguard does not trust would present to a
// regexp:/pcre: access table (lookup_table.h JudgeEntry). A pattern cannot be proven narrow in
// general, so it is run against these: a pattern that matches strangers in two different
// networks or domains (or the probe's own address or recipient) grants strangers; a partner's
// narrow rule matches at most one group. The octets are deliberately uncommon so that a rule
// naming one host ("^192\.0\.2\.7$") never hits a sample by chance.
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_STRANGER_SAMPLES_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_STRANGER_SAMPLES_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "agent/policy/policy.h"

namespace relayguard::agent::postfix {

struct StrangerSample {
  std::string text;   // the lookup key as Postfix presents it: "203.97.41.12", "2001:db8::2f",
                      // "mail.example.net", "postmaster@example.org"
  std::string group;  // the /16 (IPv4), /32 (IPv6) or registered domain it belongs to
  // The probe's untrusted source address, the name "unknown" (every client without a
  // forward-confirmed host name) or the probe's foreign recipient: one match is enough.
  bool decisive = false;
};

// What a client presents to check_client_access: for each /8 from 0 to 223 four addresses in
// different /16s, ten IPv6 addresses in different /32s (2001:db8::/32, 3fff::/20 and other
// global unicast shapes), the policy's untrusted probe source (decisive), and host names:
// "unknown" (decisive), "relayguard-probe.invalid", "mail.example.net", "smtp.example.org",
// "mx1.example.com", dynamic-looking names under provider domains, "mail.example.co.uk".
// Addresses inside the policy's trusted networks or partners are left out.
std::vector<StrangerSample> ClientSamples(const Policy& policy);

// Foreign recipients a relay abuser would ask for: the policy's probe recipient (decisive),
// "postmaster@example.org", "postmaster@example.com", "abuse@example.com",
// "victim@[192.0.2.1]", "info@mail.example.co.uk", "user%example.net@relayguard-probe.invalid",
// "someone@example.de". Recipients in the policy's relay_domains (or below them) are left out.
std::vector<StrangerSample> RecipientSamples(const Policy& policy);

// Whether `name` (lower case, no leading dot) is a public suffix under which anyone can
// register: a single label ("com") or a common two-label suffix ("co.uk", "com.au").
bool IsPublicSuffix(absl::string_view name);

// The registered domain of a host or mail domain: "mail.example.co.uk" -> "example.co.uk",
// "a.b.example.net" -> "example.net", "[192.0.2.1]" -> "[192.0.2.1]".
std::string RegisteredDomain(absl::string_view name);

// Whether domain `name` is `domain` or lies below it (both lower case).
bool InDomain(absl::string_view name, absl::string_view domain);

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_STRANGER_SAMPLES_H_
