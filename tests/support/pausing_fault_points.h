// Test support: fault points that stop the agent at named points (it says so on stderr and
// sleeps), so a test can SIGKILL it in a known phase of a transaction, or change something and
// resume it (SIGUSR1) to the next point ("after-activate,restore:after-reload"). Only the test binary
// relayguard-agent-pausing (pausing_agent_main.cc) wires it; relayguard-agent cannot pause.
#ifndef RELAYGUARD_TESTS_SUPPORT_PAUSING_FAULT_POINTS_H_
#define RELAYGUARD_TESTS_SUPPORT_PAUSING_FAULT_POINTS_H_

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"

#include "agent/apply/fault_points.h"

namespace relayguard::testing {

class PausingFaultPoints final : public agent::FaultPoints {
 public:
  // `pause_at`: fault point names (agent/apply/fault_points.h), comma-separated.
  explicit PausingFaultPoints(const std::string& pause_at)
      : pause_at_(absl::StrSplit(pause_at, ',', absl::SkipEmpty())) {}

  void Reached(absl::string_view point) override {
    if (std::find(pause_at_.begin(), pause_at_.end(), point) == pause_at_.end()) return;
    resumed_ = 0;
    std::signal(SIGUSR1, [](int) { resumed_ = 1; });
    std::cerr << "relayguard-agent: paused at " << point << " (pid " << getpid() << ")"
              << std::endl;
    // Long enough for any test to kill it or to break something and resume it (SIGUSR1);
    // should it do neither, the agent goes on.
    for (int i = 0; i < 2400 && resumed_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

 private:
  std::vector<std::string> pause_at_;
  static inline volatile std::sig_atomic_t resumed_ = 0;
};

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_SUPPORT_PAUSING_FAULT_POINTS_H_
