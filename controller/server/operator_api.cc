#include "controller/server/operator_api.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/apply_outcome_proto.h"
#include "common/compliance_states_proto.h"
#include "controller/rollout/rollout_proto.h"

namespace relayguard::controller {
namespace {

namespace pb = ::relayguard::v1;


void ToInfo(const RolloutRecord& r, pb::RolloutInfo* info) {
  info->set_id(r.spec.id);
  info->set_policy(r.spec.policy);
  info->set_version(r.spec.version);
  info->set_status(RolloutStatusToProto(r.state.status));
  info->set_current_wave(r.state.current_wave);
  info->set_waves(static_cast<int32_t>(r.spec.waves.size()));
  info->set_halt_reason(r.state.halt_reason);
  info->set_reason(r.reason);
  info->set_created_by(r.created_by);
  for (const std::string& host : r.spec.hosts) {
    pb::RolloutHost* h = info->add_hosts();
    h->set_host(host);
    auto it = r.state.hosts.find(host);
    if (it == r.state.hosts.end()) continue;
    h->set_phase(HostPhaseToProto(it->second.phase));
    h->set_wave(it->second.wave);
    h->set_error(it->second.error);
  }
}

// The agent's report as it came (the store keeps its bytes) and when the controller got it.
void ToCheck(const ComplianceCheckRecord& c, pb::ComplianceCheck* out) {
  out->set_host(c.host);
  out->set_received_at(c.received_at);
  pb::ComplianceReport* r = out->mutable_report();
  if (!r->ParseFromString(c.report)) {
    // Written by this controller from a parsed message, so only a damaged file gets here: show
    // what the columns still say.
    r->Clear();
    r->set_seq(c.seq);
    r->set_policy_name(c.policy);
    r->set_policy_version(c.version);
    r->set_checked_at(c.checked_at);
    r->set_summary(c.summary);
    r->set_error(c.error.empty() ? "the stored report does not parse" : c.error);
  }
  // The columns hold the states as the controller understood them when it stored the report
  // (also for a report stored before they were enums, whose bytes carry names): they win.
  r->set_mode(ComplianceModeToProto(c.mode));
  r->set_status(ComplianceStatusToProto(c.status));
  r->set_enforcement(EnforcementToProto(c.enforcement));
}

// The hosts a rollback request names (RollbackHosts and PreviewRollback read it alike).
RollbackTargets TargetsOf(const pb::RollbackHostsRequest& request) {
  RollbackTargets targets;
  targets.rollout_id = request.rollout_id();
  targets.hosts = {request.hosts().begin(), request.hosts().end()};
  targets.labels = {request.labels().begin(), request.labels().end()};
  targets.to_commit = request.to_commit();
  return targets;
}

}  // namespace

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  if (absl::IsInvalidArgument(s)) code = grpc::StatusCode::INVALID_ARGUMENT;
  if (absl::IsNotFound(s)) code = grpc::StatusCode::NOT_FOUND;
  if (absl::IsFailedPrecondition(s)) code = grpc::StatusCode::FAILED_PRECONDITION;
  if (absl::IsAlreadyExists(s)) code = grpc::StatusCode::ALREADY_EXISTS;
  if (absl::IsUnauthenticated(s)) code = grpc::StatusCode::UNAUTHENTICATED;
  if (absl::IsPermissionDenied(s)) code = grpc::StatusCode::PERMISSION_DENIED;
  if (absl::IsResourceExhausted(s)) code = grpc::StatusCode::RESOURCE_EXHAUSTED;
  if (absl::IsUnavailable(s)) code = grpc::StatusCode::UNAVAILABLE;
  return grpc::Status(code, std::string(s.message()));
}

grpc::Status OperatorApi::ListHosts(const std::string& /*who*/, const pb::ListHostsRequest*,
                                    pb::ListHostsResponse* response) {
  absl::StatusOr<std::vector<HostRecord>> hosts = store_.Hosts();
  if (!hosts.ok()) return ToGrpc(hosts.status());
  for (const HostRecord& h : *hosts) {
    pb::HostInfo* info = response->add_hosts();
    info->set_name(h.name);
    info->mutable_labels()->insert(h.labels.begin(), h.labels.end());
    info->set_mta(h.mta);
    info->set_mta_version(h.mta_version);
    info->set_applied_policy(h.applied_policy);
    info->set_applied_version(h.applied_version);
    const int64_t heard = registry_.LastHeard(h.name);
    info->set_online(heard != 0);
    info->set_last_seen(std::max(heard, h.last_seen));
  }
  return grpc::Status::OK;
}

