#include "controller/server/agent_stream_service.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace relayguard::controller {
namespace {

namespace pb = ::relayguard::v1;

bool ValidHostName(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) {
      return false;
    }
  }
  return name.rfind("operator-", 0) != 0;  // operator certificates are not agents
}

const char* OutcomeText(pb::ApplyResult::Outcome o) {
  switch (o) {
    case pb::ApplyResult::OUTCOME_APPLIED: return "applied";
    case pb::ApplyResult::OUTCOME_UNCHANGED: return "unchanged";
    case pb::ApplyResult::OUTCOME_ROLLED_BACK: return "rolled-back";
    case pb::ApplyResult::OUTCOME_REJECTED: return "refused";
    case pb::ApplyResult::OUTCOME_ROLLBACK_FAILED: return "rollback-failed";
    default: return "unknown";
  }
}

HostResult ToResult(const std::string& host, const std::string& nonce,
                    const pb::ApplyResult& r) {
  HostResult out;
  out.host = host;
  out.nonce = nonce;
  out.outcome = OutcomeText(r.outcome());
  out.phase = r.phase();
  out.error = r.error();
  out.diff = r.diff();
  out.backup_commit = r.backup_commit();
  out.result_commit = r.result_commit();
  return out;
}

// Writes to one stream, or nothing once the stream handler has returned.
struct StreamWriter {
  std::mutex mu;
  bool alive = true;
  grpc::ServerReaderWriter<pb::ControllerMessage, pb::AgentMessage>* stream;
};

}  // namespace

std::string PeerCommonName(const grpc::ServerContext& context) {
  auto auth = context.auth_context();
  if (!auth) return "";
  std::vector<grpc::string_ref> cn = auth->FindPropertyValues("x509_common_name");
  return cn.empty() ? "" : std::string(cn[0].data(), cn[0].size());
}

grpc::Status AgentStreamService::Connect(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<pb::ControllerMessage, pb::AgentMessage>* stream) {
  auto log = Logger("controller.fleet");
  pb::AgentMessage first;
  if (!stream->Read(&first) || !first.has_hello()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the first message on an agent stream must be a hello");
  }
  const pb::Hello& hello = first.hello();
  const std::string host = hello.host();
  if (!ValidHostName(host)) {
    log->warn("refused agent from {}: invalid host name \"{}\"", context->peer(), host);
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("invalid host name \"", host, "\""));
  }
  if (require_cn_) {
    std::string cn = PeerCommonName(*context);
    if (cn != host) {
      log->warn("refused agent from {}: hello says \"{}\" but its certificate says \"{}\"",
                context->peer(), host, cn);
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          absl::StrCat("certificate CN \"", cn, "\" does not match host \"",
                                       host, "\""));
    }
  }
  HostRecord record;
  {
    record.name = host;
    record.labels = {hello.labels().begin(), hello.labels().end()};
    record.mta = hello.mta();
    record.mta_version = hello.mta_version();
    record.applied_policy = hello.applied_policy();
    record.applied_version = hello.applied_version();
    record.backup_head = hello.backup_head();
    record.last_seen = clock_.WallSeconds();
    if (absl::Status s = manager_.RecordHost(record); !s.ok()) {
      return grpc::Status(grpc::StatusCode::INTERNAL, std::string(s.message()));
    }
  }
  auto writer = std::make_shared<StreamWriter>();
  writer->stream = stream;
  uint64_t generation = registry_.Register(host, [writer](const AgentCommand& c) {
    pb::ControllerMessage m;
    if (c.kind == AgentCommand::Kind::kPush) {
      pb::Push* p = m.mutable_push();
      p->set_nonce(c.nonce);
      p->set_policy_name(c.policy_name);
      p->set_policy_version(c.policy_version);
      p->set_policy_yaml(c.policy_yaml);
      p->set_rollout_id(c.rollout_id);
    } else if (c.kind == AgentCommand::Kind::kPlan) {
      pb::AgentPlanRequest* p = m.mutable_plan();
      p->set_nonce(c.nonce);
      p->set_policy_name(c.policy_name);
      p->set_policy_version(c.policy_version);
      p->set_policy_yaml(c.policy_yaml);
    } else {
      pb::RollbackRequest* r = m.mutable_rollback();
      r->set_nonce(c.nonce);
      r->set_to_commit(c.to_commit);
      r->set_rollout_id(c.rollout_id);
    }
    std::lock_guard<std::mutex> lock(writer->mu);
    return writer->alive && writer->stream->Write(m);
  });
  log->info("agent {} connected from {} ({} {}, policy {} v{})", host, context->peer(),
            hello.mta(), hello.mta_version(), hello.applied_policy(), hello.applied_version());
  manager_.OnHostOnline(host);

  pb::AgentMessage msg;
  while (stream->Read(&msg)) {
    if (msg.has_ack()) {
      // What the host now enforces: the pushed policy, or nothing after a rollback.
      record.applied_version = msg.ack().version();
      record.applied_policy = msg.ack().version() == 0 ? "" : msg.ack().result().policy_name();
      record.last_seen = clock_.WallSeconds();
      if (absl::Status s = manager_.RecordHost(record); !s.ok()) {
        log->error("cannot record {}: {}", host, s.message());
      }
      manager_.OnAnswer(host, ToResult(host, msg.ack().nonce(), msg.ack().result()), true);
    } else if (msg.has_plan_result()) {
      const pb::AgentPlanResult& p = msg.plan_result();
      PlanAnswer answer;
      answer.host = host;
      answer.status = p.would_change() ? "would-change"
                      : p.result().outcome() == pb::ApplyResult::OUTCOME_UNCHANGED ? "unchanged"
                                                                                     : "refused";
      answer.diff = p.result().diff();
      answer.error = p.result().error();
      manager_.OnPlanAnswer(p.nonce(), answer);
    } else if (msg.has_nack()) {
      manager_.OnAnswer(host, ToResult(host, msg.nack().nonce(), msg.nack().result()), false);
    }
  }
  {
    std::lock_guard<std::mutex> lock(writer->mu);
    writer->alive = false;
  }
  registry_.Unregister(host, generation);
  manager_.OnHostOffline(host);
  log->info("agent {} disconnected", host);
  return grpc::Status::OK;
}

}  // namespace relayguard::controller
