// "HOST:PORT" where HOST is a host name or an IP literal ("[V6]" for IPv6): where the controller
// listens and where an agent finds it.
#ifndef RELAYGUARD_COMMON_HOST_PORT_H_
#define RELAYGUARD_COMMON_HOST_PORT_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"

namespace relayguard {

// What is wrong with `text` as HOST:PORT with PORT in [min_port, 65535], or "" when nothing is:
// `the port must be a number 1..65535, got "99999"`. `min_port` 0 allows port 0 (a listener
// that takes any free port).
std::string HostPortProblem(const std::string& text, int min_port);

// "127.0.0.1:8443" -> ("127.0.0.1", 8443); "[::1]:0" -> ("::1", 0): the parts a listener binds.
// InvalidArgument naming `what` ("dashboard listen address") for anything HostPortProblem(text,
// 0) refuses.
absl::StatusOr<std::pair<std::string, int>> SplitListenAddress(const std::string& text,
                                                               const std::string& what);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_HOST_PORT_H_
