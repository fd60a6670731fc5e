// The targets of a relay scan, as an operator writes them: "HOST:PORT" / "[V6]:PORT" (an IP
// literal), "CIDR" (every host of the network, port 25), "CIDR:PORT" / "[V6CIDR]:PORT", and
// "@FILE" (one target per line, '#' starts a comment). Pure but for reading the files, which the
// caller passes in.
#ifndef RELAYGUARD_AGENT_PROBE_SCAN_TARGETS_H_
#define RELAYGUARD_AGENT_PROBE_SCAN_TARGETS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/probe/relay_probe.h"

namespace relayguard::agent {

using FileReader = std::function<absl::StatusOr<std::string>(const std::string& path)>;

// The endpoints, in the order given, duplicates dropped. A network's network and broadcast
// addresses are skipped (IPv4, prefix < 31). InvalidArgument naming the argument (FILE:LINE for
// file entries) for anything that is not a target, and when there are more than `max_targets`.
absl::StatusOr<std::vector<SmtpEndpoint>> ParseScanTargets(const std::vector<std::string>& args,
                                                           const FileReader& read,
                                                           size_t max_targets = 65536);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_PROBE_SCAN_TARGETS_H_
