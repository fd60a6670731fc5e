#include "controller/server/agent_stream_reactor.h"

#include <cctype>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/apply_outcome_proto.h"
#include "common/compliance_states_proto.h"
#include "common/hostname.h"
#include "common/logging.h"
#include "controller/monitor/attempt_report_proto.h"
#include "controller/server/peer_identity.h"

namespace relayguard::controller {
namespace {

namespace pb = ::relayguard::v1;

// A host name (common/hostname.h) that is not an operator's ("operator-NAME" certificates are
// operators, not agents).
bool ValidAgentName(const std::string& name) {
  return ValidHostName(name) && name.rfind("operator-", 0) != 0;
}

HostResult ToResult(const std::string& host, const std::string& nonce,
                    const pb::ApplyResult& r) {
  HostResult out;
  out.host = host;
  out.nonce = nonce;
  out.phase = r.phase();
  out.error = r.error();
  // An outcome this build does not know (an agent newer than the controller) is kept as refused,
  // with why in the error, rather than dropping the answer the rollout waits for.
  absl::StatusOr<ApplyOutcome> outcome = ApplyOutcomeFromProto(r.outcome());
  out.outcome = outcome.ok() ? *outcome : ApplyOutcome::kRefused;
  if (!outcome.ok()) {
    out.error = absl::StrCat(outcome.status().message(), out.error.empty() ? "" : "; ", out.error);
  }
  out.diff = r.diff();
  out.backup_commit = r.backup_commit();
  out.result_commit = r.result_commit();
  return out;
}

// An agent's string for a log line: at most 80 bytes, control bytes and non-ASCII as '?'.
std::string Printable(const std::string& text) {
  std::string out = text.substr(0, 80);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) c = '?';
  }
  if (text.size() > 80) absl::StrAppend(&out, "... (", text.size(), " bytes)");
  return out;
}

// One ControllerMessage per command type.
struct ToMessage {
  pb::ControllerMessage operator()(const PushCommand& c) const {
    pb::ControllerMessage m;
    pb::Push* p = m.mutable_push();
    p->set_nonce(c.nonce);
    p->set_policy_name(c.policy_name);
    p->set_policy_version(c.policy_version);
    p->set_policy_yaml(c.policy_yaml);
    p->set_rollout_id(c.rollout_id);
    return m;
  }
  pb::ControllerMessage operator()(const RollbackCommand& c) const {
    pb::ControllerMessage m;
    pb::RollbackRequest* r = m.mutable_rollback();
    r->set_nonce(c.nonce);
    r->set_to_commit(c.to_commit);
    r->set_rollout_id(c.rollout_id);
    return m;
  }
  pb::ControllerMessage operator()(const PlanCommand& c) const {
    pb::ControllerMessage m;
    pb::AgentPlanRequest* p = m.mutable_plan();
    p->set_nonce(c.nonce);
    p->set_policy_name(c.policy_name);
    p->set_policy_version(c.policy_version);
    p->set_policy_yaml(c.policy_yaml);
    return m;
  }
  pb::ControllerMessage operator()(const EnforceHoldCommand& c) const {
    pb::ControllerMessage m;
    pb::EnforceHold* h = m.mutable_enforce_hold();
    h->set_policy_name(c.policy_name);
    h->set_policy_version(c.policy_version);
    h->set_reason(c.reason);
    return m;
  }
  pb::ControllerMessage operator()(const ComplianceAckCommand& c) const {
    pb::ControllerMessage m;
    m.mutable_compliance_ack()->set_seq(c.seq);
    return m;
  }
  pb::ControllerMessage operator()(const AttemptAckCommand& c) const {
    pb::ControllerMessage m;
    m.mutable_attempt_ack()->set_seq(c.seq);
    return m;
  }
};

pb::ControllerMessage Message(const AgentCommand& command) {
  return std::visit(ToMessage{}, command);
}

