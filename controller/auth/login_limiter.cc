#include "controller/auth/login_limiter.h"

#include <algorithm>

namespace relayguard::controller {

LoginLimiter::LoginLimiter(int max_failures, std::chrono::seconds window, size_t max_keys)
    : max_failures_(static_cast<size_t>(std::max(1, max_failures))),
      window_(window),
      max_keys_(std::max<size_t>(1, max_keys)) {}

LoginLimiter::Entry* LoginLimiter::Current(const std::string& key, TimePoint now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  Entry& e = it->second;
  while (!e.failures.empty() && now - e.failures.front() >= window_) e.failures.pop_front();
  if (e.failures.empty()) {
    order_.erase(e.order);
    entries_.erase(it);
    return nullptr;
  }
  if (e.failures.size() < max_failures_) e.refusal_noted = false;  // no longer locked out
  return &e;
}

int64_t LoginLimiter::RetryAfter(const std::string& key, TimePoint now) {
  const Entry* e = Current(key, now);
  if (e == nullptr || e->failures.size() < max_failures_) return 0;
  const auto left = e->failures.front() + window_ - now;
  // Rounded up: a client told "1 s" must not come back a moment too early.
  const int64_t s = std::chrono::ceil<std::chrono::seconds>(left).count();
  return std::max<int64_t>(1, s);
}

void LoginLimiter::RecordFailure(const std::string& key, TimePoint now) {
  Entry* e = Current(key, now);
  if (e == nullptr) {
    if (entries_.size() >= max_keys_) {
      entries_.erase(order_.back());
      order_.pop_back();
    }
    order_.push_front(key);
    e = &entries_[key];
    e->order = order_.begin();
  } else {
    order_.splice(order_.begin(), order_, e->order);
  }
  e->failures.push_back(now);
  while (e->failures.size() > max_failures_) e->failures.pop_front();
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
  order_.erase(it->second.order);
  entries_.erase(it);
}

}  // namespace relayguard::controller
