// The rollout engine: a pure state machine. Events in (start, ACK, NACK, host online/offline,
// clock ticks, operator commands), actions out (push a policy to a host, roll a host back,
// persist, report). It owns no threads, sockets, timers or protobuf; the controller's server
// carries the actions out and feeds the events in. Its whole state is a plain value
// (RolloutState) that the store saves after every step, so a restarted controller continues
// a rollout exactly where it stopped (Restore) without repeating pushes that were ACKed.
#ifndef RELAYGUARD_CONTROLLER_ROLLOUT_ROLLOUT_ENGINE_H_
#define RELAYGUARD_CONTROLLER_ROLLOUT_ROLLOUT_ENGINE_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace relayguard::controller {

// One wave: an absolute host count ("1") or a percentage of all targets ("10%"), cumulative:
// waves "1, 10%, 100%" over 50 hosts touch 1, then up to 5, then all 50.
struct WaveSize {
  bool percent = false;
  int value = 0;  // count >= 1, or percent 1..100
  bool operator==(const WaveSize&) const = default;
};

// Parses "1,10%,100%" (spaces allowed). The last wave must reach all hosts ("100%" or a count
// >= the number of targets is checked at Start). InvalidArgument naming the bad element.
absl::StatusOr<std::vector<WaveSize>> ParseWaves(const std::string& text);

struct RolloutSpec {
  std::string id;                  // "r-000042"
  std::string policy;              // policy name
  uint64_t version = 0;            // policy version pushed
  std::vector<std::string> hosts;  // resolved targets, in rollout order
  std::vector<WaveSize> waves;
  int wave_failure_budget = 0;     // failures tolerated per wave; one more halts the rollout
  bool pause_between_waves = false;  // wait for Resume after each wave
  bool rollback_on_halt = false;     // roll back the hosts already changed when halting
  int64_t offline_deadline_s = 600;  // a host offline this long after its push counts as failed
};

enum class HostPhase {
  kWaiting,      // not in a started wave yet
  kPending,      // its wave started; push not yet sent (host offline)
  kPushed,       // push sent, no answer yet
  kSucceeded,    // ACK
  kFailed,       // NACK, or offline past the deadline
  kRollingBack,  // rollback sent after a halt
  kRolledBack,   // rollback ACKed
};
// The phase's stable name ("waiting", ..., "rolling-back", "rolled-back"): what the store keeps,
// the CLI prints and ParseHostPhase reads back.
const char* HostPhaseName(HostPhase p);
// InvalidArgument naming `name` and the known phases when `name` is none of them.
absl::StatusOr<HostPhase> ParseHostPhase(absl::string_view name);

enum class RolloutStatus { kRunning, kPaused, kHalted, kAborted, kSucceeded };
const char* RolloutStatusName(RolloutStatus s);  // "running", "paused", ...
absl::StatusOr<RolloutStatus> ParseRolloutStatus(absl::string_view name);

struct HostProgress {
  HostPhase phase = HostPhase::kWaiting;
  int wave = -1;                 // index of the wave that holds it
  std::string nonce;             // of the last push or rollback sent
  int64_t pushed_at = 0;         // seconds since the epoch, 0 if not pushed
  std::string error;             // NACK reason or "offline past deadline"
  bool operator==(const HostProgress&) const = default;
};

// Everything needed to continue after a restart.
struct RolloutState {
  RolloutStatus status = RolloutStatus::kRunning;
  int current_wave = -1;  // -1 before Start
  std::map<std::string, HostProgress> hosts;
  std::string halt_reason;
  uint64_t next_nonce = 1;
  bool operator==(const RolloutState&) const = default;
};

// What the engine asks the controller to do, in order.
struct Action {
  enum class Kind {
    kPush,      // send policy `version` to `host` with `nonce`
    kRollBack,  // tell `host` to restore the commit from before this rollout, with `nonce`
    kWaveStarted,
    kPaused,    // waiting for Resume after wave `wave`
    kHalted,    // `reason`
    kCompleted,
  };
  Kind kind;
  std::string host;
  std::string nonce;
  int wave = -1;
  std::string reason;
  bool operator==(const Action&) const = default;
};

class RolloutEngine {
 public:
  // A new rollout; nothing happens until Start.
  explicit RolloutEngine(RolloutSpec spec);
  // Continues from a saved state. Pushes that were sent but not answered are sent again (same
  // nonce) when their host is online; ACKed hosts are never pushed again.
  static RolloutEngine Restore(RolloutSpec spec, RolloutState state);

  // Starts wave 0. `online` says which hosts have a stream now. FailedPrecondition if already
  // started or the waves cannot reach every host.
  absl::StatusOr<std::vector<Action>> Start(const std::vector<std::string>& online, int64_t now);
  // Answers from agents. Unknown hosts or stale nonces are ignored (empty actions).
  std::vector<Action> OnAck(const std::string& host, const std::string& nonce, int64_t now);
  std::vector<Action> OnNack(const std::string& host, const std::string& nonce,
                             const std::string& error, int64_t now);
  // A host's stream came up (send what it is missing) or went down.
  std::vector<Action> OnHostOnline(const std::string& host, int64_t now);
  std::vector<Action> OnHostOffline(const std::string& host, int64_t now);
  // Time passes: hosts past the offline deadline fail.
  std::vector<Action> OnTick(int64_t now);
  // Operator commands. FailedPrecondition when not allowed in the current status.
  absl::StatusOr<std::vector<Action>> Pause();
  absl::StatusOr<std::vector<Action>> Resume(int64_t now);
  absl::StatusOr<std::vector<Action>> Abort();

  const RolloutSpec& spec() const { return spec_; }
  const RolloutState& state() const { return state_; }

  // The hosts whose progress changed since the last call (so that a save writes only those:
  // one ACK touches one host, and rewriting every host per event is O(N^2) at fleet scale).
  std::vector<std::string> TakeChangedHosts();

  // Per wave: how many of its hosts have settled (succeeded or failed) and how many failed.
  // Kept up to date by every step, so that "is the wave done?" is O(1) per event.
  struct WaveCounts {
    std::vector<int> settled;
    std::vector<int> failed;
  };

 private:
  // Rebuilds counts_ from state_ (after Start and Restore).
  void Recount();

  RolloutSpec spec_;
  RolloutState state_;
  std::map<std::string, bool> online_;
  WaveCounts counts_;
  std::set<std::string> changed_;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_ROLLOUT_ROLLOUT_ENGINE_H_
