// Runs rollouts: owns one RolloutEngine per active rollout, feeds it events (agent answers,
// hosts coming and going, ticks, operator commands), carries out its actions through the
// AgentRegistry, and saves the engine state in the store after every step, so a restarted
// controller continues where it stopped. All methods are thread-safe (one mutex).
#ifndef RELAYGUARD_CONTROLLER_ROLLOUT_ROLLOUT_MANAGER_H_
#define RELAYGUARD_CONTROLLER_ROLLOUT_ROLLOUT_MANAGER_H_

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "controller/fleet/agent_registry.h"
#include "controller/rollout/command_states.h"
#include "controller/rollout/rollout_engine.h"
#include "controller/store/sqlite_store.h"

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
};

// Which hosts to roll back: with `rollout_id`, the hosts that rollout changed (narrowed by
// `hosts`/`labels` when given) return to their commit from before it; without, the hosts named
// by `hosts`/`labels` return to the commit before their newest apply.
struct RollbackTargets {
  std::string rollout_id;
  std::vector<std::string> hosts;
  std::map<std::string, std::string> labels;
};

// What became of one host's rollback.
struct HostRollback {
  std::string host;
  RollbackStatus status = RollbackStatus::kSent;
  std::string error;
  std::string to_commit;
  std::string result_commit;
};

// One host's answer to a plan (dry run).
struct PlanAnswer {
  std::string host;
  PlanStatus status = PlanStatus::kOffline;
  std::string diff;
  std::string error;
};

class RolloutManager {
 public:
  RolloutManager(SqliteStore& store, AgentRegistry& registry, Clock& clock)
      : store_(store), registry_(registry), clock_(clock) {}

  // Loads running and paused rollouts from the store (after a restart).
  absl::Status Recover();

  absl::StatusOr<RolloutRecord> Start(const StartRequest& request, const std::string& who);
  absl::StatusOr<RolloutRecord> Get(const std::string& id);
  absl::StatusOr<RolloutRecord> Pause(const std::string& id, const std::string& who);
  absl::StatusOr<RolloutRecord> Resume(const std::string& id, const std::string& who);
  absl::StatusOr<RolloutRecord> Abort(const std::string& id, const std::string& who);

  // The store, under the same lock as the rollouts (one SQLite connection).
  absl::Status RecordHost(const HostRecord& host);
  absl::StatusOr<std::vector<HostRecord>> Hosts();
  absl::StatusOr<std::vector<RolloutRecord>> Rollouts();
  absl::StatusOr<std::vector<AuditEntry>> AuditLog(size_t limit);
  absl::Status AddPolicy(const PolicyVersionRecord& policy);
  void RecordAudit(const std::string& who, const std::string& action, const std::string& target,
                   const absl::Status& result);
  // Runs `f(store)` under the same lock, for other components that keep state in the store
  // (the compliance tracker). `f` must not call back into this manager.
  template <typename F>
  auto WithStore(F&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    return f(store_);
  }

  // Sends each target its rollback request and waits up to `wait` for the answers (each agent
  // restores, reloads and verifies as its own rollback does). NotFound for an unknown host or
  // rollout, InvalidArgument when nothing matches. Offline hosts are reported, not queued.
  absl::StatusOr<std::vector<HostRollback>> Rollback(const RollbackTargets& targets,
                                                     std::chrono::seconds wait,
                                                     const std::string& who);
  absl::StatusOr<std::vector<HostResult>> HostHistory(const std::string& host, size_t limit);

  // Asks every target for its diff under the latest version of `policy` and waits up to
  // `timeout` for the answers. Changes nothing anywhere.
  absl::StatusOr<std::pair<PolicyVersionRecord, std::vector<PlanAnswer>>> Plan(
      const StartRequest& targets, std::chrono::seconds timeout, const std::string& who);
  void OnPlanAnswer(const std::string& nonce, const PlanAnswer& answer);

  void OnHostOnline(const std::string& host);
  void OnHostOffline(const std::string& host);
  void OnAnswer(const std::string& host, const HostResult& result, bool ack);
  void OnTick();

 private:
  // Carries out `actions` of rollout `id` and saves its state. Requires mu_.
  void Execute(const std::string& id, const std::vector<Action>& actions);
  absl::Status Save(const std::string& id);
  absl::StatusOr<RolloutRecord> Command(const std::string& id, const std::string& who,
                                        const std::string& what);
  // Targets of a request among the known hosts. Requires mu_.
  absl::StatusOr<std::vector<std::string>> ResolveTargets(const StartRequest& request);
  void AuditResult(const std::string& who, const std::string& action, const std::string& target,
                   const absl::Status& result);

  // What the manager keeps beside an engine: who started it and what the store holds of it.
  struct Bookkeeping {
    std::string created_by;
    int64_t created_at = 0;
    int64_t updated_at = 0;
    bool saved_once = false;                  // the full rollout is in the store
    RolloutState saved_status;                // status fields as last saved (hosts left empty)
    std::set<std::string> unsaved_hosts;      // changed hosts a failed save still owes the store
  };
  // The rollout as a record (spec, state and bookkeeping). Requires mu_.
  RolloutRecord Snapshot(const std::string& id);

  SqliteStore& store_;
  AgentRegistry& registry_;
  Clock& clock_;
  std::mutex mu_;
  std::map<std::string, RolloutEngine> engines_;
  std::map<std::string, Bookkeeping> books_;
  std::mutex plan_mu_;
  std::condition_variable plan_cv_;
  std::map<std::string, PlanAnswer> plan_answers_;  // by nonce, filled by OnPlanAnswer
  uint64_t next_plan_ = 1;
  // Rollbacks an operator waits for, by nonce: the rollout they undo and, once it came, the
  // agent's answer. Guarded by plan_mu_, signalled on plan_cv_.
  struct AwaitedRollback {
    std::string rollout_id;
    bool answered = false;
    bool ack = false;
    HostResult result;
  };
  std::map<std::string, AwaitedRollback> awaited_;
  uint64_t next_rollback_ = 1;
  // The commit `host` had before rollout `id` changed it; "" when unknown. Requires mu_.
  std::string CommitBeforeRollout(const std::string& id, const std::string& host);
  // Hosts named by `hosts` or matching every one of `labels`. Requires mu_.
  static bool Matches(const HostRecord& h, const std::vector<std::string>& hosts,
                      const std::map<std::string, std::string>& labels);
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_ROLLOUT_ROLLOUT_MANAGER_H_
