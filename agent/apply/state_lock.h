// One agent at a time per state dir: an exclusive flock on STATE/agent.lock, held for the life
// of the object (the kernel drops it if the process dies, so a killed agent never blocks).
#ifndef RELAYGUARD_AGENT_APPLY_STATE_LOCK_H_
#define RELAYGUARD_AGENT_APPLY_STATE_LOCK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace relayguard::agent {

class StateLock {
 public:
  // FailedPrecondition naming the holder's pid when another process holds the lock.
  static absl::StatusOr<std::unique_ptr<StateLock>> Acquire(const std::string& state_dir);
  ~StateLock();

 private:
  explicit StateLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_APPLY_STATE_LOCK_H_
