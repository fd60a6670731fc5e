#include "common/splay.h"

#include "common/schedule_time.h"

namespace relayguard {

int64_t SplayOffset(const std::string& host, int64_t splay_s) {
  if (splay_s <= 0) return 0;
  // FNV-1a, 64 bit: fixed constants, so the offset is the same on every machine and run.
  uint64_t hash = 14695981039346656037ull;
  for (char c : host) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return static_cast<int64_t>(hash % static_cast<uint64_t>(splay_s));
}

int64_t NextCheckAfter(const Schedule& schedule, const std::string& host, int64_t splay_s,
                       int64_t after) {
  const int64_t offset = SplayOffset(host, splay_s);
  const int64_t firing = schedule.NextAfter(after - offset);
  return firing == schedule_internal::kNever ? schedule_internal::kNever : firing + offset;
}

}  // namespace relayguard
