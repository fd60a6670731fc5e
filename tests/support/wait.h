// Test support: polling for a condition with a limit, and counting occurrences in output.
#ifndef RELAYGUARD_TESTS_SUPPORT_WAIT_H_
#define RELAYGUARD_TESTS_SUPPORT_WAIT_H_

#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace relayguard::testing {

// Polls `done` every 100 ms until it holds or `limit` passes; returns its last answer.
inline bool WaitFor(const std::function<bool()>& done, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
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
