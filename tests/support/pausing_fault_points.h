// Test support: fault points that stop the agent at one named point (it says so on stderr and
// sleeps), so a test can SIGKILL it in a known phase of a transaction. Only the test binary
// relayguard-agent-pausing (pausing_agent_main.cc) wires it; relayguard-agent cannot pause.
#ifndef RELAYGUARD_TESTS_SUPPORT_PAUSING_FAULT_POINTS_H_
#define RELAYGUARD_TESTS_SUPPORT_PAUSING_FAULT_POINTS_H_

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <iostream>
#include <string>
#include <thread>

#include "agent/apply/fault_points.h"

namespace relayguard::testing {

class PausingFaultPoints final : public agent::FaultPoints {
 public:
  explicit PausingFaultPoints(std::string pause_at) : pause_at_(std::move(pause_at)) {}

  void Reached(absl::string_view point) override {
    if (point != pause_at_) return;
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
  std::string pause_at_;
  static inline volatile std::sig_atomic_t resumed_ = 0;
};

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_SUPPORT_PAUSING_FAULT_POINTS_H_
