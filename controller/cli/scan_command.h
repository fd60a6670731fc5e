// `relayguardctl scan TARGETS...`: a relay scan of many SMTP servers from this host, with the
// agent's own probe and every known relay trick. Needs no controller.
#ifndef RELAYGUARD_CONTROLLER_CLI_SCAN_COMMAND_H_
#define RELAYGUARD_CONTROLLER_CLI_SCAN_COMMAND_H_

#include <string>
#include <vector>

namespace relayguard::controller {

// `args` are what follows "scan". Exit code: 0 no target relays, 4 some target relays,
// 1 usage error, 2 bad targets.
int RunScanCommand(const std::vector<std::string>& args);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_CLI_SCAN_COMMAND_H_