grpc::Status OperatorApi::StartRollout(const std::string& who,
                                       const pb::StartRolloutRequest* request,
                                       pb::RolloutInfo* response) {
  if (request->policy().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a rollout needs a policy name");
  }
  if (request->hosts().empty() && request->labels().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "a rollout needs targets: host names and/or labels");
  }
  if (request->wave_failure_budget() < 0 || request->offline_deadline_s() < 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "failure budget and offline deadline must not be negative");
  }
  StartRequest start;
  start.policy = request->policy();
  start.hosts = {request->hosts().begin(), request->hosts().end()};
  start.labels = {request->labels().begin(), request->labels().end()};
  start.waves = request->waves().empty() ? "100%" : request->waves();
  start.wave_failure_budget = request->wave_failure_budget();
  start.pause_between_waves = request->pause_between_waves();
  start.rollback_on_halt = request->rollback_on_halt();
  if (request->offline_deadline_s() > 0) start.offline_deadline_s = request->offline_deadline_s();
  start.reason = request->reason();  // checked by the manager
  start.expect_version = request->expect_version();
  absl::StatusOr<RolloutRecord> r = manager_.Start(start, who);
  if (!r.ok()) return ToGrpc(r.status());
  ToInfo(*r, response);
  return grpc::Status::OK;
}

grpc::Status OperatorApi::GetRollout(const std::string& /*who*/,
                                     const pb::GetRolloutRequest* request,
                                     pb::RolloutInfo* response) {
  absl::StatusOr<RolloutRecord> r = manager_.Get(request->id());
  if (!r.ok()) return ToGrpc(r.status());
  ToInfo(*r, response);
  return grpc::Status::OK;
}

grpc::Status OperatorApi::ListRollouts(const std::string& /*who*/, const pb::ListRolloutsRequest*,
                                       pb::ListRolloutsResponse* response) {
  absl::StatusOr<std::vector<RolloutRecord>> all = store_.Rollouts();
  if (!all.ok()) return ToGrpc(all.status());
  for (const RolloutRecord& r : *all) ToInfo(r, response->add_rollouts());
  return grpc::Status::OK;
}

#define RG_ROLLOUT_COMMAND(Method, call)                                                         \
  grpc::Status OperatorApi::Method(const std::string& who, const pb::GetRolloutRequest* request, \
                                   pb::RolloutInfo* response) {                                  \
    absl::StatusOr<RolloutRecord> r = manager_.call(request->id(), who, request->reason());      \
    if (!r.ok()) return ToGrpc(r.status());                                                      \
    ToInfo(*r, response);                                                                        \
    return grpc::Status::OK;                                                                     \
  }
RG_ROLLOUT_COMMAND(PauseRollout, Pause)
RG_ROLLOUT_COMMAND(ResumeRollout, Resume)
RG_ROLLOUT_COMMAND(AbortRollout, Abort)
#undef RG_ROLLOUT_COMMAND

grpc::Status OperatorApi::ReloadPlaybooks(const std::string& who, const pb::ReloadPlaybooksRequest*,
                                          pb::ReloadPlaybooksResponse* response) {
  auto [loaded, errors] = reload_();
  for (const std::string& l : loaded) response->add_loaded(l);
  for (const std::string& e : errors) response->add_errors(e);
  store_.RecordAudit(
      who, "playbooks reload", absl::StrCat(loaded.size(), " loaded"),
      errors.empty() ? absl::OkStatus() : absl::InvalidArgumentError(errors.front()));
  return grpc::Status::OK;
}

grpc::Status OperatorApi::ListAudit(const std::string& /*who*/, const pb::ListAuditRequest* request,
                                    pb::ListAuditResponse* response) {
  absl::StatusOr<std::vector<AuditEntry>> log =
      store_.AuditLog(request->limit() > 0 ? request->limit() : 100);
  if (!log.ok()) return ToGrpc(log.status());
  for (const AuditEntry& e : *log) {
    pb::AuditEntry* out = response->add_entries();
    out->set_at(e.at);
    out->set_who(e.who);
    out->set_action(e.action);
    out->set_target(e.target);
    out->set_result(e.result);
    out->set_reason(e.reason);
  }
  return grpc::Status::OK;
}

