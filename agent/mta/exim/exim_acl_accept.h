// What an `accept` statement of an RCPT ACL that stands before the relay check grants, and on
// which listeners: conditions on the port only (exim_port_condition.h) open it on the listeners
// of those ports; `encrypted = *` opens it to anyone who starts TLS; a host list with a
// catch-all (exim_host_list.h) opens it; a host list of narrow entries is the admin's partner
// rule; a host list relayguard cannot evaluate leaves it unproven; any other condition (senders,
// verify, ...) may accept foreign recipients and needs a relay check in front of it.
#ifndef RELAYGUARD_AGENT_MTA_EXIM_EXIM_ACL_ACCEPT_H_
#define RELAYGUARD_AGENT_MTA_EXIM_EXIM_ACL_ACCEPT_H_

#include <string>
#include <vector>

#include "agent/mta/exim/exim_acl.h"
#include "agent/mta/exim/exim_config_text.h"
#include "agent/mta/exim/exim_host_list.h"
#include "agent/mta/listener.h"

namespace relayguard::agent::exim {

// What the RCPT ACL rules need beyond the text.
struct RcptAclContext {
  // The daemon's listeners (internal ones marked); unset: unknown, a port condition counts for
  // every port.
  std::optional<std::vector<Listener>> listeners;
  HostListContext hosts;
};

enum class AcceptGrant {
  kDormant,   // its port conditions hold on no listener other hosts can reach: left alone
  kPartner,   // only narrow host list entries: kept
  kOpen,      // strangers relay through it: neutralised
  kUnproven,  // a host list relayguard cannot evaluate
  kOther,     // other conditions: a relay check goes in front of it
};

struct AcceptAnalysis {
  AcceptGrant grant = AcceptGrant::kOther;
  std::string what;                    // "every recipient from every host on port 2626"
  std::vector<HostItem> items;         // kOpen/kUnproven: the offending items; kPartner: kept
  std::vector<HostItem> lost;          // kOpen: narrow items of the same list, which lose
                                       // their grant when the accept is neutralised
  std::vector<std::string> listeners;  // Listener::Name() of the listeners it opens
  std::string where;                   // "PATH:LINE" of the first offending item
};

// Analyses accept statement `s` (one CouldAcceptForeign in exim_rcpt_acl.cc: no hosts =
// +relay_from_hosts, authenticated or domains restriction).
AcceptAnalysis AnalyseAccept(const ConfigText& text, const AclStatement& s,
                             const RcptAclContext& context);

}  // namespace relayguard::agent::exim

#endif  // RELAYGUARD_AGENT_MTA_EXIM_EXIM_ACL_ACCEPT_H_
