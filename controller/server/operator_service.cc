#include "controller/server/operator_service.h"

#include "absl/strings/str_cat.h"
#include "controller/server/peer_identity.h"

namespace relayguard::controller {

grpc::Status OperatorService::Who(grpc::ServerContext* context, std::string* who) {
  if (!require_cert_) {
    *who = "insecure-operator";
    return grpc::Status::OK;
  }
  std::string cn = PeerCommonName(context->auth_context());
  if (cn.rfind("operator-", 0) != 0) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat("operator calls need an operator certificate (CN "
                                     "operator-NAME); this one says \"",
                                     cn, "\""));
  }
  *who = cn;
  return grpc::Status::OK;
}

// Every method: who is calling, then the one implementation.
#define RG_FORWARD(Method, Request, Response)                                  \
  grpc::Status OperatorService::Method(grpc::ServerContext* context,           \
                                       const relayguard::v1::Request* request, \
                                       relayguard::v1::Response* response) {   \
    std::string who;                                                           \
    if (grpc::Status s = Who(context, &who); !s.ok()) return s;                \
    return api_.Method(who, request, response);                                \
  }
RG_FORWARD(ListHosts, ListHostsRequest, ListHostsResponse)
RG_FORWARD(StartRollout, StartRolloutRequest, RolloutInfo)
RG_FORWARD(GetRollout, GetRolloutRequest, RolloutInfo)
RG_FORWARD(ListRollouts, ListRolloutsRequest, ListRolloutsResponse)
RG_FORWARD(PauseRollout, GetRolloutRequest, RolloutInfo)
RG_FORWARD(ResumeRollout, GetRolloutRequest, RolloutInfo)
RG_FORWARD(AbortRollout, GetRolloutRequest, RolloutInfo)
RG_FORWARD(ReloadPlaybooks, ReloadPlaybooksRequest, ReloadPlaybooksResponse)
RG_FORWARD(ListAudit, ListAuditRequest, ListAuditResponse)
RG_FORWARD(RollbackHosts, RollbackHostsRequest, RollbackHostsResponse)
RG_FORWARD(HostHistory, HostHistoryRequest, HostHistoryResponse)
RG_FORWARD(Plan, PlanRequest, PlanResponse)
RG_FORWARD(Compliance, ComplianceRequest, ComplianceResponse)
RG_FORWARD(PreviewRollback, RollbackHostsRequest, RollbackPreviewResponse)
RG_FORWARD(ListPolicies, ListPoliciesRequest, ListPoliciesResponse)
RG_FORWARD(ListUsers, ListUsersRequest, ListUsersResponse)
RG_FORWARD(AddUser, AddUserRequest, UserInfo)
RG_FORWARD(RemoveUser, RemoveUserRequest, RemoveUserResponse)
RG_FORWARD(SetUserPassword, SetUserPasswordRequest, UserInfo)
RG_FORWARD(ListAttempts, ListAttemptsRequest, ListAttemptsResponse)
#undef RG_FORWARD

}  // namespace relayguard::controller
