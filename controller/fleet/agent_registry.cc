#include "controller/fleet/agent_registry.h"

namespace relayguard::controller {

uint64_t AgentRegistry::Register(const std::string& host, Link link, TimePoint now,
                                 int64_t wall_now) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t generation = next_generation_++;
  agents_[host] = Entry{generation, std::move(link), now, wall_now, false};
  events_.StateChanged(ChangeTopic::kHosts);
  return generation;
}

void AgentRegistry::Unregister(const std::string& host, uint64_t generation) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agents_.find(host);
  if (it != agents_.end() && it->second.generation == generation) {
    agents_.erase(it);
    events_.StateChanged(ChangeTopic::kHosts);
  }
}

void AgentRegistry::Heard(const std::string& host, uint64_t generation, TimePoint now,
                          int64_t wall_now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agents_.find(host);
  if (it == agents_.end() || it->second.generation != generation) return;
  it->second.last_heard = now;
  it->second.last_heard_wall = wall_now;
}

std::vector<std::pair<std::string, std::chrono::milliseconds>> AgentRegistry::CloseSilent(
    TimePoint now, std::chrono::milliseconds timeout) {
  std::vector<std::pair<std::string, std::chrono::milliseconds>> silent;
  std::vector<std::function<void(const std::string&)>> closers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [host, entry] : agents_) {
      auto quiet = std::chrono::duration_cast<std::chrono::milliseconds>(now - entry.last_heard);
      if (quiet <= timeout || entry.closing) continue;
      entry.closing = true;
      silent.emplace_back(host, quiet);
      closers.push_back(entry.link.close);
    }
  }
  // Outside the lock: closing a stream may run its completion (and Unregister) inline.
  for (size_t i = 0; i < closers.size(); ++i) {
    if (closers[i]) {
      closers[i](std::string("no message for ") + std::to_string(silent[i].second.count() / 1000) +
                 " s (heartbeat timeout)");
    }
  }
  return silent;
}

bool AgentRegistry::Send(const std::string& host, const AgentCommand& command) {
  Sender sender;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = agents_.find(host);
    if (it == agents_.end()) {
      events_.CommandSent(command, false);
      return false;
    }
    sender = it->second.link.send;
  }
  const bool sent = sender(command);
  events_.CommandSent(command, sent);
  return sent;
}

bool AgentRegistry::Online(const std::string& host) const {
  std::lock_guard<std::mutex> lock(mu_);
  return agents_.count(host) > 0;
}

int64_t AgentRegistry::LastHeard(const std::string& host) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agents_.find(host);
  return it == agents_.end() ? 0 : it->second.last_heard_wall;
}

std::vector<std::string> AgentRegistry::OnlineHosts() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> hosts;
  for (const auto& [name, entry] : agents_) hosts.push_back(name);
  return hosts;
}

}  // namespace relayguard::controller
