// The Operator gRPC service used by relayguardctl: authenticates the caller and hands the call
// to OperatorApi. In mTLS mode the caller's certificate CN must start with "operator-"; the CN is
// recorded in the audit log as who did it.
#ifndef RELAYGUARD_CONTROLLER_SERVER_OPERATOR_SERVICE_H_
#define RELAYGUARD_CONTROLLER_SERVER_OPERATOR_SERVICE_H_

#include <string>

#include "controller/server/operator_api.h"
#include "relayguard/v1/operator.grpc.pb.h"

namespace relayguard::controller {

class OperatorService final : public relayguard::v1::Operator::Service {
 public:
  OperatorService(OperatorApi& api, bool require_operator_cert)
      : api_(api), require_cert_(require_operator_cert) {}

  grpc::Status ListHosts(grpc::ServerContext* context,
                         const relayguard::v1::ListHostsRequest* request,
                         relayguard::v1::ListHostsResponse* response) override;
  grpc::Status StartRollout(grpc::ServerContext* context,
                            const relayguard::v1::StartRolloutRequest* request,
                            relayguard::v1::RolloutInfo* response) override;
  grpc::Status GetRollout(grpc::ServerContext* context,
                          const relayguard::v1::GetRolloutRequest* request,
                          relayguard::v1::RolloutInfo* response) override;
  grpc::Status ListRollouts(grpc::ServerContext* context,
                            const relayguard::v1::ListRolloutsRequest* request,
                            relayguard::v1::ListRolloutsResponse* response) override;
  grpc::Status PauseRollout(grpc::ServerContext* context,
                            const relayguard::v1::GetRolloutRequest* request,
                            relayguard::v1::RolloutInfo* response) override;
  grpc::Status ResumeRollout(grpc::ServerContext* context,
                             const relayguard::v1::GetRolloutRequest* request,
                             relayguard::v1::RolloutInfo* response) override;
  grpc::Status AbortRollout(grpc::ServerContext* context,
                            const relayguard::v1::GetRolloutRequest* request,
                            relayguard::v1::RolloutInfo* response) override;
  grpc::Status ReloadPlaybooks(grpc::ServerContext* context,
                               const relayguard::v1::ReloadPlaybooksRequest* request,
                               relayguard::v1::ReloadPlaybooksResponse* response) override;
  grpc::Status ListAudit(grpc::ServerContext* context,
                         const relayguard::v1::ListAuditRequest* request,
                         relayguard::v1::ListAuditResponse* response) override;
  grpc::Status RollbackHosts(grpc::ServerContext* context,
                             const relayguard::v1::RollbackHostsRequest* request,
                             relayguard::v1::RollbackHostsResponse* response) override;
  grpc::Status HostHistory(grpc::ServerContext* context,
                           const relayguard::v1::HostHistoryRequest* request,
                           relayguard::v1::HostHistoryResponse* response) override;
  grpc::Status Plan(grpc::ServerContext* context, const relayguard::v1::PlanRequest* request,
                    relayguard::v1::PlanResponse* response) override;
  grpc::Status Compliance(grpc::ServerContext* context,
                          const relayguard::v1::ComplianceRequest* request,
                          relayguard::v1::ComplianceResponse* response) override;
  grpc::Status PreviewRollback(grpc::ServerContext* context,
                               const relayguard::v1::RollbackHostsRequest* request,
                               relayguard::v1::RollbackPreviewResponse* response) override;
  grpc::Status ListPolicies(grpc::ServerContext* context,
                            const relayguard::v1::ListPoliciesRequest* request,
                            relayguard::v1::ListPoliciesResponse* response) override;
  grpc::Status ListUsers(grpc::ServerContext* context,
                         const relayguard::v1::ListUsersRequest* request,
                         relayguard::v1::ListUsersResponse* response) override;
  grpc::Status AddUser(grpc::ServerContext* context, const relayguard::v1::AddUserRequest* request,
                       relayguard::v1::UserInfo* response) override;
  grpc::Status RemoveUser(grpc::ServerContext* context,
                          const relayguard::v1::RemoveUserRequest* request,
                          relayguard::v1::RemoveUserResponse* response) override;
  grpc::Status SetUserPassword(grpc::ServerContext* context,
                               const relayguard::v1::SetUserPasswordRequest* request,
                               relayguard::v1::UserInfo* response) override;
  grpc::Status ListAttempts(grpc::ServerContext* context,
                            const relayguard::v1::ListAttemptsRequest* request,
                            relayguard::v1::ListAttemptsResponse* response) override;

 private:
  // The operator's name, or PERMISSION_DENIED.
  grpc::Status Who(grpc::ServerContext* context, std::string* who);

  OperatorApi& api_;
  bool require_cert_;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_SERVER_OPERATOR_SERVICE_H_
