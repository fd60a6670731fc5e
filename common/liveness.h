// Heartbeats on a long-lived stream (pure: the time is passed in). One side sends a heartbeat
// every `interval`; a peer not heard from (any message counts) for `missed` intervals is gone,
// and the stream is closed so that reconnecting can start. Used by the agent (is the controller
// still there?) and, per agent, by the controller (is the agent still there?).
#ifndef RELAYGUARD_COMMON_LIVENESS_H_
#define RELAYGUARD_COMMON_LIVENESS_H_

#include <chrono>

namespace relayguard {

class Liveness {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // `now` counts as the last time the peer was heard from and the last heartbeat sent.
  Liveness(std::chrono::milliseconds interval, int missed, TimePoint now)
      : interval_(interval), missed_(missed), last_heard_(now), last_sent_(now) {}

  void Heard(TimePoint now) { last_heard_ = now; }
  // Whether a heartbeat is due; if so, counts it as sent at `now`.
  bool TakeSendDue(TimePoint now) {
    if (now - last_sent_ < interval_) return false;
    last_sent_ = now;
    return true;
  }
  bool PeerSilent(TimePoint now) const { return now - last_heard_ > interval_ * missed_; }
  std::chrono::milliseconds SilentFor(TimePoint now) const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now - last_heard_);
  }
  std::chrono::milliseconds interval() const { return interval_; }

 private:
  std::chrono::milliseconds interval_;
  int missed_;
  TimePoint last_heard_;
  TimePoint last_sent_;
};

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_LIVENESS_H_
