#include "controller/auth/login_limiter.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "controller/auth/password_hash.h"

namespace relayguard::controller {

std::string LoginNameKey(absl::string_view name) {
  // A valid name is at most 64 bytes of [a-z0-9._-]; "(invalid)" can be no user's name.
  if (!CheckUserName(name).ok()) return "(invalid)";
  return std::string(name.substr(0, kMaxLoginKeyBytes));
}

std::string LoginClientKey(absl::string_view client) {
  const std::string text(client.substr(0, INET6_ADDRSTRLEN));
  in_addr v4{};
  if (client.size() < INET6_ADDRSTRLEN && inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return text;
  }
  in6_addr v6{};
  if (client.size() < INET6_ADDRSTRLEN && inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    char out[INET6_ADDRSTRLEN] = {};
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      std::memcpy(&v4, &v6.s6_addr[12], sizeof(v4));
      if (inet_ntop(AF_INET, &v4, out, sizeof(out)) != nullptr) return out;
    } else {
      std::memset(&v6.s6_addr[8], 0, 8);  // the interface identifier
      if (inet_ntop(AF_INET6, &v6, out, sizeof(out)) != nullptr) return absl::StrCat(out, "/64");
    }
  }
  return std::string(client.substr(0, kMaxLoginKeyBytes));
}

LoginLimiter::LoginLimiter(int max_failures, std::chrono::seconds window, size_t max_keys)
    : max_failures_(static_cast<size_t>(std::max(1, max_failures))),
      window_(window),
      max_keys_(std::max<size_t>(1, max_keys)) {}

LoginLimiter::Entry* LoginLimiter::Current(const std::string& key, TimePoint now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  Entry& e = it->second;
  while (!e.failures.empty() && now - e.failures.front() >= window_) e.failures.pop_front();
  if (e.failures.empty() && e.in_flight == 0) {
    order_.erase(e.order);
    entries_.erase(it);
    return nullptr;
  }
  // No longer locked out: the next lock-out is noted again.
  if (e.failures.size() + e.in_flight < max_failures_) e.refusal_noted = false;
  return &e;
}

LoginLimiter::Entry& LoginLimiter::Touch(const std::string& key, TimePoint now) {
  if (Entry* e = Current(key, now); e != nullptr) {
    order_.splice(order_.begin(), order_, e->order);
    return *e;
  }
  if (entries_.size() >= max_keys_) {
    // The least recent key without an attempt under way (there are at most as many of those
    // as threads); the least recent of all when every key has one.
    auto victim = std::prev(order_.end());
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
      if (entries_.at(*it).in_flight == 0) {
        victim = std::prev(it.base());
        break;
      }
    }
    entries_.erase(*victim);
    order_.erase(victim);
  }
  order_.push_front(key);
  Entry& e = entries_[key];
  e.order = order_.begin();
  return e;
}

int64_t LoginLimiter::RetryAfter(const std::string& key, TimePoint now) {
  const Entry* e = Current(key, now);
  if (e == nullptr || e->failures.size() + e->in_flight < max_failures_) return 0;
  // Only attempts under way fill the limit: they end within moments.
  if (e->failures.size() < max_failures_) return 1;
  const auto left = e->failures.front() + window_ - now;
  // Rounded up: a client told "1 s" must not come back a moment too early.
  const int64_t s = std::chrono::ceil<std::chrono::seconds>(left).count();
  return std::max<int64_t>(1, s);
}

void LoginLimiter::RecordFailure(const std::string& key, TimePoint now) {
  Entry& e = Touch(key, now);
  e.failures.push_back(now);
  while (e.failures.size() > max_failures_) e.failures.pop_front();
}

void LoginLimiter::BeginAttempt(const std::string& key, TimePoint now) {
  ++Touch(key, now).in_flight;
}

void LoginLimiter::EndAttempt(const std::string& key, bool failed, TimePoint now) {
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.in_flight > 0) --it->second.in_flight;
  if (failed) {
    RecordFailure(key, now);
  } else {
    Current(key, now);  // forgets the key when nothing is left
  }
}

bool LoginLimiter::FirstRefusal(const std::string& key, TimePoint now) {
  if (RetryAfter(key, now) == 0) return false;
  Entry& e = entries_.at(key);
  const bool first = !e.refusal_noted;
  e.refusal_noted = true;
  return first;
}

void LoginLimiter::Forget(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  if (it->second.in_flight > 0) {
    it->second.failures.clear();
    return;
  }
  order_.erase(it->second.order);
  entries_.erase(it);
}

}  // namespace relayguard::controller