// The report kept whole (serialized, its states as enums also when an older agent sent names)
// plus the fields the store queries. A state this build does not know (a newer agent) makes the
// check an error saying so, rather than blocking the agent's queue behind it.
ComplianceCheckRecord ToCheck(const std::string& host, pb::ComplianceReport r) {
  ComplianceCheckRecord c;
  c.host = host;
  c.seq = r.seq();
  c.policy = r.policy_name();
  c.version = r.policy_version();
  c.checked_at = r.checked_at();
  c.summary = r.summary();
  c.error = r.error();
  absl::Status states = UpgradeLegacyComplianceReport(r);
  absl::StatusOr<ComplianceMode> mode = ComplianceModeFromProto(r.mode());
  absl::StatusOr<ComplianceStatus> status = ComplianceStatusFromProto(r.status());
  absl::StatusOr<Enforcement> enforcement = EnforcementFromProto(r.enforcement());
  for (const absl::Status& s : {states, mode.status(), status.status(), enforcement.status()}) {
    if (!s.ok() && states.ok()) states = s;
  }
  c.mode = mode.value_or(ComplianceMode::kAudit);
  c.status = states.ok() ? *status : ComplianceStatus::kError;
  c.enforcement = enforcement.value_or(Enforcement::kNone);
  if (!states.ok()) {
    c.error = absl::StrCat(states.message(), c.error.empty() ? "" : "; ", c.error);
  }
  r.SerializeToString(&c.report);
  return c;
}

using Reactor = grpc::ServerBidiReactor<pb::AgentMessage, pb::ControllerMessage>;

// The write side of one stream, shared between its reactor and the sender the registry holds
// (which may outlive the reactor). gRPC allows one outstanding write per stream: messages wait
// in `queue`, whose front is the one in flight. No gRPC call is made while `mu` is held, so a
// completion that gRPC runs inline cannot deadlock on it.
class StreamWriter {
 public:
  explicit StreamWriter(Reactor* reactor) : reactor_(reactor) {}

  // Opens the writer for sends (once the agent is registered).
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
  }

  // Queues `m` and starts a write if none is in flight. False once the stream is ending or
  // broken: the message is dropped. Any thread; may be called from within a reactor callback.
  bool Send(pb::ControllerMessage m) {
    pb::ControllerMessage* next = nullptr;
    Reactor* reactor = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!open_) return false;
      queue_.push_back(std::move(m));
      if (write_in_flight_) return true;
      write_in_flight_ = true;
      next = &queue_.front();
      reactor = reactor_;
    }
    // Safe unlocked: the reactor cannot finish (and be deleted) while a write is in flight.
    reactor->StartWrite(next);
    return true;
  }

  // From OnWriteDone: starts the next queued write, or the deferred Finish.
  void OnWriteDone(bool ok) {
    pb::ControllerMessage* next = nullptr;
    bool finish = false;
    grpc::Status status;
    Reactor* reactor = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.pop_front();
      if (!ok) {  // the stream is broken: nothing more will go out
        open_ = false;
        queue_.clear();
      }
      reactor = reactor_;
      if (open_ && !queue_.empty()) {
        next = &queue_.front();
      } else {
        write_in_flight_ = false;
        finish = finish_pending_;
        finish_pending_ = false;
        status = finish_status_;
      }
    }
    if (next != nullptr) reactor->StartWrite(next);
    if (finish) reactor->Finish(status);
  }

  // Refuses further sends and finishes the stream with `status`: now, or once the write in
  // flight completes (gRPC wants no write outstanding at Finish). Messages still queued are
  // dropped, as the blocking service dropped sends once its stream ended. Only the first call
  // counts (the heartbeat monitor and the reactor may both close a stream).
  void Close(const grpc::Status& status) {
    Reactor* reactor = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_ || reactor_ == nullptr) return;
      closed_ = true;
      open_ = false;
      if (write_in_flight_) {
        queue_.erase(queue_.begin() + 1, queue_.end());
        finish_pending_ = true;
        finish_status_ = status;
        return;
      }
      queue_.clear();
      reactor = reactor_;
    }
    reactor->Finish(status);
  }

  // From OnDone: the reactor is about to be deleted; later sends are no-ops.
  void Detach() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = false;
    reactor_ = nullptr;
  }

 private:
  std::mutex mu_;
  Reactor* reactor_;  // null once detached
  bool open_ = false;
  bool closed_ = false;
  bool write_in_flight_ = false;
  bool finish_pending_ = false;
  grpc::Status finish_status_;
  std::deque<pb::ControllerMessage> queue_;
};

