#include "controller/web/change_feed.h"

namespace relayguard::controller {

void ChangeFeed::StateChanged(ChangeTopic topic) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    newest_[topic] = ++seq_;
  }
  changed_.notify_all();
}

uint64_t ChangeFeed::seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seq_;
}

ChangeFeed::Changes ChangeFeed::WaitAfter(uint64_t after, std::chrono::milliseconds timeout,
                                          const std::atomic<bool>& stop) const {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_for(lock, timeout, [&] { return seq_ > after || stop; });
  Changes changes;
  changes.seq = seq_;
  for (const auto& [topic, newest] : newest_) {
    if (newest > after) changes.topics.insert(topic);
  }
  return changes;
}

void ChangeFeed::WakeAll() {
  // Taking the lock orders this after a waiter's look at its stop flag.
  { std::lock_guard<std::mutex> lock(mu_); }
  changed_.notify_all();
}

const char* ChangeTopicName(ChangeTopic topic) {
  switch (topic) {
    case ChangeTopic::kHosts:
      return "hosts";
    case ChangeTopic::kRollouts:
      return "rollouts";
    case ChangeTopic::kCompliance:
      return "compliance";
    case ChangeTopic::kAudit:
      return "audit";
    case ChangeTopic::kAttempts:
      return "attempts";
  }
  return "unknown";
}

}  // namespace relayguard::controller
