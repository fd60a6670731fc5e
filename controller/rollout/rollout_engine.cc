#include "controller/rollout/rollout_engine.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/enum_names.h"

namespace relayguard::controller {
namespace {

// More digits than this cannot be a sensible host count (and would overflow int).
constexpr size_t kMaxCountDigits = 9;

std::string WaveText(const WaveSize& wave) {
  return wave.percent ? absl::StrCat(wave.value, "%") : absl::StrCat(wave.value);
}

bool AllDigits(absl::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return absl::ascii_isdigit(c); });
}

// Parses one element of a wave list; `number` is 1-based, as an operator counts.
absl::StatusOr<WaveSize> ParseWave(int number, absl::string_view element) {
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("wave ", number, " \"", element, "\": ", why));
  };
  constexpr absl::string_view kExpected =
      "expected a host count like \"5\" or a percentage like \"10%\"";
  if (element.empty()) return invalid(absl::StrCat("empty; ", kExpected));
  WaveSize wave;
  absl::string_view digits = element;
  wave.percent = absl::ConsumeSuffix(&digits, "%");
  if (!AllDigits(digits)) return invalid(kExpected);
  if (digits.size() > kMaxCountDigits) {
    return invalid(wave.percent ? "percent must be 1..100" : "count is too large");
  }
  if (!absl::SimpleAtoi(digits, &wave.value)) return invalid(kExpected);
  if (wave.percent && (wave.value < 1 || wave.value > 100)) {
    return invalid("percent must be 1..100");
  }
  if (!wave.percent && wave.value < 1) return invalid("count must be at least 1");
  return wave;
}

// Cumulative end index (into spec.hosts) of each wave: at least 1 host, at most all of them,
// never fewer than the wave before.
std::vector<size_t> ResolveWaveEnds(const std::vector<WaveSize>& waves, size_t host_count) {
  std::vector<size_t> ends;
  ends.reserve(waves.size());
  size_t previous = 0;
  for (const WaveSize& wave : waves) {
    const uint64_t value = wave.value > 0 ? static_cast<uint64_t>(wave.value) : 0;
    uint64_t count = wave.percent ? (value * host_count + 99) / 100 : value;
    count = std::max<uint64_t>(count, 1);
    count = std::min<uint64_t>(count, host_count);
    count = std::max<uint64_t>(count, previous);
    ends.push_back(static_cast<size_t>(count));
    previous = ends.back();
  }
  return ends;
}

// Actions built field by field: designated initializers that skip fields trip -Wextra.
Action MakeAction(Action::Kind kind, int wave, std::string reason = "") {
  Action action{};
  action.kind = kind;
  action.wave = wave;
  action.reason = std::move(reason);
  return action;
}

Action HostAction(Action::Kind kind, const std::string& host, const std::string& nonce) {
  Action action{};
  action.kind = kind;
  action.host = host;
  action.nonce = nonce;
  return action;
}

absl::Status ValidateSpec(const RolloutSpec& spec) {
  if (spec.hosts.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("rollout ", spec.id, " has no target hosts; nothing to roll out"));
  }
  if (spec.waves.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "rollout ", spec.id, " has no waves; give at least one, e.g. \"1, 10%, 100%\""));
  }
  for (size_t i = 0; i < spec.waves.size(); ++i) {
    const WaveSize& wave = spec.waves[i];
    if (wave.value < 1 || (wave.percent && wave.value > 100)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rollout ", spec.id, ": wave ", i + 1, " \"", WaveText(wave),
          "\": ", wave.percent ? "percent must be 1..100" : "count must be at least 1"));
    }
  }
  if (spec.wave_failure_budget < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("rollout ", spec.id, ": wave failure budget ", spec.wave_failure_budget,
                     " is negative; use 0 to halt on the first failure"));
  }
  if (spec.offline_deadline_s <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("rollout ", spec.id, ": offline deadline ",
                                                   spec.offline_deadline_s, " s must be positive"));
  }
  std::set<absl::string_view> seen;
  for (const std::string& host : spec.hosts) {
    if (host.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("rollout ", spec.id, " has an empty host name among its targets"));
    }
    if (!seen.insert(host).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("rollout ", spec.id, " lists host ", host, " twice; list each once"));
    }
  }
  const std::vector<size_t> ends = ResolveWaveEnds(spec.waves, spec.hosts.size());
  if (ends.back() < spec.hosts.size()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "rollout ", spec.id, ": the last wave \"", WaveText(spec.waves.back()), "\" reaches ",
        ends.back(), " of ", spec.hosts.size(), " hosts; end the waves with \"100%\""));
  }
  return absl::OkStatus();
}

