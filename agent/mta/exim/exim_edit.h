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

struct EximEdit {
  std::string text;  // the whole new file; == input when nothing changes
  std::vector<std::string>
      changed;  // e.g. "hostlist relay_from_hosts", "acl_check_rcpt relay rule"
  std::vector<std::string> warnings;  // things an operator should know, each "PATH:LINE: ..."
};

}  // namespace relayguard::agent::exim

#endif  // RELAYGUARD_AGENT_MTA_EXIM_EXIM_EDIT_H_
