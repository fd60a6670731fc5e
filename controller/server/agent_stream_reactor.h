// The AgentStream gRPC service on gRPC's callback API: one reactor object per agent stream and
// no thread blocked per stream, so one controller holds tens of thousands of agents. The first
// message must be a hello
// whose host is valid (and equals the certificate's CN in mTLS mode); the host is recorded and
// registered for sends; ACK/NACK become RolloutManager events, plan answers go to the
// AgentChannel; compliance reports go to the ComplianceTracker and attempt reports (the log
// monitor's) to the AttemptTracker, each acked once stored; when the stream ends the host is
// unregistered and reported offline.
#ifndef RELAYGUARD_CONTROLLER_SERVER_AGENT_STREAM_REACTOR_H_
#define RELAYGUARD_CONTROLLER_SERVER_AGENT_STREAM_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include "common/clock.h"
#include "controller/compliance/compliance_tracker.h"
#include "controller/fleet/agent_channel.h"
#include "controller/fleet/agent_registry.h"
#include "controller/monitor/attempt_tracker.h"
#include "controller/rollout/rollout_manager.h"
#include "controller/store/store_facade.h"
#include "relayguard/v1/agent_stream.grpc.pb.h"

namespace relayguard::controller {

class AgentStreamCallbackService final : public relayguard::v1::AgentStream::CallbackService {
 public:
  // `require_cn`: refuse agents whose certificate CN differs from their hello (mTLS mode).
  // The references must outlive the server this service is registered with.
  AgentStreamCallbackService(AgentRegistry& registry, RolloutManager& manager,
                             AgentChannel& channel, StoreFacade& store,
                             ComplianceTracker& compliance, AttemptTracker& attempts,
                             Clock& clock, bool require_cn)
      : registry_(registry),
        manager_(manager),
        channel_(channel),
        store_(store),
        compliance_(compliance),
        attempts_(attempts),
        clock_(clock),
        require_cn_(require_cn) {}

  // Returns a reactor that owns itself: it deletes itself when gRPC reports the stream done.
  grpc::ServerBidiReactor<relayguard::v1::AgentMessage, relayguard::v1::ControllerMessage>*
  Connect(grpc::CallbackServerContext* context) override;

 private:
  AgentRegistry& registry_;
  RolloutManager& manager_;
  AgentChannel& channel_;
  StoreFacade& store_;
  ComplianceTracker& compliance_;
  AttemptTracker& attempts_;
  Clock& clock_;
  bool require_cn_;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_SERVER_AGENT_STREAM_REACTOR_H_
