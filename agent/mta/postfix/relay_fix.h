// Closing every Postfix listener to strangers with the smallest edit that does it, where the
// rule that opens it is written (main.cf, or the service's -o override in master.cf), and
// keeping every other rule of the admin in its place (issue 11):
//  - a service's `-o mynetworks=...` that holds strangers (or that relayguard cannot judge) is
//    removed: the service then uses main.cf's mynetworks (the policy's relay clients);
//  - the list that decides relaying for the service (smtpd_relay_restrictions; the recipient
//    list before Postfix 2.10, or when the relay list is empty) is edited element by element:
//    `permit` before the closing element goes; a table or restriction class that lets strangers
//    through moves to just after the closing element (it still applies to local mail); a
//    missing closing element is added (reject_unauth_destination on relay listeners, reject on
//    submission ones); defer_unauth_destination/defer become reject_unauth_destination/reject
//    (a 4xx proves nothing to a probe); relay listeners keep permit_mynetworks (added first if
//    the trusted networks relayed through `permit`), submission listeners get
//    permit_sasl_authenticated, and so do listeners the policy's auth section offers AUTH on;
//    under require_auth permit_mynetworks goes and permit_sasl_authenticated is ensured.
// Internal listeners are never edited. Every edit is idempotent: fixing a fixed configuration
// changes nothing.
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_RELAY_FIX_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_RELAY_FIX_H_

#include <string>
#include <vector>

#include "agent/mta/mta_driver.h"
#include "agent/mta/postfix/lookup_table.h"
#include "agent/mta/postfix/postfix_config.h"
#include "agent/mta/postfix/postfix_listeners.h"
#include "agent/mta/postfix/relay_judgement.h"
#include "agent/policy/policy.h"

namespace relayguard::agent::postfix {

struct FixResult {
  // What was edited and where: "main.cf:31 smtpd_relay_restrictions",
  // "master.cf:14 smtp2/inet -o mynetworks" (each once, in the order edited).
  std::vector<std::string> changed;
  // One per listener and edit, for CheckDrift (listener, where, before and after).
  std::vector<SettingDrift> drift;
  std::vector<std::string> warnings;  // "PATH:LINE: moved ... after ...: why"
  std::vector<std::string> kept;      // the admin's narrow grants, "PATH:LINE: ... (kept: why)"
  // Listeners the edits cannot prove closed (a table relayguard cannot read, a rule it does not
  // understand), each "listener NAME: why": Render refuses, CheckDrift reports them unproven.
  std::vector<std::string> unfixable;
};

// Edits config.main_cf and config.master_cf in place so that no non-internal listener of
// `listeners` relays for strangers. main.cf's own mynetworks must already be the policy's relay
// clients (DesiredSettings). The expanded values in `config` are those of the configuration
// before the edits (they are only used for $name inside words and for default values).
FixResult FixListeners(PostfixConfig& config, const std::vector<PostfixListener>& listeners,
                       const Policy& policy, const TableAccess& tables);

// What lets strangers relay through each non-internal listener right now (mynetworks as it is),
// or cannot be judged (`unproven`), as drift entries naming the listener and the file:line of
// the rule (a table entry's own line). Kept admin grants go to `kept` when not null.
std::vector<SettingDrift> ListenerFindings(const PostfixConfig& config,
                                           const std::vector<PostfixListener>& listeners,
                                           const Policy& policy, const TableAccess& tables,
                                           std::vector<std::string>* kept = nullptr);

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_RELAY_FIX_H_
