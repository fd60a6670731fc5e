// Reconnect delays with jitter (pure: the random draw is passed in), so a fleet that lost its
// controller does not come back all at once.
#ifndef RELAYGUARD_AGENT_STREAM_BACKOFF_H_
#define RELAYGUARD_AGENT_STREAM_BACKOFF_H_

#include <algorithm>
#include <chrono>

namespace relayguard::agent {

struct BackoffPolicy {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{30000};
  double multiplier = 2.0;
  double jitter = 0.5;  // the delay is drawn from [d * (1 - jitter), d]
};

// Delay before reconnect attempt `attempt` (0-based). `unit_random` is a draw from [0, 1).
inline std::chrono::milliseconds BackoffDelay(const BackoffPolicy& p, int attempt,
                                              double unit_random) {
  double d = static_cast<double>(p.initial.count());
  for (int i = 0; i < attempt && d < static_cast<double>(p.max.count()); ++i) d *= p.multiplier;
  d = std::min(d, static_cast<double>(p.max.count()));
  double low = d * (1.0 - p.jitter);
  return std::chrono::milliseconds(static_cast<int64_t>(low + (d - low) * unit_random));
}

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_STREAM_BACKOFF_H_
