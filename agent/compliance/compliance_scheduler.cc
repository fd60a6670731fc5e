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
  cached_.reset();
  schedule_.reset();
  next_at_ = 0;
  if (now_text.empty()) return;
  absl::StatusOr<Policy> policy = ParsePolicy(now_text, policy_path_);
  if (!policy.ok()) {
    log->error("cached policy unusable, no compliance checks: {}", policy.status().message());
    return;
  }
  cached_ = *policy;
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

void ComplianceScheduler::RequestCheck(std::string trigger) {
  std::lock_guard<std::mutex> lock(request_mu_);
  requested_ = std::move(trigger);
}

std::optional<ComplianceResult> ComplianceScheduler::Tick() {
  ComplianceResult result;
  std::string requested;
  {
    std::lock_guard<std::mutex> lock(request_mu_);
    requested.swap(requested_);
  }
  Policy checked;
  {
    // The policy is re-read under the lock: a rollback that just removed it (or a push that
    // replaced it) must not be followed by a check, let alone an enforcement, of the old one.
    std::lock_guard<std::mutex> lock(d_.host_mu);
    Reload();
    const int64_t now = d_.clock.WallSeconds();
    const bool scheduled = policy_ && next_at_ != 0 && now >= next_at_;
    if (!scheduled && (requested.empty() || !cached_)) {
      if (!requested.empty()) {
        Logger("agent.compliance")
            ->warn("a check was asked for ({}) but this host has no applied policy to check",
                   requested);
      }
      return std::nullopt;
    }
    checked = policy_ ? *policy_ : *cached_;  // without a compliance section: audit
    EnforceGate gate;
    gate.suspended = d_.state.Suspended(checked.name, checked.version);
    gate.held = d_.state.Held(checked.name, checked.version);
    result = d_.checker.Check(checked, now, gate);
    result.trigger = requested.empty() ? "schedule" : requested;
  }
  const int64_t now = result.checked_at;
  if (EnforcementFailed(result.enforcement) || result.enforcement == Enforcement::kRefused) {
    if (absl::Status s = d_.state.Suspend(checked.name, checked.version); !s.ok()) {
      Logger("agent.compliance")->error("cannot record the suspension: {}", s.message());
    }
  }
  absl::StatusOr<uint64_t> seq =
      d_.queue.Push([&](uint64_t n) { return d_.serialize(result, n); });
  if (!seq.ok()) {
    Logger("agent.compliance")->error("cannot queue the compliance report: {}",
                                      seq.status().message());
  }
  if (policy_ && schedule_ && next_at_ != 0 && now >= next_at_) {
    next_at_ = NextCheckAfter(*schedule_, host_, policy_->compliance->splay_s,
                              std::max(now, d_.clock.WallSeconds()));
  }
  Logger("agent.compliance")
      ->info("compliance check {} ({}): {} ({}); next at {}", seq.ok() ? *seq : 0,
             result.trigger, ComplianceStatusName(result.status), result.summary,
             next_at_ == 0 ? std::string("(no schedule)") : Utc(next_at_));
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