// One event being handled: reads the spec and online map, changes the state and collects the
// actions in order. Exists so that the engine's steps can share helpers without widening the
// header.
class Step {
 public:
  Step(const RolloutSpec& spec, RolloutState& state, const std::map<std::string, bool>& online,
       RolloutEngine::WaveCounts& counts, std::set<std::string>& changed, int64_t now)
      : spec_(spec),
        state_(state),
        online_(online),
        counts_(counts),
        changed_(changed),
        now_(now),
        ends_(ResolveWaveEnds(spec.waves, spec.hosts.size())) {}

  std::vector<Action> TakeActions() { return std::move(actions_); }

  HostProgress* Find(const std::string& host) {
    auto it = state_.hosts.find(host);
    return it == state_.hosts.end() ? nullptr : &it->second;
  }

  // Every change of a host's phase goes through here, so that the wave counts stay exact.
  void SetPhase(const std::string& host, HostProgress& progress, HostPhase phase) {
    if (progress.wave >= 0 && progress.wave < static_cast<int>(counts_.settled.size())) {
      const int w = progress.wave;
      counts_.settled[w] += Settled(phase) - Settled(progress.phase);
      counts_.failed[w] += (phase == HostPhase::kFailed) - (progress.phase == HostPhase::kFailed);
    }
    progress.phase = phase;
    Touch(host);
  }

  // Records that `host`'s progress changed (it is saved with the next save).
  void Touch(const std::string& host) { changed_.insert(host); }

  bool IsOnline(const std::string& host) const {
    auto it = online_.find(host);
    return it != online_.end() && it->second;
  }

  // First and one-past-last index into spec.hosts of `wave`.
  size_t WaveBegin(int wave) const { return wave <= 0 ? 0 : ends_.at(wave - 1); }
  size_t WaveEnd(int wave) const { return wave < 0 ? 0 : ends_.at(wave); }

  // The next wave after `wave` that holds at least one host (waves such as "10%" of 3 hosts
  // resolve to nothing new and are skipped), or -1 if none is left.
  int NextNonEmptyWave(int wave) const {
    for (int next = wave + 1; next < static_cast<int>(ends_.size()); ++next) {
      if (WaveEnd(next) > WaveBegin(next)) return next;
    }
    return -1;
  }

  // Sends the policy with a fresh nonce. The caller checked that the host is online.
  void Push(const std::string& host, HostProgress& progress) {
    progress.nonce = NewNonce();
    SetPhase(host, progress, HostPhase::kPushed);
    progress.pushed_at = now_;
    progress.error.clear();
    Emit(Action::Kind::kPush, host, progress.nonce);
  }

  // Sends the same push again (its answer may have been lost with the stream).
  void Repush(const std::string& host, HostProgress& progress) {
    progress.pushed_at = now_;
    Touch(host);
    Emit(Action::Kind::kPush, host, progress.nonce);
  }

  // Marks the host for rollback with a fresh nonce; an offline host gets the kRollBack when its
  // stream comes up (OnHostOnline), like a push.
  void RollBack(const std::string& host, HostProgress& progress) {
    progress.nonce = NewNonce();
    SetPhase(host, progress, HostPhase::kRollingBack);
    progress.pushed_at = now_;
    if (IsOnline(host)) Emit(Action::Kind::kRollBack, host, progress.nonce);
  }