grpc::Status OperatorApi::RollbackHosts(const std::string& who,
                                        const pb::RollbackHostsRequest* request,
                                        pb::RollbackHostsResponse* response) {
  constexpr int kMaxWaitS = 600;
  if (request->wait_s() < 0 || request->wait_s() > kMaxWaitS) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("wait_s ", request->wait_s(), " is outside 0..", kMaxWaitS));
  }
  const RollbackTargets targets = TargetsOf(*request);
  auto result =
      manager_.Rollback(targets, std::chrono::seconds(request->wait_s()), who, request->reason());
  if (!result.ok()) return ToGrpc(result.status());
  for (const HostRollback& r : *result) {
    pb::HostRollback* out = response->add_hosts();
    out->set_host(r.host);
    out->set_status(RollbackStatusToProto(r.status));
    out->set_error(r.error);
    out->set_to_commit(r.to_commit);
    out->set_result_commit(r.result_commit);
  }
  return grpc::Status::OK;
}

grpc::Status OperatorApi::HostHistory(const std::string& /*who*/,
                                      const pb::HostHistoryRequest* request,
                                      pb::HostHistoryResponse* response) {
  auto results = store_.HostHistory(request->host(), request->limit() > 0 ? request->limit() : 50);
  if (!results.ok()) return ToGrpc(results.status());
  for (const HostResult& r : *results) {
    pb::HostResultInfo* info = response->add_results();
    info->set_at(r.at);
    info->set_rollout_id(r.rollout_id);
    info->set_outcome(ApplyOutcomeToProto(r.outcome));
    info->set_phase(r.phase);
    info->set_error(r.error);
    info->set_result_commit(r.result_commit);
    info->set_diff(r.diff);
    info->set_backup_commit(r.backup_commit);
  }
  return grpc::Status::OK;
}

grpc::Status OperatorApi::Plan(const std::string& who, const pb::PlanRequest* request,
                               pb::PlanResponse* response) {
  if (request->policy().empty() || (request->hosts().empty() && request->labels().empty())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "plan needs a policy and targets (host names and/or labels)");
  }
  StartRequest targets;
  targets.policy = request->policy();
  targets.hosts = {request->hosts().begin(), request->hosts().end()};
  targets.labels = {request->labels().begin(), request->labels().end()};
  constexpr int kMaxPlanWaitS = 300;
  if (request->timeout_s() < 0 || request->timeout_s() > kMaxPlanWaitS) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("timeout_s ", request->timeout_s(), " is outside 0..", kMaxPlanWaitS));
  }
  int timeout = request->timeout_s() > 0 ? request->timeout_s() : 60;
  auto plan = manager_.Plan(targets, std::chrono::seconds(timeout), who);
  if (!plan.ok()) return ToGrpc(plan.status());
  response->set_policy(plan->first.name);
  response->set_version(plan->first.version);
  for (const PlanAnswer& a : plan->second) {
    pb::HostPlan* h = response->add_hosts();
    h->set_host(a.host);
    h->set_status(PlanStatusToProto(a.status));
    h->set_diff(a.diff);
    h->set_error(a.error);
  }
  return grpc::Status::OK;
}

grpc::Status OperatorApi::Compliance(const std::string& /*who*/,
                                     const pb::ComplianceRequest* request,
                                     pb::ComplianceResponse* response) {
  if (request->limit() < 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "limit must not be negative");
  }
  ComplianceQuery query;
  query.host = request->host();
  query.history = request->history();
  query.limit = request->limit() > 0 ? static_cast<size_t>(request->limit()) : 100;
  absl::StatusOr<ComplianceView> view = compliance_.View(query);
  if (!view.ok()) return ToGrpc(view.status());
  absl::StatusOr<std::map<std::string, uint64_t>> refused = attempts_.RefusedPerHost();
  if (!refused.ok()) return ToGrpc(refused.status());
  for (const HostComplianceState& h : view->fleet.hosts) {
    pb::HostCompliance* out = response->add_hosts();
    out->set_host(h.host);
    out->set_status(FleetHostStatusToProto(h.status));
    out->set_online(h.online);
    out->set_last_seen(h.last_seen);
    if (auto it = refused->find(h.host); it != refused->end()) out->set_refused_24h(it->second);
    // Absent (has_last() false) when the host was never checked.
    if (h.last) ToCheck(*h.last, out->mutable_last());
  }
  response->set_compliant(view->fleet.compliant);
  response->set_total(view->fleet.total);
  for (const ComplianceCheckRecord& c : view->history) ToCheck(c, response->add_history());
  for (const EnforceHoldRecord& hold : view->holds) response->add_holds(HoldText(hold));
  return grpc::Status::OK;
}

