// `relayguard-agent run`: dials the controller, keeps one AgentStream open, reconnects with
// jittered backoff, and answers each push through the PushHandler. The thin gRPC layer: converts
// proto <-> domain types and calls plain classes.
#ifndef RELAYGUARD_AGENT_STREAM_CONTROLLER_SESSION_H_
#define RELAYGUARD_AGENT_STREAM_CONTROLLER_SESSION_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "agent/backup/git_backup_store.h"
#include "agent/compliance/compliance_queue.h"
#include "agent/mta/mta_driver.h"
#include "agent/stream/backoff.h"
#include "agent/stream/push_handler.h"
#include "common/clock.h"

namespace relayguard::v1 {
class AgentMessage;
}

namespace relayguard::agent {

// What the session tells the rest of the agent (its metrics); each may be empty. Called on the
// session's threads: they must not block.
struct SessionEvents {
  std::function<void()> connected;     // a stream is up: the hello went out
  std::function<void()> disconnected;  // that stream ended
  // A pushed apply or a requested rollback ended (plans are dry runs: not reported).
  std::function<void(const TransactionReport&)> transaction;
};

struct SessionOptions {
  std::string controller;  // HOST:PORT
  std::string host;        // our name; must equal our certificate's CN
  std::map<std::string, std::string> labels;
  bool insecure = false;   // plaintext, for local experiments only
  std::string ca_file, cert_file, key_file;
  BackoffPolicy backoff;
  // A heartbeat goes out this often; the controller echoes it. Three missed -> reconnect.
  std::chrono::milliseconds heartbeat_interval{30000};
  // Scheduled compliance (may be null): reports to deliver, holds to record, and the lock that
  // keeps a push from running while a check changes the host.
  ComplianceQueue* compliance_queue = nullptr;
  EnforceState* enforce_state = nullptr;
  std::mutex* host_mu = nullptr;
  // The log monitor's attempt reports to deliver (may be null).
  ComplianceQueue* attempt_queue = nullptr;
  SessionEvents events;
};

class ControllerSession {
 public:
  ControllerSession(SessionOptions options, PushHandler& handler, MtaDriver& driver,
                    GitBackupStore& store, Clock& clock)
      : options_(std::move(options)), handler_(handler), driver_(driver), store_(store),
        clock_(clock) {}

  // Connects, serves, reconnects, until `stop` becomes true. InvalidArgument for unusable
  // options (unreadable certificate files); connection problems are retried, not returned.
  absl::Status Run(const std::atomic<bool>& stop);

 private:
  // One connection: hello, then pushes until the stream ends. OK when the controller closed it.
  absl::Status ServeOnce(const std::atomic<bool>& stop, bool* had_hello);
  // Sends the queued compliance and attempt reports numbered above `sent.compliance` and
  // `sent.attempts`, advancing them.
  struct SentUpTo {
    uint64_t compliance = 0;
    uint64_t attempts = 0;
  };
  void SendQueuedReports(const std::function<bool(const relayguard::v1::AgentMessage&)>& write,
                         SentUpTo& sent);

  SessionOptions options_;
  PushHandler& handler_;
  MtaDriver& driver_;
  GitBackupStore& store_;
  Clock& clock_;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_STREAM_CONTROLLER_SESSION_H_
