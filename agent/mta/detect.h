// Which MTA drives this host: the one the operator named, else the one installed (and, when
// several are, the one running). Pure: the caller looks at the machine and passes what it saw.
#ifndef RELAYGUARD_AGENT_MTA_DETECT_H_
#define RELAYGUARD_AGENT_MTA_DETECT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace relayguard::agent {

struct MtaCandidate {
  std::string kind;      // "postfix", "exim", "sendmail"
  bool installed = false;  // its binary and its configuration exist
  bool running = false;    // its daemon runs for that configuration
  std::string where;       // what was looked at, for messages ("/usr/sbin/postconf, /etc/postfix/main.cf")
};

// The kind to drive. NotFound when none is installed; FailedPrecondition when several are and
// not exactly one of them runs. Both messages list what was found and say to pass --mta.
absl::StatusOr<std::string> DetectMta(const std::vector<MtaCandidate>& candidates);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MTA_DETECT_H_