grpc::Status OperatorApi::PreviewRollback(const std::string& /*who*/,
                                          const pb::RollbackHostsRequest* request,
                                          pb::RollbackPreviewResponse* response) {
  const RollbackTargets targets = TargetsOf(*request);
  absl::StatusOr<std::vector<RollbackPreview>> preview = manager_.PreviewRollback(targets);
  if (!preview.ok()) return ToGrpc(preview.status());
  for (const RollbackPreview& p : *preview) {
    pb::HostRollbackPreview* out = response->add_hosts();
    out->set_host(p.host);
    out->set_will_roll_back(p.will_roll_back);
    out->set_to_commit(p.to_commit);
    out->set_diff(p.diff);
    out->set_online(p.online);
    out->set_note(p.note);
  }
  return grpc::Status::OK;
}

grpc::Status OperatorApi::ListPolicies(const std::string& /*who*/, const pb::ListPoliciesRequest*,
                                       pb::ListPoliciesResponse* response) {
  absl::StatusOr<std::vector<PolicyVersionRecord>> latest =
      store_.WithStore([](Store& s) { return s.LatestPolicies(); });
  if (!latest.ok()) return ToGrpc(latest.status());
  for (const PolicyVersionRecord& p : *latest) {
    pb::PolicyInfo* out = response->add_policies();
    out->set_name(p.name);
    out->set_version(p.version);
    out->set_loaded_at(p.loaded_at);
    out->set_yaml(p.yaml);
  }
  return grpc::Status::OK;
}

namespace {

Role RoleFromProto(pb::UserRole role) {
  switch (role) {
    case pb::USER_ROLE_ADMIN:
      return Role::kAdmin;
    case pb::USER_ROLE_OPERATOR:
      return Role::kOperator;
    default:
      return Role::kViewer;  // USER_ROLE_VIEWER; the caller refuses anything unknown first
  }
}

pb::UserRole RoleToProto(Role role) {
  switch (role) {
    case Role::kAdmin:
      return pb::USER_ROLE_ADMIN;
    case Role::kOperator:
      return pb::USER_ROLE_OPERATOR;
    case Role::kViewer:
      return pb::USER_ROLE_VIEWER;
  }
  return pb::USER_ROLE_UNSPECIFIED;
}

void ToUserInfo(const UserRecord& user, pb::UserInfo* out) {
  out->set_name(user.name);
  out->set_role(RoleToProto(user.role));
  out->set_created_at(user.created_at);
  out->set_password_changed_at(user.password_changed_at);
}

grpc::Status NoUsers() {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                      "this controller keeps no dashboard accounts");
}

}  // namespace

grpc::Status OperatorApi::ListUsers(const std::string& /*who*/, const pb::ListUsersRequest*,
                                    pb::ListUsersResponse* response) {
  if (users_ == nullptr) return NoUsers();
  absl::StatusOr<std::vector<UserRecord>> users = users_->Users();
  if (!users.ok()) return ToGrpc(users.status());
  for (const UserRecord& u : *users) ToUserInfo(u, response->add_users());
  return grpc::Status::OK;
}

grpc::Status OperatorApi::AddUser(const std::string& who, const pb::AddUserRequest* request,
                                  pb::UserInfo* response) {
  if (users_ == nullptr) return NoUsers();
  if (request->role() != pb::USER_ROLE_VIEWER && request->role() != pb::USER_ROLE_OPERATOR &&
      request->role() != pb::USER_ROLE_ADMIN) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "a user needs a role: viewer, operator or admin");
  }
  absl::StatusOr<UserRecord> user =
      users_->AddUser(request->name(), RoleFromProto(request->role()), request->password(), who);
  if (!user.ok()) return ToGrpc(user.status());
  ToUserInfo(*user, response);
  return grpc::Status::OK;
}

grpc::Status OperatorApi::RemoveUser(const std::string& who, const pb::RemoveUserRequest* request,
                                     pb::RemoveUserResponse*) {
  if (users_ == nullptr) return NoUsers();
  return ToGrpc(users_->RemoveUser(request->name(), who));
}

grpc::Status OperatorApi::SetUserPassword(const std::string& who,
                                          const pb::SetUserPasswordRequest* request,
                                          pb::UserInfo* response) {
  if (users_ == nullptr) return NoUsers();
  absl::StatusOr<UserRecord> user = users_->SetPassword(request->name(), request->password(), who);
  if (!user.ok()) return ToGrpc(user.status());
  ToUserInfo(*user, response);
  return grpc::Status::OK;
}

}  // namespace relayguard::controller
