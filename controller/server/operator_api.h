// The operator API's one implementation: every operator action and query, as protobuf requests
// and responses, on behalf of `who` (already authenticated and allowed by the caller). The gRPC
// service (operator_service.h, relayguardctl) and the dashboard's JSON API (controller/web) both
// call it, so the CLI and the browser never disagree on a rule.
#ifndef RELAYGUARD_CONTROLLER_SERVER_OPERATOR_API_H_
#define RELAYGUARD_CONTROLLER_SERVER_OPERATOR_API_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "controller/auth/user_directory.h"
#include "controller/compliance/compliance_tracker.h"
#include "controller/fleet/agent_registry.h"
#include "controller/monitor/attempt_tracker.h"
#include "controller/rollout/rollout_manager.h"
#include "controller/store/store_facade.h"
#include "relayguard/v1/operator.pb.h"

namespace relayguard::controller {

// `s` as a gRPC status with the same code (the codes are the same numbers) and message.
grpc::Status ToGrpc(const absl::Status& s);

class OperatorApi {
 public:
  // `reload_playbooks` re-reads the playbook dir and returns (loaded, errors).
  using Reloader = std::function<std::pair<std::vector<std::string>, std::vector<std::string>>()>;
  OperatorApi(RolloutManager& manager, StoreFacade& store, AgentRegistry& registry,
              ComplianceTracker& compliance, AttemptTracker& attempts, Reloader reload_playbooks,
              UserDirectory* users = nullptr)
      : manager_(manager),
        store_(store),
        registry_(registry),
        compliance_(compliance),
        attempts_(attempts),
        reload_(std::move(reload_playbooks)),
        users_(users) {}

  // Each answers as the gRPC method of the same name documents (proto/relayguard/v1/
  // operator.proto); `who` is recorded in the audit log.
  grpc::Status ListHosts(const std::string& who, const relayguard::v1::ListHostsRequest* request,
                         relayguard::v1::ListHostsResponse* response);
  grpc::Status StartRollout(const std::string& who,
                            const relayguard::v1::StartRolloutRequest* request,
                            relayguard::v1::RolloutInfo* response);
  grpc::Status GetRollout(const std::string& who, const relayguard::v1::GetRolloutRequest* request,
                          relayguard::v1::RolloutInfo* response);
  grpc::Status ListRollouts(const std::string& who,
                            const relayguard::v1::ListRolloutsRequest* request,
                            relayguard::v1::ListRolloutsResponse* response);
  grpc::Status PauseRollout(const std::string& who,
                            const relayguard::v1::GetRolloutRequest* request,
                            relayguard::v1::RolloutInfo* response);
  grpc::Status ResumeRollout(const std::string& who,
                             const relayguard::v1::GetRolloutRequest* request,
                             relayguard::v1::RolloutInfo* response);
  grpc::Status AbortRollout(const std::string& who,
                            const relayguard::v1::GetRolloutRequest* request,
                            relayguard::v1::RolloutInfo* response);
  grpc::Status ReloadPlaybooks(const std::string& who,
                               const relayguard::v1::ReloadPlaybooksRequest* request,
                               relayguard::v1::ReloadPlaybooksResponse* response);
  grpc::Status ListAudit(const std::string& who, const relayguard::v1::ListAuditRequest* request,
                         relayguard::v1::ListAuditResponse* response);
  grpc::Status RollbackHosts(const std::string& who,
                             const relayguard::v1::RollbackHostsRequest* request,
                             relayguard::v1::RollbackHostsResponse* response);
  grpc::Status HostHistory(const std::string& who,
                           const relayguard::v1::HostHistoryRequest* request,
                           relayguard::v1::HostHistoryResponse* response);
  grpc::Status Plan(const std::string& who, const relayguard::v1::PlanRequest* request,
                    relayguard::v1::PlanResponse* response);
  grpc::Status Compliance(const std::string& who, const relayguard::v1::ComplianceRequest* request,
                          relayguard::v1::ComplianceResponse* response);
  grpc::Status PreviewRollback(const std::string& who,
                               const relayguard::v1::RollbackHostsRequest* request,
                               relayguard::v1::RollbackPreviewResponse* response);
  grpc::Status ListPolicies(const std::string& who,
                            const relayguard::v1::ListPoliciesRequest* request,
                            relayguard::v1::ListPoliciesResponse* response);
  // The dashboard's accounts; FAILED_PRECONDITION when this controller has no user directory.
  grpc::Status ListUsers(const std::string& who, const relayguard::v1::ListUsersRequest* request,
                         relayguard::v1::ListUsersResponse* response);
  grpc::Status AddUser(const std::string& who, const relayguard::v1::AddUserRequest* request,
                       relayguard::v1::UserInfo* response);
  grpc::Status RemoveUser(const std::string& who, const relayguard::v1::RemoveUserRequest* request,
                          relayguard::v1::RemoveUserResponse* response);
  grpc::Status SetUserPassword(const std::string& who,
                               const relayguard::v1::SetUserPasswordRequest* request,
                               relayguard::v1::UserInfo* response);
  // The log monitors' counts (operator_api_attempts.cc).
  grpc::Status ListAttempts(const std::string& who,
                            const relayguard::v1::ListAttemptsRequest* request,
                            relayguard::v1::ListAttemptsResponse* response);

 private:
  RolloutManager& manager_;
  StoreFacade& store_;
  AgentRegistry& registry_;
  ComplianceTracker& compliance_;
  AttemptTracker& attempts_;
  Reloader reload_;
  UserDirectory* users_;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_SERVER_OPERATOR_API_H_
