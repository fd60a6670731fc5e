// The limits the controller's gRPC server puts on what a peer may send it: an agent or an
// operator client is outside input. Set explicitly (not left to gRPC's defaults) so that they are
// on record, tested (tests/controller/hostile_agent_test.cc) and changed in one place.
#ifndef RELAYGUARD_CONTROLLER_SERVER_SERVER_LIMITS_H_
#define RELAYGUARD_CONTROLLER_SERVER_SERVER_LIMITS_H_

#include <grpcpp/grpcpp.h>

namespace relayguard::controller {

// The largest message the controller reads (an AgentMessage, an operator request). A compliance
// report with every listener's probe and the diffs of changed files stays far below; a larger
// message is refused with RESOURCE_EXHAUSTED and ends that stream only.
inline constexpr int kMaxReceiveMessageBytes = 4 * 1024 * 1024;

inline void ApplyServerLimits(grpc::ServerBuilder& builder) {
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
}

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_SERVER_SERVER_LIMITS_H_
