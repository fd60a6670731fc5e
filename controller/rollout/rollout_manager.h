// Runs rollouts: owns one RolloutEngine per active rollout, feeds it events (agent answers,
// hosts coming and going, ticks, operator commands), carries out its actions through the
// AgentChannel, and saves the engine state in the store after every step, so a restarted
// controller continues where it stopped. Also the operator's rollbacks and plans, which target
// hosts as rollouts do. All methods are thread-safe (one mutex over the engines; the store and
// the channel have their own locks, taken after it).
#ifndef RELAYGUARD_CONTROLLER_ROLLOUT_ROLLOUT_MANAGER_H_
#define RELAYGUARD_CONTROLLER_ROLLOUT_ROLLOUT_MANAGER_H_

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "controller/fleet/agent_channel.h"
#include "controller/metrics/controller_events.h"
#include "controller/rollout/command_states.h"
#include "controller/rollout/fault_points.h"
#include "controller/rollout/rollout_engine.h"
#include "controller/rollout/rollout_targets.h"
#include "controller/store/store_facade.h"

namespace relayguard::controller {

struct StartRequest {
  std::string policy;
  std::vector<std::string> hosts;
  std::map<std::string, std::string> labels;
  std::string waves = "100%";
  int wave_failure_budget = 0;
  bool pause_between_waves = false;
  bool rollback_on_halt = false;
  int64_t offline_deadline_s = 600;
  std::string reason;  // why (operator_reason.h); kept with the rollout and audited
  uint64_t expect_version = 0;  // when not 0, the version the operator planned with
};

// What became of one host's rollback.
struct HostRollback {
  std::string host;
  RollbackStatus status = RollbackStatus::kSent;
  std::string error;
  std::string to_commit;
  std::string result_commit;
};

// What a rollback would do to one host (PreviewRollback).
struct RollbackPreview {
  std::string host;
  bool will_roll_back = false;
  std::string to_commit;  // "" when the agent decides (the commit before its newest apply)
  std::string diff;       // the change(s) it undoes, newest first; "" when not known
  bool online = false;
  std::string note;       // why not, or what the diff is
};

class RolloutManager {
 public:
  // `events` hears of every answer to a push or a rollback; `faults` of every step a crash test
  // can stop at (fault_points.h).
  RolloutManager(StoreFacade& store, AgentChannel& channel, Clock& clock,
                 ControllerEvents& events = NoControllerEvents(),
                 FaultPoints& faults = NoControllerFaultPoints())
      : store_(store), channel_(channel), clock_(clock), events_(events), faults_(faults) {}

  // Loads running and paused rollouts, and the fleet rollbacks sent and not answered, from the
  // store (after a restart). Those rollbacks are sent again, with their nonce, when their host is
  // online (now or at OnHostOnline), unless sent longer than kResendRollbacksFor ago (dropped);
  // so are the rollbacks this controller sent whose host reconnects before answering.
  absl::Status Recover();

  // Operator actions. Each first checks the operator's reason (CheckReason in
  // operator_reason.h): a bad one is InvalidArgument and nothing is done or audited. The reason
  // is recorded with the audit entry (and, for Start, with the rollout).
  absl::StatusOr<RolloutRecord> Start(const StartRequest& request, const std::string& who);
  absl::StatusOr<RolloutRecord> Get(const std::string& id);
  absl::StatusOr<RolloutRecord> Pause(const std::string& id, const std::string& who,
                                      const std::string& reason = "");
  absl::StatusOr<RolloutRecord> Resume(const std::string& id, const std::string& who,
                                       const std::string& reason = "");
  absl::StatusOr<RolloutRecord> Abort(const std::string& id, const std::string& who,
                                      const std::string& reason = "");

  // Sends each target its rollback request and waits up to `wait` for the answers (each agent
  // restores, reloads and verifies as its own rollback does). NotFound for an unknown host or
  // rollout, InvalidArgument when nothing matches or the reason is bad. Offline hosts are
  // reported, not queued. Each rollback is kept in the store until its answer is stored (in one
  // transaction with it), so that a controller killed in between is continued by its successor.
  absl::StatusOr<std::vector<HostRollback>> Rollback(const RollbackTargets& targets,
                                                     std::chrono::seconds wait,
                                                     const std::string& who,
                                                     const std::string& reason = "");

  // What Rollback(targets) would do now, host by host, with the diffs it would undo (from the
  // stored results of the applies); sends and records nothing. Errors as Rollback's.
  absl::StatusOr<std::vector<RollbackPreview>> PreviewRollback(const RollbackTargets& targets);

  // Asks every target for its diff under the latest version of `policy` and waits up to
  // `timeout` for the answers. Changes nothing anywhere.
  absl::StatusOr<std::pair<PolicyVersionRecord, std::vector<PlanAnswer>>> Plan(
      const StartRequest& targets, std::chrono::seconds timeout, const std::string& who);

