// smtpd_authorized_xclient_hosts: clients listed there may send XCLIENT and claim any client
// address, a trusted one included, so a stranger in that list relays as if it were in
// mynetworks (postconf(5), XCLIENT_README). The probe does not send XCLIENT, so relayguard finds
// and fixes this from the configuration alone.
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_XCLIENT_HOSTS_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_XCLIENT_HOSTS_H_

#include <optional>
#include <string>
#include <vector>

#include "agent/mta/mta_driver.h"
#include "agent/mta/postfix/postfix_config.h"
#include "agent/mta/postfix/relay_judgement.h"
#include "agent/policy/policy.h"

namespace relayguard::agent::postfix {

// What in the XCLIENT list of the service on `service_line` lets strangers in, or nullopt.
std::optional<Finding> XclientFinding(const PostfixConfig& config, int service_line,
                                      const Policy& policy);

struct XclientFix {
  std::vector<std::string> changed;  // "master.cf:14 smtp/inet -o smtpd_authorized_xclient_hosts"
  std::optional<SettingDrift> drift;
  std::string unfixable;  // why the list still lets strangers in ("" when fixed or fine)
};

// Removes what lets strangers in: the service's override when it does, else the entries of
// main.cf's list that do (a `$mynetworks` in the list is safe once mynetworks is the policy's).
// `listener` names the listener for the drift entry.
XclientFix FixXclientHosts(PostfixConfig& config, int service_line, const Policy& policy,
                           const std::string& listener);

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_XCLIENT_HOSTS_H_