  void ResendRollBack(const std::string& host, HostProgress& progress) {
    progress.pushed_at = now_;
    Touch(host);
    Emit(Action::Kind::kRollBack, host, progress.nonce);
  }

  // Every host of the wave becomes kPending; the online ones are pushed at once. A pending
  // host's pushed_at holds the wave start time, so that OnTick can apply the offline deadline
  // to hosts that were never reachable.
  void StartWave(int wave) {
    state_.current_wave = wave;
    actions_.push_back(MakeAction(Action::Kind::kWaveStarted, wave));
    for (size_t i = WaveBegin(wave); i < WaveEnd(wave); ++i) {
      const std::string& host = spec_.hosts[i];
      HostProgress& progress = MustFind(host);
      progress.wave = wave;
      SetPhase(host, progress, HostPhase::kPending);
      progress.pushed_at = now_;
      if (IsOnline(host)) Push(host, progress);
    }
  }

  bool WaveComplete(int wave) const {
    return wave >= 0 &&
           static_cast<size_t>(counts_.settled.at(wave)) == WaveEnd(wave) - WaveBegin(wave);
  }

  // When the current wave is done: finish, pause, or start the next wave. `resuming` is set when
  // the operator already approved the next wave.
  void AdvanceIfWaveComplete(bool resuming) {
    if (state_.status != RolloutStatus::kRunning || !WaveComplete(state_.current_wave)) return;
    const int next = NextNonEmptyWave(state_.current_wave);
    if (next < 0) {
      state_.status = RolloutStatus::kSucceeded;
      actions_.push_back(MakeAction(Action::Kind::kCompleted, state_.current_wave));
    } else if (spec_.pause_between_waves && !resuming) {
      state_.status = RolloutStatus::kPaused;
      actions_.push_back(MakeAction(Action::Kind::kPaused, state_.current_wave));
    } else {
      StartWave(next);
    }
  }

  // After hosts failed: halt if the wave's budget is exceeded, else maybe move on.
  void AfterFailure() {
    if (state_.status != RolloutStatus::kRunning && state_.status != RolloutStatus::kPaused) {
      return;
    }
    const int wave = state_.current_wave;
    const int failed = counts_.failed.at(wave);
    if (failed > spec_.wave_failure_budget) {
      Halt(RolloutStatus::kHalted,
           absl::StrCat("wave ", wave + 1, ": ", failed, failed == 1 ? " host" : " hosts",
                        " failed, budget ", spec_.wave_failure_budget));
      return;
    }
    AdvanceIfWaveComplete(/*resuming=*/false);
  }

  void Halt(RolloutStatus status, std::string reason) {
    state_.status = status;
    state_.halt_reason = reason;
    actions_.push_back(MakeAction(Action::Kind::kHalted, state_.current_wave, std::move(reason)));
    if (status != RolloutStatus::kHalted || !spec_.rollback_on_halt) return;
    for (const std::string& host : spec_.hosts) {
      HostProgress& progress = MustFind(host);
      if (progress.phase == HostPhase::kSucceeded) RollBack(host, progress);
    }
  }

  // Hosts of the current wave offline past the deadline fail. Returns whether any did.
  bool FailHostsPastDeadline() {
    const bool running = state_.status == RolloutStatus::kRunning;
    if (!running && state_.status != RolloutStatus::kPaused) return false;
    bool any = false;
    const int wave = state_.current_wave;
    for (size_t i = WaveBegin(wave); i < WaveEnd(wave); ++i) {
      const std::string& host = spec_.hosts[i];
      HostProgress& progress = MustFind(host);
      // While paused nothing is pushed, so pending hosts cannot be blamed for waiting.
      const bool waiting = progress.phase == HostPhase::kPushed ||
                           (running && progress.phase == HostPhase::kPending);
      if (!waiting || IsOnline(host) || now_ - progress.pushed_at < spec_.offline_deadline_s) {
        continue;
      }
      SetPhase(host, progress, HostPhase::kFailed);
      progress.error = absl::StrCat("offline past the deadline (", spec_.offline_deadline_s, " s)");
      any = true;
    }
    return any;
  }

