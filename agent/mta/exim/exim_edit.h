// What a relay policy asks of Exim, and the result of editing one Exim configuration file.
#ifndef RELAYGUARD_AGENT_MTA_EXIM_EXIM_EDIT_H_
#define RELAYGUARD_AGENT_MTA_EXIM_EXIM_EDIT_H_

#include <string>
#include <vector>

#include "common/cidr.h"

namespace relayguard::agent::exim {

// What a relay policy needs of Exim.
struct EximRelaySettings {
  std::vector<Cidr> relay_from_hosts;         // may be empty (require_auth)
  std::vector<std::string> relay_to_domains;  // validated hostnames; may be empty
};

// Something in the configuration that lets strangers relay, or may (unproven), found while
// planning an edit: what a compliance check reports, per listener.
struct RelayOpening {
  std::string setting;  // "ACL acl_check_rcpt accept (line 31)", "hostlist relay_from_hosts"
  std::string what;     // what it grants: "every recipient on port 2626 ($received_port)"
  std::string where;    // "PATH:LINE" of the offending item (a host list file's entry line)
  std::vector<std::string> listeners;  // Listener::Name() of those it opens; empty: the host
  bool unproven = false;               // relayguard cannot tell what it grants
};

struct EximEdit {
  std::string text;  // the whole new file; == input when nothing changes
  std::vector<std::string>
      changed;  // e.g. "hostlist relay_from_hosts", "acl_check_rcpt relay rule"
  std::vector<std::string> warnings;  // things an operator should know, each "PATH:LINE: ..."
  // The admin's narrow grants that were kept: "PATH:LINE: what it grants".
  std::vector<std::string> kept;
  // What lets strangers relay in the text as it was (empty when it refuses to relay).
  std::vector<RelayOpening> openings;
};

}  // namespace relayguard::agent::exim

#endif  // RELAYGUARD_AGENT_MTA_EXIM_EXIM_EDIT_H_
