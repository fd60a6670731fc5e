#include "agent/monitor/open_messages.h"

namespace relayguard::agent {

OpenMessage& OpenMessages::Open(absl::string_view queue_id, int64_t now_s) {
  if (OpenMessage* found = Find(queue_id, now_s)) return *found;
  while (!order_.empty() && order_.size() >= max_open_) {
    by_id_.erase(order_.front().queue_id);
    order_.pop_front();
    ++dropped_;
  }
  order_.push_back(OpenMessage{});
  auto it = std::prev(order_.end());
  it->queue_id = std::string(queue_id);
  it->opened_s = now_s;
  by_id_.emplace(it->queue_id, it);
  return *it;
}

OpenMessage* OpenMessages::Find(absl::string_view queue_id, int64_t now_s) {
  Expire(now_s);
  auto found = by_id_.find(std::string(queue_id));
  return found == by_id_.end() ? nullptr : &*found->second;
}

void OpenMessages::Close(absl::string_view queue_id) {
  auto found = by_id_.find(std::string(queue_id));
  if (found == by_id_.end()) return;
  order_.erase(found->second);
  by_id_.erase(found);
}

void OpenMessages::Expire(int64_t now_s) {
  // Entries were opened in log order, so the expired ones are at the front (a clock stepping
  // back only delays their expiry).
  while (!order_.empty() && order_.front().opened_s + expiry_s_ < now_s) {
    by_id_.erase(order_.front().queue_id);
    order_.pop_front();
    ++dropped_;
  }
}

void OpenMessages::AddLine(std::vector<std::string>& lines, absl::string_view line, size_t max) {
  if (lines.size() >= max) return;
  lines.emplace_back(line.substr(0, kMaxLineBytes));
}

}  // namespace relayguard::agent