// One agent stream. Reads are serial (one StartRead at a time), so the read-side members need
// no lock; writes go through `writer_`. Deletes itself in OnDone.
class AgentStreamReactor final : public Reactor {
 public:
  AgentStreamReactor(grpc::CallbackServerContext* context, AgentRegistry& registry,
                     RolloutManager& manager, AgentChannel& channel, StoreFacade& store,
                     ComplianceTracker& compliance, AttemptTracker& attempts, Clock& clock,
                     bool require_cn)
      : context_(context),
        registry_(registry),
        manager_(manager),
        channel_(channel),
        store_(store),
        compliance_(compliance),
        attempts_(attempts),
        clock_(clock),
        require_cn_(require_cn),
        writer_(std::make_shared<StreamWriter>(this)),
        log_(Logger("controller.fleet")) {
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (!registered_) {
      if (grpc::Status s = OnHello(ok); !s.ok()) writer_->Close(s);
      return;
    }
    if (!ok) {  // the agent closed its side or the stream broke
      writer_->Close(grpc::Status::OK);
      return;
    }
    OnAgentMessage(in_);
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override { writer_->OnWriteDone(ok); }

  void OnDone() override {
    writer_->Detach();
    if (registered_) {
      registry_.Unregister(record_.name, generation_);
      manager_.OnHostOffline(record_.name);
      log_->info("agent {} disconnected", record_.name);
    }
    delete this;
  }

 private:
  // Checks the first message, records and registers the host, and starts reading answers.
  grpc::Status OnHello(bool ok) {
    if (!ok || !in_.has_hello()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "the first message on an agent stream must be a hello");
    }
    const pb::Hello& hello = in_.hello();
    const std::string& host = hello.host();
    if (!ValidAgentName(host)) {
      log_->warn("refused agent from {}: invalid host name \"{}\"", context_->peer(), host);
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("invalid host name \"", host, "\""));
    }
    if (require_cn_) {
      std::string cn = PeerCommonName(context_->auth_context());
      if (cn != host) {
        log_->warn("refused agent from {}: hello says \"{}\" but its certificate says \"{}\"",
                   context_->peer(), host, cn);
        return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                            absl::StrCat("certificate CN \"", cn, "\" does not match host \"",
                                         host, "\""));
      }
    }
    record_.name = host;
    record_.labels = {hello.labels().begin(), hello.labels().end()};
    record_.mta = hello.mta();
    record_.mta_version = hello.mta_version();
    record_.applied_policy = hello.applied_policy();
    record_.applied_version = hello.applied_version();
    record_.backup_head = hello.backup_head();
    record_.last_seen = clock_.WallSeconds();
    if (absl::Status s = store_.RecordHost(record_); !s.ok()) {
      return grpc::Status(grpc::StatusCode::INTERNAL, std::string(s.message()));
    }
    // Open before registering: OnHostOnline may push to this host at once.
    writer_->Open();
    AgentRegistry::Link link;
    link.send = [writer = writer_](const AgentCommand& c) { return writer->Send(Message(c)); };
    link.close = [writer = writer_](const std::string& reason) {
      writer->Close(grpc::Status(grpc::StatusCode::UNAVAILABLE, reason));
    };
    generation_ = registry_.Register(host, std::move(link), clock_.Now(), clock_.WallSeconds());
    registered_ = true;
    log_->info("agent {} connected from {} ({} {}, policy {} v{})", host, context_->peer(),
               hello.mta(), hello.mta_version(), hello.applied_policy(),
               hello.applied_version());
    manager_.OnHostOnline(host);
    // A hold put while this agent was away still applies to the version it runs.
    if (std::optional<EnforceHoldRecord> hold =
            compliance_.HoldOn(record_.applied_policy, record_.applied_version)) {
      writer_->Send(Message(EnforceHoldCommand{hold->policy, hold->version, hold->reason}));
    }
    StartRead(&in_);
    return grpc::Status::OK;
  }

  // ACK / NACK -> RolloutManager, plan answer -> AgentChannel. Holds no lock: the manager may
  // call back into this stream's sender on this thread.
  void OnAgentMessage(const pb::AgentMessage& msg) {
    const std::string& host = record_.name;
    registry_.Heard(host, generation_, clock_.Now(), clock_.WallSeconds());
    if (msg.has_heartbeat()) {
      // Echoed, so that the agent knows the controller is alive too.
      pb::ControllerMessage echo;
      echo.mutable_heartbeat()->set_sent_at_ms(msg.heartbeat().sent_at_ms());
      writer_->Send(std::move(echo));
    } else if (msg.has_ack()) {
      if (!Awaited("ACK", msg.ack().nonce())) return;
      // What the host now enforces: the pushed policy, or nothing after a rollback.
      record_.applied_version = msg.ack().version();
      record_.applied_policy = msg.ack().version() == 0 ? "" : msg.ack().result().policy_name();
      record_.last_seen = clock_.WallSeconds();
      if (absl::Status s = store_.RecordHost(record_); !s.ok()) {
        log_->error("cannot record {}: {}", host, s.message());
      }
      manager_.OnAnswer(host, ToResult(host, msg.ack().nonce(), msg.ack().result()), true);
    } else if (msg.has_plan_result()) {
      const pb::AgentPlanResult& p = msg.plan_result();
      PlanAnswer answer;
      answer.host = host;
      answer.status = p.would_change() ? PlanStatus::kWouldChange
                      : p.result().outcome() == pb::ApplyResult::OUTCOME_UNCHANGED
                          ? PlanStatus::kUnchanged
                          : PlanStatus::kRefused;
      answer.diff = p.result().diff();
      answer.error = p.result().error();
      if (!channel_.OnPlanAnswer(p.nonce(), answer)) {
        log_->warn("agent {} ({}): plan result with nonce \"{}\" that no plan awaits from it "
                   "(late, replayed, unknown or another host's); ignored",
                   host, context_->peer(), Printable(p.nonce()));
      }
    } else if (msg.has_nack()) {
      if (!Awaited("NACK", msg.nack().nonce())) return;
      manager_.OnAnswer(host, ToResult(host, msg.nack().nonce(), msg.nack().result()), false);
    } else if (msg.has_compliance()) {
      OnCompliance(msg.compliance());
    } else if (msg.has_attempts()) {
      OnAttempts(msg.attempts());
    }
  }

  // Whether the rollouts or an operator's rollback await an ACK or NACK (`what`) with `nonce`
  // from this host. Logged when not: a replayed or unknown nonce, another host's, or one of a
  // rollout this host is not in changes nothing (RolloutManager::OnAnswer).
  bool Awaited(const char* what, const std::string& nonce) {
    if (manager_.AwaitsAnswer(record_.name, nonce)) return true;
    log_->warn("agent {} ({}): refused {} with nonce \"{}\": nothing awaits it from this host "
               "(replayed, unknown, another host's, or of a rollout it is not in); nothing was "
               "changed",
               record_.name, context_->peer(), what, Printable(nonce));
    return false;
  }

  // Stored (once per seq), then acked; a re-send is acked too so that the agent drops it. Not
  // acked when it could not be stored: the agent keeps it queued and sends it again.
  void OnCompliance(const pb::ComplianceReport& report) {
    EnforcementCommits commits{report.enforce_result().backup_commit(),
                               report.enforce_result().result_commit()};
    absl::StatusOr<bool> added = compliance_.Record(ToCheck(record_.name, report), commits);
    if (!added.ok()) {
      log_->error("cannot store compliance check {} of {}: {} (not acked; the agent re-sends it)",
                  report.seq(), record_.name, added.status().message());
      return;
    }
    // A relay-seen report is a RELAY_OPEN check like any other for the tracker; the proof is
    // told once, when it is new.
    if (*added && report.has_relay_seen()) {
      const pb::RelaySeen& seen = report.relay_seen();
      attempts_.RelaySeen(record_.name, seen.client_address(), seen.sender(), seen.queue_id());
    }
    writer_->Send(Message(ComplianceAckCommand{report.seq()}));
  }

  // Stored (once per seq), then acked, as compliance reports. Refused (over a bound) or not
  // stored: not acked, and logged; the agent's queue is bounded.
  void OnAttempts(const pb::AttemptReport& report) {
    absl::StatusOr<bool> added = attempts_.Record(AttemptReportFromProto(record_.name, report));
    if (!added.ok()) {
      log_->error("cannot store attempt report {} of {}: {} (not acked)", report.seq(),
                  record_.name, added.status().message());
      return;
    }
    writer_->Send(Message(AttemptAckCommand{report.seq()}));
  }

  grpc::CallbackServerContext* context_;
  AgentRegistry& registry_;
  RolloutManager& manager_;
  AgentChannel& channel_;
  StoreFacade& store_;
  ComplianceTracker& compliance_;
  AttemptTracker& attempts_;
  Clock& clock_;
  const bool require_cn_;
  std::shared_ptr<StreamWriter> writer_;
  std::shared_ptr<spdlog::logger> log_;
  pb::AgentMessage in_;
  HostRecord record_;
  bool registered_ = false;
  uint64_t generation_ = 0;
};

}  // namespace

grpc::ServerBidiReactor<pb::AgentMessage, pb::ControllerMessage>*
AgentStreamCallbackService::Connect(grpc::CallbackServerContext* context) {
  return new AgentStreamReactor(context, registry_, manager_, channel_, store_, compliance_,
                                attempts_, clock_, require_cn_);
}

}  // namespace relayguard::controller
