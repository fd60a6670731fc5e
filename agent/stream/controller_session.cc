#include "agent/stream/controller_session.h"

#include <grpcpp/grpcpp.h>

#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/command_line.h"
#include "common/liveness.h"
#include "common/logging.h"
#include "common/tls_files.h"
#include "agent/stream/proto_convert.h"
#include "relayguard/v1/agent_stream.grpc.pb.h"

namespace relayguard::agent {
namespace {

namespace pb = ::relayguard::v1;

// Heartbeats the controller may miss before the agent gives up on the stream and reconnects.
constexpr int kMissedHeartbeats = 3;

pb::AgentMessage Answer(const std::string& nonce, const PushReply& reply) {
  pb::AgentMessage msg;
  if (reply.ack) {
    pb::Ack* ack = msg.mutable_ack();
    ack->set_nonce(nonce);
    ack->set_version(reply.version);
    *ack->mutable_result() = ToProto(reply.report);
  } else {
    pb::Nack* nack = msg.mutable_nack();
    nack->set_nonce(nonce);
    nack->set_old_version(reply.version);
    *nack->mutable_result() = ToProto(reply.report);
  }
  return msg;
}

}  // namespace

absl::Status ControllerSession::ServeOnce(const std::atomic<bool>& stop, bool* had_hello) {
  auto log = Logger("agent.stream");
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options_.insecure) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> tls = ClientTlsCredentials(
        {options_.ca_file, options_.cert_file, options_.key_file}, "agent");
    // Unreadable certificate files do not heal by reconnecting: InvalidArgument ends Run.
    if (!tls.ok()) return absl::InvalidArgumentError(tls.status().message());
    credentials = *std::move(tls);
  }
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  auto channel = grpc::CreateCustomChannel(options_.controller, credentials, args);
  auto stub = pb::AgentStream::NewStub(channel);
  grpc::ClientContext context;
  auto stream = stub->Connect(&context);

  pb::AgentMessage hello_msg;
  pb::Hello* hello = hello_msg.mutable_hello();
  hello->set_host(options_.host);
  for (const auto& [k, v] : options_.labels) (*hello->mutable_labels())[k] = v;
  hello->set_mta(driver_.Kind());
  if (absl::StatusOr<std::string> v = driver_.Version(); v.ok()) hello->set_mta_version(*v);
  if (std::optional<Policy> cached = handler_.CachedPolicy()) {
    hello->set_applied_policy(cached->name);
    hello->set_applied_version(cached->version);
  }
  if (auto history = store_.History(1); history.ok() && !history->empty()) {
    hello->set_backup_head(history->front().id);
  }
  hello->set_agent_version(ProjectVersion());
  // One writer at a time: the loop below answers pushes while the heartbeat thread writes.
  std::mutex write_mu;
  auto write = [&](const pb::AgentMessage& m) {
    std::lock_guard<std::mutex> lock(write_mu);
    return stream->Write(m);
  };
  if (!write(hello_msg)) {
    grpc::Status s = stream->Finish();
    return absl::UnavailableError(absl::StrCat("cannot reach controller ", options_.controller,
                                               ": ", s.error_message()));
  }
  *had_hello = true;
  log->info("connected to controller {} as {}", options_.controller, options_.host);
  if (options_.events.connected) options_.events.connected();
  std::mutex live_mu;
  Liveness liveness(options_.heartbeat_interval, kMissedHeartbeats, clock_.Now());
  std::atomic<bool> done{false};
  std::atomic<bool> controller_silent{false};
  std::atomic<bool> busy{false};  // applying a push: answers from the controller wait unread
  SentUpTo sent;                  // reports sent on this stream (heartbeat thread)
  // Heartbeats go out while a push is being applied too (that can take a while), and a
  // controller that stops answering is noticed and the stream closed, so reconnecting starts.
  std::thread heartbeats([&] {
    while (!done && !stop) {
      clock_.SleepFor(std::chrono::milliseconds(100));
      bool due = false;
      {
        std::lock_guard<std::mutex> lock(live_mu);
        if (!busy && liveness.PeerSilent(clock_.Now())) {
          log->warn("controller {} silent for {} ms; closing the stream", options_.controller,
                    liveness.SilentFor(clock_.Now()).count());
          controller_silent = true;
          context.TryCancel();
          return;
        }
        due = liveness.TakeSendDue(clock_.Now());
      }
      if (due) {
        pb::AgentMessage beat;
        beat.mutable_heartbeat()->set_sent_at_ms(clock_.WallSeconds() * 1000);
        write(beat);
      }
      SendQueuedReports(write, sent);
    }
    if (stop) context.TryCancel();
  });
  pb::ControllerMessage msg;
  while (!stop && stream->Read(&msg)) {
    {
      std::lock_guard<std::mutex> lock(live_mu);
      liveness.Heard(clock_.Now());
    }
    if (msg.has_heartbeat()) continue;
    if (msg.has_compliance_ack()) {
      if (options_.compliance_queue != nullptr) {
        options_.compliance_queue->Ack(msg.compliance_ack().seq());
      }
      continue;
    }
    if (msg.has_attempt_ack()) {
      if (options_.attempt_queue != nullptr) options_.attempt_queue->Ack(msg.attempt_ack().seq());
      continue;
    }
    if (msg.has_enforce_hold()) {
      const pb::EnforceHold& h = msg.enforce_hold();
      log->warn("controller halted enforcement of {} v{}: {}", h.policy_name(),
                h.policy_version(), h.reason());
      if (options_.enforce_state != nullptr) {
        if (absl::Status s = options_.enforce_state->Hold(h.policy_name(), h.policy_version(),
                                                          h.reason());
            !s.ok()) {
          log->error("cannot record the enforcement hold: {}", s.message());
        }
      }
      continue;
    }
    busy = true;
    // One change at a time on this host: a scheduled compliance check may be running.
    std::unique_lock<std::mutex> host_lock;
    if (options_.host_mu != nullptr) host_lock = std::unique_lock<std::mutex>(*options_.host_mu);
    if (msg.has_push()) {
      const pb::Push& p = msg.push();
      log->info("push {} v{} (nonce {})", p.policy_name(), p.policy_version(), p.nonce());
      PushReply reply = handler_.Apply(
          {p.nonce(), p.policy_name(), p.policy_version(), p.policy_yaml()});
      write(Answer(p.nonce(), reply));
      if (options_.events.transaction) options_.events.transaction(reply.report);
    } else if (msg.has_plan()) {
      const pb::AgentPlanRequest& p = msg.plan();
      PushReply reply =
          handler_.Plan({p.nonce(), p.policy_name(), p.policy_version(), p.policy_yaml()});
      pb::AgentMessage answer;
      pb::AgentPlanResult* result = answer.mutable_plan_result();
      result->set_nonce(p.nonce());
      result->set_would_change(reply.report.outcome == Outcome::kDryRun);
      *result->mutable_result() = ToProto(reply.report);
      write(answer);
    } else if (msg.has_rollback()) {
      const pb::RollbackRequest& r = msg.rollback();
      log->info("rollback request (nonce {})", r.nonce());
      std::optional<std::string> to;
      if (!r.to_commit().empty()) to = r.to_commit();
      PushReply reply = handler_.Rollback(r.nonce(), to);
      write(Answer(r.nonce(), reply));
      if (options_.events.transaction) options_.events.transaction(reply.report);
    }
    if (host_lock.owns_lock()) host_lock.unlock();
    {
      std::lock_guard<std::mutex> lock(live_mu);
      liveness.Heard(clock_.Now());  // the controller's messages waited while we worked
    }
    busy = false;
  }
  done = true;
  heartbeats.join();
  if (options_.events.disconnected) options_.events.disconnected();
  if (stop) context.TryCancel();
  stream->WritesDone();
  grpc::Status s = stream->Finish();
  if (stop) return absl::OkStatus();
  if (controller_silent) {
    return absl::UnavailableError(absl::StrCat("controller ", options_.controller,
                                               " stopped answering heartbeats"));
  }
  return absl::UnavailableError(absl::StrCat("stream to ", options_.controller, " ended: ",
                                             s.error_message().empty() ? "closed by the controller"
                                                                       : s.error_message()));
}

