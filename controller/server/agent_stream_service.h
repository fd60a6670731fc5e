// The AgentStream gRPC service: the thin layer between agent streams and the fleet. Checks that
// the hello's host equals the certificate's CN, records the host, registers the stream for
// sends, and turns ACK/NACK messages into RolloutManager events.
#ifndef RELAYGUARD_CONTROLLER_SERVER_AGENT_STREAM_SERVICE_H_
#define RELAYGUARD_CONTROLLER_SERVER_AGENT_STREAM_SERVICE_H_

#include "common/clock.h"
#include "controller/fleet/agent_registry.h"
#include "controller/rollout/rollout_manager.h"
#include "relayguard/v1/agent_stream.grpc.pb.h"

namespace relayguard::controller {

class AgentStreamService final : public relayguard::v1::AgentStream::Service {
 public:
  // `require_cn`: refuse agents whose certificate CN differs from their hello (mTLS mode).
  AgentStreamService(AgentRegistry& registry, RolloutManager& manager, Clock& clock,
                     bool require_cn)
      : registry_(registry), manager_(manager), clock_(clock), require_cn_(require_cn) {}

  grpc::Status Connect(grpc::ServerContext* context,
                       grpc::ServerReaderWriter<relayguard::v1::ControllerMessage,
                                                relayguard::v1::AgentMessage>* stream) override;

 private:
  AgentRegistry& registry_;
  RolloutManager& manager_;
  Clock& clock_;
  bool require_cn_;
};

// The CN of the peer's verified certificate, or "" without one.
std::string PeerCommonName(const grpc::ServerContext& context);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_SERVER_AGENT_STREAM_SERVICE_H_
