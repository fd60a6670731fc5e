#include "controller/fleet/agent_channel.h"

#include <random>

#include "absl/strings/str_cat.h"

namespace relayguard::controller {

bool AgentChannel::Send(const std::string& host, const AgentCommand& command) {
  return registry_.Send(host, command);
}

std::vector<std::string> AgentChannel::OnlineHosts() const { return registry_.OnlineHosts(); }

std::vector<PlanAnswer> AgentChannel::AskPlans(const std::vector<std::string>& hosts,
                                               const PolicyVersionRecord& policy,
                                               std::chrono::seconds timeout) {
  std::map<std::string, std::string> nonce_of;  // host -> nonce, for the hosts it went to
  for (const std::string& host : hosts) {
    std::string nonce;
    {
      // Awaited before it is sent: the answer may come back before Send returns.
      std::lock_guard<std::mutex> lock(mu_);
      nonce = absl::StrCat("plan-", next_plan_++);
      plans_[nonce].host = host;
    }
    if (registry_.Send(host, PlanCommand{nonce, policy.name, policy.version, policy.yaml})) {
      nonce_of[host] = nonce;
    } else {
      std::lock_guard<std::mutex> lock(mu_);
      plans_.erase(nonce);
    }
  }
  std::unique_lock<std::mutex> lock(mu_);
  answered_.wait_for(lock, timeout, [&] {
    if (shutting_down_) return true;
    for (const auto& [host, nonce] : nonce_of) {
      if (!plans_[nonce].answer.has_value()) return false;
    }
    return true;
  });
  std::vector<PlanAnswer> answers;
  for (const std::string& host : hosts) {
    auto n = nonce_of.find(host);
    if (n == nonce_of.end()) {
      answers.push_back({host, PlanStatus::kOffline, "", "not connected"});
      continue;
    }
    std::optional<PlanAnswer>& answer = plans_[n->second].answer;
    if (answer.has_value()) {
      answers.push_back(*answer);
    } else {
      answers.push_back(
          {host, PlanStatus::kNoAnswer, "", absl::StrCat("no answer within ", timeout.count(), " s")});
    }
    plans_.erase(n->second);
  }
  return answers;
}

bool AgentChannel::OnPlanAnswer(const std::string& nonce, const PlanAnswer& answer) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = plans_.find(nonce);
    // Not asked, asked and given up on, asked of another host, or answered already.
    if (it == plans_.end() || it->second.host != answer.host || it->second.answer.has_value()) {
      return false;
    }
    it->second.answer = answer;
  }
  answered_.notify_all();
  return true;
}

std::string AgentChannel::RandomNonceSalt() {
  std::random_device random;
  return absl::StrCat(absl::Hex(random(), absl::kZeroPad8), absl::Hex(random(), absl::kZeroPad8));
}

std::string AgentChannel::NewRollbackNonce(const std::string& rollout_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return absl::StrCat(rollout_id.empty() ? "rollback" : rollout_id, "-rollback-",
                      next_rollback_++, "-", clock_.WallSeconds(), "-", nonce_salt_);
}

bool AgentChannel::SendRollback(const std::string& host, const std::string& rollout_id,
                                const std::string& to_commit, const std::string& nonce) {
  {
    // Awaited before it is sent: the answer may come back before Send returns.
    std::lock_guard<std::mutex> lock(mu_);
    rollbacks_[nonce].rollout_id = rollout_id;
    rollbacks_[nonce].host = host;
  }
  if (registry_.Send(host, RollbackCommand{nonce, rollout_id, to_commit})) return true;
  std::lock_guard<std::mutex> lock(mu_);
  rollbacks_.erase(nonce);
  return false;
}

bool AgentChannel::ResendRollback(const std::string& host, const std::string& rollout_id,
                                  const std::string& to_commit, const std::string& nonce) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    // One still awaited (its host reconnected while Rollback waits) is taken from rollbacks_.
    if (!rollbacks_.count(nonce) && !late_rollbacks_.count(nonce)) {
      KeepLateLocked(nonce, AwaitedRollback{host, rollout_id, {}});
    }
  }
  return registry_.Send(host, RollbackCommand{nonce, rollout_id, to_commit});
}

void AgentChannel::KeepLateLocked(const std::string& nonce, const AwaitedRollback& rollback) {
  late_rollbacks_[nonce] = rollback;
  late_order_.push_back(nonce);
  if (late_order_.size() > kMaxLateRollbacks) {
    late_rollbacks_.erase(late_order_.front());
    late_order_.pop_front();
  }
}

std::map<std::string, std::optional<RollbackAnswer>> AgentChannel::AwaitRollbacks(
    const std::vector<std::string>& nonces, std::chrono::seconds wait) {
  std::unique_lock<std::mutex> lock(mu_);
  answered_.wait_for(lock, wait, [&] {
    if (shutting_down_) return true;
    for (const std::string& nonce : nonces) {
      if (!rollbacks_[nonce].answer.has_value()) return false;
    }
    return true;
  });
  std::map<std::string, std::optional<RollbackAnswer>> answers;
  for (const std::string& nonce : nonces) {
    auto it = rollbacks_.find(nonce);
    if (it == rollbacks_.end()) {
      answers[nonce] = std::nullopt;
      continue;
    }
    answers[nonce] = it->second.answer;
    if (!it->second.answer.has_value()) KeepLateLocked(nonce, it->second);
    rollbacks_.erase(it);
  }
  return answers;
}

bool AgentChannel::AwaitsRollback(const std::string& host, const std::string& nonce) {
  return OwedRollback(host, nonce).has_value();
}

std::optional<std::string> AgentChannel::OwedRollback(const std::string& host,
                                                      const std::string& nonce) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = rollbacks_.find(nonce); it != rollbacks_.end()) {
    if (it->second.host != host || it->second.answer.has_value()) return std::nullopt;
    return it->second.rollout_id;
  }
  auto late = late_rollbacks_.find(nonce);
  if (late == late_rollbacks_.end() || late->second.host != host) return std::nullopt;
  return late->second.rollout_id;
}

void AgentChannel::OnRollbackAnswer(const HostResult& result, bool ack) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = rollbacks_.find(result.nonce);
    if (it == rollbacks_.end()) {
      // Given up on by AwaitRollbacks: stored once, nobody waits for it any more.
      auto late = late_rollbacks_.find(result.nonce);
      if (late != late_rollbacks_.end() && late->second.host == result.host) {
        late_rollbacks_.erase(late);  // its nonce stays in late_order_ until pushed out: harmless
      }
      return;
    }
    if (it->second.host != result.host || it->second.answer.has_value()) return;
    it->second.answer = RollbackAnswer{ack, result};
    late_rollbacks_.erase(result.nonce);  // answered: owed nowhere any more
  }
  answered_.notify_all();
}

void AgentChannel::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
  }
  answered_.notify_all();
}

}  // namespace relayguard::controller