void ControllerSession::SendQueuedReports(
    const std::function<bool(const pb::AgentMessage&)>& write, SentUpTo& sent) {
  // A few per pass: heartbeats keep their pace while a long backlog drains. Compliance reports
  // first: a relay alarm is one. `body` picks the message's field for the queue's reports.
  auto send = [&](ComplianceQueue* queue, const char* what, uint64_t& sent_up_to,
                  auto body) -> bool {
    if (queue == nullptr) return true;
    for (auto& [seq, bytes] : queue->PendingAfter(sent_up_to, 20)) {
      pb::AgentMessage m;
      auto* report = body(m);
      if (!report->ParseFromString(bytes)) {
        Logger("agent.stream")->error("queued {} report {} is corrupt; dropping it", what, seq);
        queue->Ack(seq);
        continue;
      }
      report->set_seq(seq);
      if (!write(m)) return false;  // the stream is gone: the next one sends it again
      sent_up_to = seq;
    }
    return true;
  };
  if (!send(options_.compliance_queue, "compliance", sent.compliance,
            [](pb::AgentMessage& m) { return m.mutable_compliance(); })) {
    return;
  }
  send(options_.attempt_queue, "attempt", sent.attempts,
       [](pb::AgentMessage& m) { return m.mutable_attempts(); });
}

absl::Status ControllerSession::Run(const std::atomic<bool>& stop) {
  auto log = Logger("agent.stream");
  if (options_.insecure) {
    log->warn("INSECURE: plaintext connection to the controller, no authentication. For local "
              "experiments only.");
  }
  int attempt = 0;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  while (!stop) {
    bool had_hello = false;
    auto started = clock_.Now();
    absl::Status s = ServeOnce(stop, &had_hello);
    if (absl::IsInvalidArgument(s)) return s;
    if (stop) break;
    // A stream that lived a while was healthy: start backing off from the beginning again.
    if (had_hello && clock_.Now() - started > std::chrono::seconds(10)) attempt = 0;
    std::chrono::milliseconds delay = BackoffDelay(options_.backoff, attempt++, unit(random_));
    log->warn("{}; reconnecting in {} ms", s.message(), delay.count());
    for (auto waited = std::chrono::milliseconds(0); waited < delay && !stop;
         waited += std::chrono::milliseconds(100)) {
      clock_.SleepFor(std::chrono::milliseconds(100));
    }
  }
  return absl::OkStatus();
}

}  // namespace relayguard::agent