  // Pending hosts of the current wave: the deadline restarts now; online ones are pushed.
  void PushPendingHosts() {
    const int wave = state_.current_wave;
    for (size_t i = WaveBegin(wave); i < WaveEnd(wave); ++i) {
      const std::string& host = spec_.hosts[i];
      HostProgress& progress = MustFind(host);
      if (progress.phase != HostPhase::kPending) continue;
      progress.pushed_at = now_;
      Touch(host);
      if (IsOnline(host)) Push(host, progress);
    }
  }

 private:
  // Every target has an entry after Start; a missing one means a corrupt saved state.
  HostProgress& MustFind(const std::string& host) {
    HostProgress* progress = Find(host);
    if (progress == nullptr) {
      std::fprintf(stderr, "rollout %s: state has no entry for target host %s (corrupt state)\n",
                   spec_.id.c_str(), host.c_str());
      std::abort();
    }
    return *progress;
  }

  std::string NewNonce() { return absl::StrCat(spec_.id, "-", state_.next_nonce++); }

  void Emit(Action::Kind kind, const std::string& host, const std::string& nonce) {
    actions_.push_back(HostAction(kind, host, nonce));
  }

  static int Settled(HostPhase phase) {
    return phase == HostPhase::kSucceeded || phase == HostPhase::kFailed;
  }

  const RolloutSpec& spec_;
  RolloutState& state_;
  const std::map<std::string, bool>& online_;
  RolloutEngine::WaveCounts& counts_;
  std::set<std::string>& changed_;
  const int64_t now_;
  const std::vector<size_t> ends_;
  std::vector<Action> actions_;
};

absl::Status WrongStatus(const RolloutSpec& spec, RolloutStatus status, absl::string_view allowed) {
  return absl::FailedPreconditionError(
      absl::StrCat("rollout ", spec.id, " is ", RolloutStatusName(status), "; ", allowed));
}

}  // namespace

absl::StatusOr<std::vector<WaveSize>> ParseWaves(const std::string& text) {
  if (absl::StripAsciiWhitespace(text).empty()) {
    return absl::InvalidArgumentError("no waves given; expected e.g. \"1, 10%, 100%\"");
  }
  std::vector<WaveSize> waves;
  // The last count and the last percentage seen; a count after a percentage (or the reverse)
  // can only be compared once the number of hosts is known, and Start never lets a wave shrink.
  std::optional<WaveSize> last_count;
  std::optional<WaveSize> last_percent;
  int number = 0;
  for (absl::string_view element : absl::StrSplit(text, ',')) {
    ++number;
    element = absl::StripAsciiWhitespace(element);
    absl::StatusOr<WaveSize> wave = ParseWave(number, element);
    if (!wave.ok()) return wave.status();
    if (last_percent.has_value() && last_percent->value == 100) {
      return absl::InvalidArgumentError(
          absl::StrCat("wave ", number, " \"", element,
                       "\": follows \"100%\", which already reaches every host"));
    }
    std::optional<WaveSize>& before = wave->percent ? last_percent : last_count;
    if (before.has_value() && wave->value < before->value) {
      return absl::InvalidArgumentError(
          absl::StrCat("wave ", number, " \"", element, "\": smaller than the wave before (\"",
                       WaveText(*before), "\"); waves are cumulative and must not shrink"));
    }
    before = *wave;
    waves.push_back(*wave);
  }
  return waves;
}

