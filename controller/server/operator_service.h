// The Operator gRPC service used by relayguardctl: converts requests to calls of the rollout
// manager, the store and the compliance tracker, and their results back. In mTLS mode the
// caller's certificate CN must start with "operator-"; the CN is recorded in the audit log as
// who did it.
#ifndef RELAYGUARD_CONTROLLER_SERVER_OPERATOR_SERVICE_H_
#define RELAYGUARD_CONTROLLER_SERVER_OPERATOR_SERVICE_H_

#include <functional>

#include "controller/compliance/compliance_tracker.h"
#include "controller/fleet/agent_registry.h"
#include "controller/rollout/rollout_manager.h"
#include "controller/store/store_facade.h"
#include "relayguard/v1/operator.grpc.pb.h"

namespace relayguard::controller {

class OperatorService final : public relayguard::v1::Operator::Service {
 public:
  // `reload_playbooks` re-reads the playbook dir and returns (loaded, errors).
  using Reloader = std::function<std::pair<std::vector<std::string>, std::vector<std::string>>()>;
  OperatorService(RolloutManager& manager, StoreFacade& store, AgentRegistry& registry,
                  ComplianceTracker& compliance, Reloader reload_playbooks,
                  bool require_operator_cert)
      : manager_(manager), store_(store), registry_(registry), compliance_(compliance),
        reload_(std::move(reload_playbooks)), require_cert_(require_operator_cert) {}

  grpc::Status ListHosts(grpc::ServerContext*, const relayguard::v1::ListHostsRequest*,
                         relayguard::v1::ListHostsResponse*) override;
  grpc::Status StartRollout(grpc::ServerContext*, const relayguard::v1::StartRolloutRequest*,
                            relayguard::v1::RolloutInfo*) override;
  grpc::Status GetRollout(grpc::ServerContext*, const relayguard::v1::GetRolloutRequest*,
                          relayguard::v1::RolloutInfo*) override;
  grpc::Status ListRollouts(grpc::ServerContext*, const relayguard::v1::ListRolloutsRequest*,
                            relayguard::v1::ListRolloutsResponse*) override;
  grpc::Status PauseRollout(grpc::ServerContext*, const relayguard::v1::GetRolloutRequest*,
                            relayguard::v1::RolloutInfo*) override;
  grpc::Status ResumeRollout(grpc::ServerContext*, const relayguard::v1::GetRolloutRequest*,
                             relayguard::v1::RolloutInfo*) override;
  grpc::Status AbortRollout(grpc::ServerContext*, const relayguard::v1::GetRolloutRequest*,
                            relayguard::v1::RolloutInfo*) override;
  grpc::Status ReloadPlaybooks(grpc::ServerContext*, const relayguard::v1::ReloadPlaybooksRequest*,
                               relayguard::v1::ReloadPlaybooksResponse*) override;
  grpc::Status ListAudit(grpc::ServerContext*, const relayguard::v1::ListAuditRequest*,
                         relayguard::v1::ListAuditResponse*) override;
  grpc::Status RollbackHosts(grpc::ServerContext*, const relayguard::v1::RollbackHostsRequest*,
                             relayguard::v1::RollbackHostsResponse*) override;
  grpc::Status HostHistory(grpc::ServerContext*, const relayguard::v1::HostHistoryRequest*,
                           relayguard::v1::HostHistoryResponse*) override;
  grpc::Status Plan(grpc::ServerContext*, const relayguard::v1::PlanRequest*,
                    relayguard::v1::PlanResponse*) override;
  grpc::Status Compliance(grpc::ServerContext*, const relayguard::v1::ComplianceRequest*,
                          relayguard::v1::ComplianceResponse*) override;

 private:
  // The operator's name, or PERMISSION_DENIED.
  grpc::Status Who(grpc::ServerContext* context, std::string* who);

  RolloutManager& manager_;
  StoreFacade& store_;
  AgentRegistry& registry_;
  ComplianceTracker& compliance_;
  Reloader reload_;
  bool require_cert_;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_SERVER_OPERATOR_SERVICE_H_
