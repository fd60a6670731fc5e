// Failed logins counted per key (a client address, a user name): after `max_failures` within
// `window`, the key must wait until the oldest of them leaves the window. In memory and bounded:
// beyond `max_keys` the key that failed least recently is forgotten. Pure (time is passed in);
// not thread-safe (UserDirectory holds a lock around it).
#ifndef RELAYGUARD_CONTROLLER_AUTH_LOGIN_LIMITER_H_
#define RELAYGUARD_CONTROLLER_AUTH_LOGIN_LIMITER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <string>
#include <unordered_map>

namespace relayguard::controller {

class LoginLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  LoginLimiter(int max_failures, std::chrono::seconds window, size_t max_keys = 10000);

  // Whole seconds `key` must still wait (at least 1), or 0 when it may try now.
  int64_t RetryAfter(const std::string& key, TimePoint now);
  // One more failure of `key` at `now`.
  void RecordFailure(const std::string& key, TimePoint now);
  // True the first time it is called for `key` while `key` must wait (so that a caller records
  // one refusal per lock-out, not one per attempt); false otherwise.
  bool FirstRefusal(const std::string& key, TimePoint now);
  // Forgets the failures of `key` (after a successful login).
  void Forget(const std::string& key);
  size_t keys() const { return entries_.size(); }

 private:
  struct Entry {
    std::deque<TimePoint> failures;  // oldest first, at most max_failures_
    std::list<std::string>::iterator order;
    bool refusal_noted = false;
  };
  // The entry of `key` with failures outside the window dropped; nullptr (and forgotten) when
  // none is left.
  Entry* Current(const std::string& key, TimePoint now);

  const size_t max_failures_;
  const std::chrono::seconds window_;
  const size_t max_keys_;
  std::list<std::string> order_;  // most recently failed first
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_AUTH_LOGIN_LIMITER_H_
