// The request/reply channel to the agents: sends typed commands through the AgentRegistry and
// waits for the answers that an operator's call is waiting on (plans, rollbacks), matched by
// nonce. Rollouts do not wait here: their engine matches ACKs and NACKs itself. Thread-safe;
// no lock is held while a command is sent or while the answers are awaited.
#ifndef RELAYGUARD_CONTROLLER_FLEET_AGENT_CHANNEL_H_
#define RELAYGUARD_CONTROLLER_FLEET_AGENT_CHANNEL_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "controller/fleet/agent_command.h"
#include "controller/fleet/agent_registry.h"
#include "controller/rollout/command_states.h"
#include "controller/store/records.h"

namespace relayguard::controller {

// One host's answer to a plan (dry run).
struct PlanAnswer {
  std::string host;
  PlanStatus status = PlanStatus::kOffline;
  std::string diff;
  std::string error;
};

// An agent's answer to a rollback: ACK (restored or unchanged) or NACK, with its result.
struct RollbackAnswer {
  bool ack = false;
  HostResult result;
};

class AgentChannel {
 public:
  AgentChannel(AgentRegistry& registry, Clock& clock) : registry_(registry), clock_(clock) {}

  // Sends without waiting for an answer. False when the host is offline or its stream refused
  // the command (it was not sent).
  bool Send(const std::string& host, const AgentCommand& command);
  std::vector<std::string> OnlineHosts() const;

  // Sends `policy` as a plan to every one of `hosts` and waits up to `timeout` for all answers.
  // One answer per host, in the order of `hosts`: kOffline for a host it could not
  // send to, kNoAnswer for one that did not answer in time (a later answer is dropped).
  std::vector<PlanAnswer> AskPlans(const std::vector<std::string>& hosts,
                                   const PolicyVersionRecord& policy, std::chrono::seconds timeout);
  // An agent's plan result. False (dropped) unless AskPlans is waiting for `nonce` from
  // answer.host and has no answer yet: another host's, a replayed or an unknown nonce.
  bool OnPlanAnswer(const std::string& nonce, const PlanAnswer& answer);

  // A new nonce for a rollback of `rollout_id` (empty outside a rollout), never handed out
  // before by this channel: to be kept (RolloutManager stores it) before SendRollback sends it.
  std::string NewRollbackNonce(const std::string& rollout_id);
  // Sends `host` the rollback `nonce` (to `to_commit`; for `rollout_id`, empty outside a
  // rollout) whose answer is awaited. False when the host is offline (nothing awaited).
  bool SendRollback(const std::string& host, const std::string& rollout_id,
                    const std::string& to_commit, const std::string& nonce);
  // Sends `host` again the rollback `nonce` whose answer was not stored: sent by an earlier
  // controller, or by this one before the host's stream dropped. One nobody waits for (as a
  // rollback AwaitRollbacks gave up on) is kept so that its answer is taken once by
  // OnRollbackAnswer; one still awaited stays awaited. May be called again (after a reconnect)
  // until answered. False when the host is offline (still owed: a later call sends it).
  bool ResendRollback(const std::string& host, const std::string& rollout_id,
                      const std::string& to_commit, const std::string& nonce);
  // Waits up to `wait` until every rollback of `nonces` is answered, and forgets them: the
  // answer of each, nullopt for one not answered in time.
  std::map<std::string, std::optional<RollbackAnswer>> AwaitRollbacks(
      const std::vector<std::string>& nonces, std::chrono::seconds wait);
  // Whether `host` owes the answer to the rollback `nonce`: sent to `host`, not answered yet
  // (awaited, or given up on by AwaitRollbacks: a late answer is still taken, once).
  bool AwaitsRollback(const std::string& host, const std::string& nonce);
  // The rollout id ("" outside a rollout) of the rollback `nonce` when `host` owes its answer
  // (as AwaitsRollback), else nullopt. Takes nothing: the caller stores the answer, then hands
  // it to OnRollbackAnswer, so that AwaitRollbacks never returns an answer not yet stored.
  std::optional<std::string> OwedRollback(const std::string& host, const std::string& nonce);
  // An ACK or NACK from result.host: when it answers a rollback OwedRollback says that host
  // owes, it is taken (kept for AwaitRollbacks, or, given up on, no longer owed); else (another
  // host's, replayed, unknown) ignored.
  void OnRollbackAnswer(const HostResult& result, bool ack);

  // The controller is stopping: every wait (AskPlans, AwaitRollbacks) returns now with what it
  // has, and later ones do not wait.
  void Shutdown();

 private:
  struct AwaitedRollback {
    std::string host;
    std::string rollout_id;
    std::optional<RollbackAnswer> answer;
  };
  struct AwaitedPlan {
    std::string host;
    std::optional<PlanAnswer> answer;
  };
  // Rollbacks AwaitRollbacks gave up on, and those re-sent after a restart, kept (at most
  // kMaxLateRollbacks, oldest dropped) so that a late answer is still stored once: by nonce, host
  // and rollout id.
  static constexpr size_t kMaxLateRollbacks = 4096;
  // Adds a rollback nobody waits for to late_rollbacks_, dropping the oldest beyond
  // kMaxLateRollbacks. Requires mu_.
  void KeepLateLocked(const std::string& nonce, const AwaitedRollback& rollback);

  AgentRegistry& registry_;
  Clock& clock_;
  std::mutex mu_;
  std::condition_variable answered_;
  std::map<std::string, AwaitedPlan> plans_;          // by nonce, while awaited
  std::map<std::string, AwaitedRollback> rollbacks_;  // by nonce, while awaited
  std::map<std::string, AwaitedRollback> late_rollbacks_;  // by nonce
  std::deque<std::string> late_order_;                      // nonces of late_rollbacks_, oldest first
  uint64_t next_plan_ = 1;
  bool shutting_down_ = false;  // guarded by mu_
  uint64_t next_rollback_ = 1;
  // Random, per channel: two controllers (one restarted within the same second) never hand out
  // the same rollback nonce, which an agent would answer from its memory of the first.
  const std::string nonce_salt_ = RandomNonceSalt();
  static std::string RandomNonceSalt();
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_FLEET_AGENT_CHANNEL_H_
