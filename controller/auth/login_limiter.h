// Failed logins counted per key (a client address, a user name): after `max_failures` within
// `window`, the key must wait until the oldest of them leaves the window. Attempts still being
// checked count as failures until they end, so that parallel attempts cannot run more checks
// than failures are allowed. In memory and bounded: beyond `max_keys` the key that failed least
// recently (and has no attempt under way) is forgotten. Pure (time is passed in); not
// thread-safe (UserDirectory holds a lock around it).
#ifndef RELAYGUARD_CONTROLLER_AUTH_LOGIN_LIMITER_H_
#define RELAYGUARD_CONTROLLER_AUTH_LOGIN_LIMITER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <string>
#include <unordered_map>

#include "absl/strings/string_view.h"

namespace relayguard::controller {

// The longest key a limiter is given (LoginNameKey and LoginClientKey never exceed it).
inline constexpr size_t kMaxLoginKeyBytes = 64;

// The key under which logins for user name `name` are counted: the name itself when it is a
// valid user name, one shared "(invalid)" key for every other (so that junk names cost no
// memory); never longer than kMaxLoginKeyBytes.
std::string LoginNameKey(absl::string_view name);
// The key under which logins from address `client` are counted: an IPv4 address (also when
// IPv4-mapped IPv6) as itself, an IPv6 address as its /64 ("2001:db8:1:2::/64": one host
// usually holds a whole /64), anything else cut to kMaxLoginKeyBytes.
std::string LoginClientKey(absl::string_view client);

class LoginLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  LoginLimiter(int max_failures, std::chrono::seconds window, size_t max_keys = 10000);

  // Whole seconds `key` must still wait (at least 1), or 0 when it may try now. Attempts under
  // way count as failures; when only they fill the limit the wait is 1 s.
  int64_t RetryAfter(const std::string& key, TimePoint now);
  // One more failure of `key` at `now`.
  void RecordFailure(const std::string& key, TimePoint now);
  // An attempt of `key` starts (counted as a failure until EndAttempt); call only when
  // RetryAfter said 0, under the same lock.
  void BeginAttempt(const std::string& key, TimePoint now);
  // The attempt of `key` begun earlier ends; `failed` records it as a failure at `now`.
  void EndAttempt(const std::string& key, bool failed, TimePoint now);
  // True the first time it is called for `key` while `key` must wait (so that a caller records
  // one refusal per lock-out, not one per attempt); false otherwise.
  bool FirstRefusal(const std::string& key, TimePoint now);
  // Forgets the failures of `key` (after a successful login); attempts under way still count.
  void Forget(const std::string& key);
  size_t keys() const { return entries_.size(); }

 private:
  struct Entry {
    std::deque<TimePoint> failures;  // oldest first, at most max_failures_
    std::list<std::string>::iterator order;
    size_t in_flight = 0;  // attempts begun and not yet ended
    bool refusal_noted = false;
  };
  // The entry of `key` with failures outside the window dropped; nullptr (and forgotten) when
  // no failure and no attempt is left.
  Entry* Current(const std::string& key, TimePoint now);
  // The entry of `key` (created, evicting another beyond max_keys_), now the most recent.
  Entry& Touch(const std::string& key, TimePoint now);

  const size_t max_failures_;
  const std::chrono::seconds window_;
  const size_t max_keys_;
  std::list<std::string> order_;  // most recently failed first
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_AUTH_LOGIN_LIMITER_H_