const char* HostPhaseName(HostPhase p) {
  switch (p) {
    case HostPhase::kWaiting:
      return "waiting";
    case HostPhase::kPending:
      return "pending";
    case HostPhase::kPushed:
      return "pushed";
    case HostPhase::kSucceeded:
      return "succeeded";
    case HostPhase::kFailed:
      return "failed";
    case HostPhase::kRollingBack:
      return "rolling-back";
    case HostPhase::kRolledBack:
      return "rolled-back";
  }
  return "unknown";
}

absl::StatusOr<HostPhase> ParseHostPhase(absl::string_view name) {
  return ParseEnumName<HostPhase>(name, "host phase", HostPhaseName, HostPhase::kWaiting,
                                  HostPhase::kRolledBack);
}

const char* RolloutStatusName(RolloutStatus s) {
  switch (s) {
    case RolloutStatus::kRunning:
      return "running";
    case RolloutStatus::kPaused:
      return "paused";
    case RolloutStatus::kHalted:
      return "halted";
    case RolloutStatus::kAborted:
      return "aborted";
    case RolloutStatus::kSucceeded:
      return "succeeded";
  }
  return "unknown";
}

absl::StatusOr<RolloutStatus> ParseRolloutStatus(absl::string_view name) {
  return ParseEnumName<RolloutStatus>(name, "rollout status", RolloutStatusName,
                                      RolloutStatus::kRunning, RolloutStatus::kSucceeded);
}

RolloutEngine::RolloutEngine(RolloutSpec spec) : spec_(std::move(spec)) {}

RolloutEngine RolloutEngine::Restore(RolloutSpec spec, RolloutState state) {
  RolloutEngine engine(std::move(spec));
  engine.state_ = std::move(state);
  engine.Recount();
  return engine;
}

void RolloutEngine::Recount() {
  counts_.settled.assign(spec_.waves.size(), 0);
  counts_.failed.assign(spec_.waves.size(), 0);
  for (const auto& [host, progress] : state_.hosts) {
    if (progress.wave < 0 || progress.wave >= static_cast<int>(spec_.waves.size())) continue;
    counts_.settled[progress.wave] +=
        progress.phase == HostPhase::kSucceeded || progress.phase == HostPhase::kFailed;
    counts_.failed[progress.wave] += progress.phase == HostPhase::kFailed;
  }
}

std::vector<std::string> RolloutEngine::TakeChangedHosts() {
  std::vector<std::string> out(changed_.begin(), changed_.end());
  changed_.clear();
  return out;
}

absl::StatusOr<std::vector<Action>> RolloutEngine::Start(const std::vector<std::string>& online,
                                                         int64_t now) {
  if (state_.current_wave >= 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "rollout ", spec_.id, " already started (now in wave ", state_.current_wave + 1, ")"));
  }
  if (state_.status != RolloutStatus::kRunning) {
    return WrongStatus(spec_, state_.status, "it cannot be started");
  }
  if (absl::Status valid = ValidateSpec(spec_); !valid.ok()) return valid;
  for (const std::string& host : spec_.hosts) {
    state_.hosts[host] = HostProgress{};
    changed_.insert(host);
  }
  Recount();
  for (const std::string& host : online) {
    if (state_.hosts.contains(host)) online_[host] = true;
  }
  Step step(spec_, state_, online_, counts_, changed_, now);
  step.StartWave(0);
  return step.TakeActions();
}

std::vector<Action> RolloutEngine::OnAck(const std::string& host, const std::string& nonce,
                                         int64_t now) {
  Step step(spec_, state_, online_, counts_, changed_, now);
  HostProgress* progress = step.Find(host);
  if (progress == nullptr || nonce.empty() || progress->nonce != nonce) return {};
  if (progress->phase == HostPhase::kPushed) {
    step.SetPhase(host, *progress, HostPhase::kSucceeded);
    progress->error.clear();
    if (state_.status == RolloutStatus::kHalted && spec_.rollback_on_halt) {
      // It applied the policy after the halt: it is one of the changed hosts to roll back.
      step.RollBack(host, *progress);
    } else {
      step.AdvanceIfWaveComplete(/*resuming=*/false);
    }
  } else if (progress->phase == HostPhase::kRollingBack) {
    step.SetPhase(host, *progress, HostPhase::kRolledBack);
  }
  return step.TakeActions();
}

