// Which agents are connected right now, and a way to send each one a command. Thread-safe: the
// gRPC stream handlers register and unregister; the rollout manager sends.
#ifndef RELAYGUARD_CONTROLLER_FLEET_AGENT_REGISTRY_H_
#define RELAYGUARD_CONTROLLER_FLEET_AGENT_REGISTRY_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "controller/fleet/agent_command.h"
#include "controller/metrics/controller_events.h"

namespace relayguard::controller {

class AgentRegistry {
 public:
  using Sender = std::function<bool(const AgentCommand&)>;
  using TimePoint = std::chrono::steady_clock::time_point;
  // What the registry holds of one stream: a way to send it a command and a way to end it
  // (with a reason the agent is told).
  struct Link {
    Sender send;
    std::function<void(const std::string& reason)> close;
  };

  // `events` hears of every command sent, or not sent.
  explicit AgentRegistry(ControllerEvents& events = NoControllerEvents()) : events_(events) {}

  // Registers `host`'s stream, heard from at `now`; a newer registration replaces an older one.
  // Returns a generation to pass to Heard and Unregister, so a stale stream cannot touch its
  // replacement.
  uint64_t Register(const std::string& host, Link link, TimePoint now, int64_t wall_now);
  void Unregister(const std::string& host, uint64_t generation);
  // The stream said something (any message counts as a sign of life).
  void Heard(const std::string& host, uint64_t generation, TimePoint now, int64_t wall_now);
  // Ends every stream not heard from for longer than `timeout` and returns those hosts with how
  // long each was silent. The streams unregister themselves as they finish.
  std::vector<std::pair<std::string, std::chrono::milliseconds>> CloseSilent(
      TimePoint now, std::chrono::milliseconds timeout);
  // False when the host is not connected or its stream refused the write.
  bool Send(const std::string& host, const AgentCommand& command);
  bool Online(const std::string& host) const;
  // Seconds since the epoch when the host's stream was last heard from; 0 when offline.
  int64_t LastHeard(const std::string& host) const;
  std::vector<std::string> OnlineHosts() const;

 private:
  struct Entry {
    uint64_t generation;
    Link link;
    TimePoint last_heard;
    int64_t last_heard_wall;
    bool closing = false;  // CloseSilent ended it; it unregisters when gRPC is done with it
  };
  ControllerEvents& events_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> agents_;
  uint64_t next_generation_ = 1;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_FLEET_AGENT_REGISTRY_H_
