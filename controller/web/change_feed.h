// What changed in the controller, for the dashboard's live updates: a sequence number that grows
// with every change and, per topic, the number of its newest change. Server-Sent Event streams
// wait on it (WaitAfter) and tell the page which topics to fetch again.
#ifndef RELAYGUARD_CONTROLLER_WEB_CHANGE_FEED_H_
#define RELAYGUARD_CONTROLLER_WEB_CHANGE_FEED_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>

#include "controller/metrics/controller_events.h"

namespace relayguard::controller {

class ChangeFeed final : public ControllerEvents {
 public:
  struct Changes {
    uint64_t seq = 0;              // the newest change's number (the `after` of the next wait)
    std::set<ChangeTopic> topics;  // the topics changed after the `after` asked for
  };

  void StateChanged(ChangeTopic topic) override;
  void CommandSent(const AgentCommand&, bool) override {}
  void AgentAnswered(bool, ApplyOutcome) override {}
  void StoreCall(std::chrono::nanoseconds) override {}

  // The current number: what a new stream starts after.
  uint64_t seq() const;
  // Waits until a change after `after`, `timeout`, or `stop` is set and WakeAll() called;
  // returns what changed after `after` (no topics when nothing did).
  Changes WaitAfter(uint64_t after, std::chrono::milliseconds timeout,
                    const std::atomic<bool>& stop) const;
  // Wakes every waiter to look at its `stop` (set it first).
  void WakeAll();

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  uint64_t seq_ = 0;
  std::map<ChangeTopic, uint64_t> newest_;  // topic -> number of its newest change
};

// "hosts", "rollouts", "compliance", "audit", "attempts".
const char* ChangeTopicName(ChangeTopic topic);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_WEB_CHANGE_FEED_H_