  // How long after it was sent an unanswered rollback is still sent again (by a controller's
  // successor, or when its host reconnects): past that, the operator has long been told it
  // failed and may have changed the host since.
  static constexpr int64_t kResendRollbacksFor = 3600;

  void OnHostOnline(const std::string& host);
  void OnHostOffline(const std::string& host);
  // Whether `host` owes an answer (ACK or NACK) carrying `nonce`: a push or rollback of a rollout
  // it is in that it has not answered yet, or a rollback sent to it (AgentChannel).
  bool AwaitsAnswer(const std::string& host, const std::string& nonce);
  // An ACK or NACK: stored as a result, given to the awaited rollback or the rollout it answers.
  // False, and nothing stored or changed, when AwaitsAnswer is false: a replayed or unknown
  // nonce, another host's, or one of a rollout the host is not in.
  bool OnAnswer(const std::string& host, const HostResult& result, bool ack);
  void OnTick();

 private:
  // What the manager keeps beside an engine: who started it and what the store holds of it.
  struct Bookkeeping {
    std::string created_by;
    std::string reason;
    int64_t created_at = 0;
    int64_t updated_at = 0;
    bool saved_once = false;              // the full rollout is in the store
    RolloutState saved_status;            // status fields as last saved (hosts left empty)
    std::set<std::string> unsaved_hosts;  // changed hosts a failed save still owes the store
  };

  bool AwaitsAnswerLocked(const std::string& host, const std::string& nonce);  // Requires mu_.
  // Sends `host` again the fleet rollbacks it has not answered (sent by this controller or
  // loaded at Recover); drops those sent longer than kResendRollbacksFor ago. Requires mu_.
  void ResendRollbacksLocked(const std::string& host);
  // Stores `result`, the answer to a fleet rollback, with the deletion of its pending row.
  // Requires mu_.
  void StoreRollbackAnswerLocked(const HostResult& result);
  // Deletes a pending rollback row that will never be answered (not sent, or too old to send
  // again); a failure is logged.
  void ForgetPendingRollback(const std::string& host, const std::string& nonce);
  // Whether `result` (of its rollout) answers a push or rollback awaited at Recover and the store
  // already has a result with its host and nonce. Requires mu_.
  bool AlreadyStoredLocked(const HostResult& result);
  // The rollout that awaits `nonce` from `host` (pushed to it or rolling it back, unanswered),
  // or nullopt. Requires mu_.
  std::optional<std::string> RolloutAwaitingLocked(const std::string& host,
                                                   const std::string& nonce);
  // Carries out `actions` of rollout `id` and saves its state. Requires mu_.
  void Execute(const std::string& id, const std::vector<Action>& actions);
  absl::Status Save(const std::string& id);
  absl::StatusOr<RolloutRecord> Command(const std::string& id, const std::string& who,
                                        const std::string& what, const std::string& reason);
  // The rollout as a record (spec, state and bookkeeping). Requires mu_.
  RolloutRecord Snapshot(const std::string& id);
  // The latest version of the playbook `name`; NotFound when none is loaded.
  absl::StatusOr<PolicyVersionRecord> LatestPolicy(const std::string& name);
  // The commit `host` had before rollout `id` changed it; "" when unknown.
  std::string CommitBeforeRollout(const std::string& id, const std::string& host);
  // The hosts `targets` names (ResolveRollbackTargets over the store's hosts and rollout).
  absl::StatusOr<std::vector<std::string>> ResolveRollback(const RollbackTargets& targets);
  // Sends the rollbacks of `chosen` (skipping hosts the rollout did not change) and audits it.
  std::vector<HostRollback> SendRollbacks(const RollbackTargets& targets,
                                          const std::vector<std::string>& chosen,
                                          const std::string& who, const std::string& reason,
                                          const std::string& audit_target,
                                          std::map<std::string, size_t>* index_of_nonce);

  StoreFacade& store_;
  AgentChannel& channel_;
  Clock& clock_;
  ControllerEvents& events_;
  FaultPoints& faults_;
  std::mutex mu_;
  std::map<std::string, RolloutEngine> engines_;
  std::map<std::string, Bookkeeping> books_;
  // (host, nonce) of the pushes and rollbacks a restored rollout awaited at Recover: the
  // controller before may have stored their answer and died before saving the rollout's step,
  // so the answer to the re-sent copy is checked against the store before it is added.
  std::set<std::pair<std::string, std::string>> awaited_at_recover_;
  // The fleet rollbacks sent and not answered, by (host, nonce): those this controller sent and
  // those loaded at Recover. Sent again, with their nonce, whenever their host comes online (its
  // stream may have dropped before the answer came), until answered or too old.
  std::map<std::pair<std::string, std::string>, PendingRollbackRecord> resend_rollbacks_;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_ROLLOUT_ROLLOUT_MANAGER_H_
