// Test support: polling for a condition with a limit, and counting occurrences in output.
#ifndef RELAYGUARD_TESTS_SUPPORT_WAIT_H_
#define RELAYGUARD_TESTS_SUPPORT_WAIT_H_

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>

namespace relayguard::testing {

// How many times longer than in the normal build a test may wait for its daemons:
// RG_TEST_TIME_SCALE, a whole number from 1 to 20 (default 1). The sanitizer run sets it, because
// there every process runs several times slower, several tests at a time. Limits that are the
// behaviour under test (a probe's own timeout, a heartbeat deadline) are not scaled; the time
// allowed on top of them is.
inline int TimeScale() {
  static const int scale = [] {
    const char* text = std::getenv("RG_TEST_TIME_SCALE");
    if (text == nullptr || *text == '\0') return 1;
    char* end = nullptr;
    long value = std::strtol(text, &end, 10);
    return (*end == '\0' && value >= 1 && value <= 20) ? static_cast<int>(value) : 1;
  }();
  return scale;
}

// `limit` times TimeScale().
template <typename Rep, typename Period>
std::chrono::duration<Rep, Period> Scaled(std::chrono::duration<Rep, Period> limit) {
  return limit * TimeScale();
}

// Polls `done` every 100 ms until it holds or `limit` (scaled) passes; returns its last answer.
inline bool WaitFor(const std::function<bool()>& done, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + Scaled(limit);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

// How often `what` occurs in `text` (overlapping occurrences count).
inline size_t CountOf(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_SUPPORT_WAIT_H_
