#include "controller/fleet/agent_channel.h"

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
      plans_[nonce];
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
      if (!plans_[nonce].has_value()) return false;
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
    std::optional<PlanAnswer>& answer = plans_[n->second];
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

void AgentChannel::OnPlanAnswer(const std::string& nonce, const PlanAnswer& answer) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = plans_.find(nonce);
    if (it == plans_.end()) return;  // not asked, or asked and given up on
    it->second = answer;
  }
  answered_.notify_all();
}

std::optional<std::string> AgentChannel::SendRollback(const std::string& host,
                                                      const std::string& rollout_id,
                                                      const std::string& to_commit) {
  std::string nonce;
  {
    std::lock_guard<std::mutex> lock(mu_);
    nonce = absl::StrCat(rollout_id.empty() ? "rollback" : rollout_id, "-rollback-",
                         next_rollback_++, "-", clock_.WallSeconds());
    rollbacks_[nonce].rollout_id = rollout_id;
  }
  if (registry_.Send(host, RollbackCommand{nonce, rollout_id, to_commit})) return nonce;
  std::lock_guard<std::mutex> lock(mu_);
  rollbacks_.erase(nonce);
  return std::nullopt;
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
    answers[nonce] = rollbacks_[nonce].answer;
    rollbacks_.erase(nonce);
  }
  return answers;
}

std::optional<std::string> AgentChannel::OnRollbackAnswer(const HostResult& result, bool ack) {
  std::string rollout_id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = rollbacks_.find(result.nonce);
    if (it == rollbacks_.end()) return std::nullopt;
    it->second.answer = RollbackAnswer{ack, result};
    rollout_id = it->second.rollout_id;
  }
  answered_.notify_all();
  return rollout_id;
}

void AgentChannel::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
  }
  answered_.notify_all();
}

}  // namespace relayguard::controller
