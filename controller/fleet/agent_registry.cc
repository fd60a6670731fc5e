#include "controller/fleet/agent_registry.h"

namespace relayguard::controller {

uint64_t AgentRegistry::Register(const std::string& host, Sender sender) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t generation = next_generation_++;
  agents_[host] = Entry{generation, std::move(sender)};
  return generation;
}

void AgentRegistry::Unregister(const std::string& host, uint64_t generation) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agents_.find(host);
  if (it != agents_.end() && it->second.generation == generation) agents_.erase(it);
}

bool AgentRegistry::Send(const std::string& host, const AgentCommand& command) {
  Sender sender;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = agents_.find(host);
    if (it == agents_.end()) return false;
    sender = it->second.sender;
  }
  return sender(command);
}

bool AgentRegistry::Online(const std::string& host) const {
  std::lock_guard<std::mutex> lock(mu_);
  return agents_.count(host) > 0;
}

std::vector<std::string> AgentRegistry::OnlineHosts() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> hosts;
  for (const auto& [name, entry] : agents_) hosts.push_back(name);
  return hosts;
}

}  // namespace relayguard::controller
