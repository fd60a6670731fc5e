// Records how long a phase of a transaction took into its report, on destruction.
#ifndef RELAYGUARD_AGENT_APPLY_PHASE_TIMER_H_
#define RELAYGUARD_AGENT_APPLY_PHASE_TIMER_H_

#include <chrono>
#include <string>

#include "agent/apply/transaction_report.h"
#include "common/clock.h"

namespace relayguard::agent {

class PhaseTimer {
 public:
  PhaseTimer(Clock& clock, TransactionReport& report, std::string phase)
      : clock_(clock), report_(report), phase_(std::move(phase)), start_(clock.Now()) {}
  ~PhaseTimer() {
    std::chrono::duration<double, std::milli> took = clock_.Now() - start_;
    report_.timings.push_back({phase_, took.count()});
  }
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;

 private:
  Clock& clock_;
  TransactionReport& report_;
  std::string phase_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_APPLY_PHASE_TIMER_H_
