// What `relayguardctl attempts` prints from the controller's ListAttemptsResponse: a table of
// sources, most refused first, and one line per host with its totals. Pure functions, tested
// directly.
#ifndef RELAYGUARD_CONTROLLER_CLI_ATTEMPTS_OUTPUT_H_
#define RELAYGUARD_CONTROLLER_CLI_ATTEMPTS_OUTPUT_H_

#include <string>

#include "relayguard/v1/operator.pb.h"

namespace relayguard::controller {

// HOST SOURCE REFUSED RECIPIENTS SASL-FAILURES RELAYED FIRST-SEEN LAST-SEEN (UTC), most refused
// first, then "HOST: N refused, N failed logins, N relayed in N reports (LOG SOURCE)" per host;
// "no attempt reports since TIME" when there are none.
std::string AttemptsTable(const relayguard::v1::ListAttemptsResponse& r);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_CLI_ATTEMPTS_OUTPUT_H_