std::vector<Action> RolloutEngine::OnNack(const std::string& host, const std::string& nonce,
                                          const std::string& error, int64_t now) {
  Step step(spec_, state_, online_, counts_, changed_, now);
  HostProgress* progress = step.Find(host);
  if (progress == nullptr || nonce.empty() || progress->nonce != nonce) return {};
  if (progress->phase == HostPhase::kPushed) {
    step.SetPhase(host, *progress, HostPhase::kFailed);
    progress->error = error;
    step.AfterFailure();
  } else if (progress->phase == HostPhase::kRollingBack) {
    // The host kept the new policy; the operator has to look at it.
    step.SetPhase(host, *progress, HostPhase::kFailed);
    progress->error = absl::StrCat("rollback failed: ", error);
  }
  return step.TakeActions();
}

std::vector<Action> RolloutEngine::OnHostOnline(const std::string& host, int64_t now) {
  Step step(spec_, state_, online_, counts_, changed_, now);
  HostProgress* progress = step.Find(host);
  if (progress == nullptr) return {};
  online_[host] = true;
  const bool live =
      state_.status == RolloutStatus::kRunning || state_.status == RolloutStatus::kPaused;
  switch (progress->phase) {
    case HostPhase::kPending:
      if (state_.status == RolloutStatus::kRunning && progress->wave == state_.current_wave) {
        step.Push(host, *progress);
      }
      break;
    case HostPhase::kPushed:
      // The push or its answer may have been lost with the old stream (or a controller
      // restart); the same nonce lets the agent recognise a push it already applied.
      if (live) step.Repush(host, *progress);
      break;
    case HostPhase::kRollingBack:
      step.ResendRollBack(host, *progress);
      break;
    default:
      break;
  }
  return step.TakeActions();
}

std::vector<Action> RolloutEngine::OnHostOffline(const std::string& host, int64_t /*now*/) {
  online_.erase(host);
  return {};
}

std::vector<Action> RolloutEngine::OnTick(int64_t now) {
  if (state_.current_wave < 0) return {};
  Step step(spec_, state_, online_, counts_, changed_, now);
  if (step.FailHostsPastDeadline()) step.AfterFailure();
  return step.TakeActions();
}

absl::StatusOr<std::vector<Action>> RolloutEngine::Pause() {
  if (state_.current_wave < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "rollout ", spec_.id, " has not started; only running rollouts can be paused"));
  }
  if (state_.status != RolloutStatus::kRunning) {
    return WrongStatus(spec_, state_.status, "only running rollouts can be paused");
  }
  state_.status = RolloutStatus::kPaused;
  return std::vector<Action>{MakeAction(Action::Kind::kPaused, state_.current_wave)};
}

absl::StatusOr<std::vector<Action>> RolloutEngine::Resume(int64_t now) {
  if (state_.status != RolloutStatus::kPaused) {
    return WrongStatus(spec_, state_.status, "only paused rollouts can be resumed");
  }
  state_.status = RolloutStatus::kRunning;
  Step step(spec_, state_, online_, counts_, changed_, now);
  if (step.WaveComplete(state_.current_wave)) {
    step.AdvanceIfWaveComplete(/*resuming=*/true);
  } else {
    step.PushPendingHosts();
  }
  return step.TakeActions();
}

absl::StatusOr<std::vector<Action>> RolloutEngine::Abort() {
  if (state_.status != RolloutStatus::kRunning && state_.status != RolloutStatus::kPaused) {
    return WrongStatus(spec_, state_.status, "only running or paused rollouts can be aborted");
  }
  Step step(spec_, state_, online_, counts_, changed_, /*now=*/0);
  step.Halt(RolloutStatus::kAborted, "aborted by operator");
  return step.TakeActions();
}

}  // namespace relayguard::controller
