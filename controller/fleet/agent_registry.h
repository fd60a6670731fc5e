// Which agents are connected right now, and a way to send each one a command. Thread-safe: the
// gRPC stream handlers register and unregister; the rollout manager sends.
#ifndef RELAYGUARD_CONTROLLER_FLEET_AGENT_REGISTRY_H_
#define RELAYGUARD_CONTROLLER_FLEET_AGENT_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace relayguard::controller {

// A command for one agent, independent of the wire format.
struct AgentCommand {
  enum class Kind { kPush, kRollback, kPlan };
  Kind kind = Kind::kPush;
  std::string nonce;
  std::string rollout_id;
  std::string policy_name;
  uint64_t policy_version = 0;
  std::string policy_yaml;
  std::string to_commit;  // rollback target; empty: before the newest apply
};

class AgentRegistry {
 public:
  using Sender = std::function<bool(const AgentCommand&)>;

  // Registers `host`'s stream; a newer registration replaces an older one. Returns a
  // generation to pass to Unregister, so a stale stream cannot remove its replacement.
  uint64_t Register(const std::string& host, Sender sender);
  void Unregister(const std::string& host, uint64_t generation);
  // False when the host is not connected or its stream refused the write.
  bool Send(const std::string& host, const AgentCommand& command);
  bool Online(const std::string& host) const;
  std::vector<std::string> OnlineHosts() const;

 private:
  struct Entry {
    uint64_t generation;
    Sender sender;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry> agents_;
  uint64_t next_generation_ = 1;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_FLEET_AGENT_REGISTRY_H_
