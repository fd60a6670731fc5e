// Runs the compliance checks of the cached policy (STATE/policy.yaml, the policy this host
// last applied) at the times its `compliance:` section gives, whether or not the controller is
// reachable, and queues each result for the controller. A failed enforcement suspends
// enforcing that version on this host; the controller may put a version on hold.
#ifndef RELAYGUARD_AGENT_COMPLIANCE_COMPLIANCE_SCHEDULER_H_
#define RELAYGUARD_AGENT_COMPLIANCE_COMPLIANCE_SCHEDULER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "agent/compliance/compliance_check.h"
#include "agent/compliance/compliance_queue.h"
#include "common/clock.h"
#include "common/schedule.h"

namespace relayguard::agent {

struct SchedulerDeps {
  ComplianceChecker& checker;
  ComplianceQueue& queue;
  EnforceState& state;
  FileSystem& fs;
  Clock& clock;
  std::mutex& host_mu;  // held while checking: pushes and rollbacks wait, and vice versa
  // Turns a result and its sequence number into the bytes the queue keeps.
  std::function<std::string(const ComplianceResult&, uint64_t seq)> serialize;
  // Told of every check that ran (the agent's metrics); may be empty.
  std::function<void(const ComplianceResult&)> on_result = nullptr;
};

class ComplianceScheduler {
 public:
  // `host`: our name (the splay offset derives from it); `policy_path`: the cached policy.
  ComplianceScheduler(SchedulerDeps deps, std::string host, std::string policy_path)
      : d_(std::move(deps)), host_(std::move(host)), policy_path_(std::move(policy_path)) {}

  // Picks up a changed cached policy and runs the check when it is due. Returns the result
  // when a check ran.
  std::optional<ComplianceResult> Tick();

  // Asks for a check at the next Tick, whatever the schedule says (the log monitor saw a relay):
  // of the cached policy in its compliance mode (enforce re-applies it), or in audit mode when
  // the policy has no compliance section. The report says `trigger`. Thread-safe.
  void RequestCheck(std::string trigger);

  // Tick() every 250 ms until `stop`.
  void Run(const std::atomic<bool>& stop);

  // When the next check is due (seconds since the epoch); 0 when nothing is scheduled.
  int64_t next_check_at() const { return next_at_; }

 private:
  void Reload();  // re-reads the cached policy when its text changed

  SchedulerDeps d_;
  const std::string host_;
  const std::string policy_path_;
  bool loaded_ = false;
  std::string policy_text_;          // text of the cached policy last read
  std::optional<Policy> policy_;     // with a compliance section
  std::optional<Policy> cached_;     // the cached policy, with or without one
  std::mutex request_mu_;
  std::string requested_;            // RequestCheck's trigger; "" when none
  std::optional<Schedule> schedule_;
  int64_t next_at_ = 0;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_COMPLIANCE_COMPLIANCE_SCHEDULER_H_
