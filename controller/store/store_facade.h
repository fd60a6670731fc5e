// The one way into the controller's store from its threads (gRPC handlers, the tick loop): a
// lock around the one Store, so that a Store implementation need not be thread-safe. Rollouts,
// compliance, the operator API and the playbook loader all go through it.
#ifndef RELAYGUARD_CONTROLLER_STORE_STORE_FACADE_H_
#define RELAYGUARD_CONTROLLER_STORE_STORE_FACADE_H_

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "controller/metrics/controller_events.h"
#include "controller/store/records.h"
#include "controller/store/store.h"

namespace relayguard::controller {

class StoreFacade {
 public:
  // `events` hears how long each store call takes.
  StoreFacade(Store& store, Clock& clock, ControllerEvents& events = NoControllerEvents())
      : store_(store), clock_(clock), events_(events) {}

  // Runs `f(store)` under the lock and returns what it returns: several calls that must see one
  // state (read, decide, write) go in one `f`. `f` must not call back into this facade.
  template <typename F>
  auto WithStore(F&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    // Timed on every way out, including a throw (which only a bug would do).
    struct Timer {
      ControllerEvents& events;
      std::chrono::steady_clock::time_point started;
      ~Timer() { events.StoreCall(std::chrono::steady_clock::now() - started); }
    } timer{events_, std::chrono::steady_clock::now()};
    return f(store_);
  }

  // One store call each, under the lock (see Store for their contracts).
  absl::Status RecordHost(const HostRecord& host);
  absl::StatusOr<std::vector<HostRecord>> Hosts();
  absl::StatusOr<std::vector<RolloutRecord>> Rollouts();
  absl::StatusOr<std::vector<HostResult>> HostHistory(const std::string& host, size_t limit);
  absl::StatusOr<std::vector<AuditEntry>> AuditLog(size_t limit);
  absl::Status AddPolicy(const PolicyVersionRecord& policy);

  // Records who did what to which target, now, why (`reason`, checked by the caller), with "ok"
  // or the error's message. A failure to record is logged, not returned: the action itself
  // happened (or failed) either way.
  void RecordAudit(const std::string& who, const std::string& action, const std::string& target,
                   const absl::Status& result, const std::string& reason = "");
  // Tells the events that `topic` changed (for callers that wrote through WithStore).
  void Changed(ChangeTopic topic) { events_.StateChanged(topic); }
  // The same inside WithStore (the lock already held), with a result text of the caller's.
  static void RecordAudit(Store& store, const AuditEntry& entry);

 private:
  std::mutex mu_;
  Store& store_;
  Clock& clock_;
  ControllerEvents& events_;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_STORE_STORE_FACADE_H_
