#include "agent/compliance/compliance_scheduler.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "agent/policy/policy_loader.h"
#include "common/logging.h"

namespace relayguard::agent {
namespace {

std::string Utc(int64_t t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(t), absl::UTCTimeZone());
}

}  // namespace

void ComplianceScheduler::Reload() {
  auto log = Logger("agent.compliance");
  absl::StatusOr<std::string> text = d_.fs.ReadFile(policy_path_);
  const std::string now_text = text.ok() ? *text : "";
  if (loaded_ && now_text == policy_text_) return;
  loaded_ = true;
  policy_text_ = now_text;
  policy_.reset();
  schedule_.reset();
  next_at_ = 0;
  if (now_text.empty()) return;
  absl::StatusOr<Policy> policy = ParsePolicy(now_text, policy_path_);
  if (!policy.ok()) {
    log->error("cached policy unusable, no compliance checks: {}", policy.status().message());
    return;
  }
  if (!policy->compliance) {
    log->info("policy {} v{} has no compliance schedule", policy->name, policy->version);
    return;
  }
  absl::StatusOr<Schedule> schedule =
      Schedule::Parse(policy->compliance->schedule, policy->compliance->time_zone);
  if (!schedule.ok()) {
    log->error("policy {} v{}: compliance.schedule: {}", policy->name, policy->version,
               schedule.status().message());
    return;
  }
  policy_ = *policy;
  schedule_ = *schedule;
  next_at_ = NextCheckAfter(*schedule_, host_, policy_->compliance->splay_s,
                            d_.clock.WallSeconds());
  log->info("compliance: {} v{} in {} mode, schedule \"{}\" ({}), next check at {}", policy_->name,
            policy_->version, ComplianceModeName(policy_->compliance->mode),
            policy_->compliance->schedule, policy_->compliance->time_zone, Utc(next_at_));
}

std::optional<ComplianceResult> ComplianceScheduler::Tick() {
  ComplianceResult result;
  {
    // The policy is re-read under the lock: a rollback that just removed it (or a push that
    // replaced it) must not be followed by a check, let alone an enforcement, of the old one.
    std::lock_guard<std::mutex> lock(d_.host_mu);
    Reload();
    if (!policy_ || next_at_ == 0) return std::nullopt;
    const int64_t now = d_.clock.WallSeconds();
    if (now < next_at_) return std::nullopt;
    EnforceGate gate;
    gate.suspended = d_.state.Suspended(policy_->name, policy_->version);
    gate.held = d_.state.Held(policy_->name, policy_->version);
    result = d_.checker.Check(*policy_, now, gate);
  }
  const int64_t now = result.checked_at;
  if (EnforcementFailed(result.enforcement) || result.enforcement == Enforcement::kRefused) {
    if (absl::Status s = d_.state.Suspend(policy_->name, policy_->version); !s.ok()) {
      Logger("agent.compliance")->error("cannot record the suspension: {}", s.message());
    }
  }
  absl::StatusOr<uint64_t> seq =
      d_.queue.Push([&](uint64_t n) { return d_.serialize(result, n); });
  if (!seq.ok()) {
    Logger("agent.compliance")->error("cannot queue the compliance report: {}",
                                      seq.status().message());
  }
  next_at_ = NextCheckAfter(*schedule_, host_, policy_->compliance->splay_s,
                            std::max(now, d_.clock.WallSeconds()));
  Logger("agent.compliance")
      ->info("compliance check {}: {} ({}); next at {}", seq.ok() ? *seq : 0,
             ComplianceStatusName(result.status), result.summary, Utc(next_at_));
  if (d_.on_result) d_.on_result(result);
  return result;
}

void ComplianceScheduler::Run(const std::atomic<bool>& stop) {
  while (!stop) {
    Tick();
    d_.clock.SleepFor(std::chrono::milliseconds(250));
  }
}

}  // namespace relayguard::agent
