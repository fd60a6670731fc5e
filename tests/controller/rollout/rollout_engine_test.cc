#include "controller/rollout/rollout_engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "controller/rollout/command_states.h"

namespace relayguard::controller {

// Readable failure output for action lists.
void PrintTo(const Action& a, std::ostream* os) {
  static const char* const kNames[] = {"Push",   "RollBack", "WaveStarted",
                                       "Paused", "Halted",   "Completed"};
  *os << kNames[static_cast<int>(a.kind)] << "{host=" << a.host << " nonce=" << a.nonce
      << " wave=" << a.wave << " reason=" << a.reason << "}";
}

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kT0 = 1'700'000'000;

Action Push(const std::string& host, const std::string& nonce) {
  Action a{};
  a.kind = Action::Kind::kPush;
  a.host = host;
  a.nonce = nonce;
  return a;
}

Action RollBack(const std::string& host, const std::string& nonce) {
  Action a = Push(host, nonce);
  a.kind = Action::Kind::kRollBack;
  return a;
}

Action Report(Action::Kind kind, int wave, const std::string& reason = "") {
  Action a{};
  a.kind = kind;
  a.wave = wave;
  a.reason = reason;
  return a;
}

Action WaveStarted(int wave) { return Report(Action::Kind::kWaveStarted, wave); }
Action Paused(int wave) { return Report(Action::Kind::kPaused, wave); }
Action Halted(int wave, const std::string& reason) {
  return Report(Action::Kind::kHalted, wave, reason);
}
Action Completed(int wave) { return Report(Action::Kind::kCompleted, wave); }

std::vector<std::string> HostNames(int count) {
  std::vector<std::string> hosts;
  for (int i = 1; i <= count; ++i) hosts.push_back(absl::StrCat("h", i));
  return hosts;
}

struct Options {
  int budget = 0;
  bool pause = false;
  bool rollback = false;
};

RolloutSpec MakeSpec(int host_count, const std::string& waves, Options options = {}) {
  RolloutSpec spec;
  spec.id = "r-1";
  spec.policy = "no-open-relay";
  spec.version = 7;
  spec.hosts = HostNames(host_count);
  absl::StatusOr<std::vector<WaveSize>> parsed = ParseWaves(waves);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  if (parsed.ok()) spec.waves = *parsed;
  spec.wave_failure_budget = options.budget;
  spec.pause_between_waves = options.pause;
  spec.rollback_on_halt = options.rollback;
  return spec;
}

const HostProgress& Host(const RolloutEngine& engine, const std::string& host) {
  return engine.state().hosts.at(host);
}

// ---------------------------------------------------------------------------------------------
// ParseWaves

TEST(ParseWavesTest, AcceptsValidLists) {
  const WaveSize one{.percent = false, .value = 1};
  const WaveSize five{.percent = false, .value = 5};
  const WaveSize ten_pc{.percent = true, .value = 10};
  const WaveSize all{.percent = true, .value = 100};
  struct Case {
    std::string text;
    std::vector<WaveSize> want;
  };
  const std::vector<Case> cases = {
      {"1,10%,100%", {one, ten_pc, all}},
      {" 1 , 10% ,\t100% ", {one, ten_pc, all}},
      {"100%", {all}},
      {"5", {five}},
      {"1,1,100%", {one, one, all}},
      {"5,1%,100%", {five, WaveSize{.percent = true, .value = 1}, all}},  // mixed: Start decides
      {"1,5,50", {one, five, WaveSize{.percent = false, .value = 50}}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<WaveSize>> got = ParseWaves(c.text);
    ASSERT_TRUE(got.ok()) << c.text << ": " << got.status();
    EXPECT_EQ(*got, c.want) << c.text;
  }
}

TEST(ParseWavesTest, RejectsBadElementsNamingThem) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"1, 0%", "wave 2 \"0%\": percent must be 1..100"},
      {"1,101%", "wave 2 \"101%\": percent must be 1..100"},
      {"0", "wave 1 \"0\": count must be at least 1"},
      {"1,,100%", "wave 2 \"\": empty"},
      {"1,100%,", "wave 3 \"\": empty"},
      {"abc", "wave 1 \"abc\": expected a host count"},
      {"-1", "wave 1 \"-1\": expected a host count"},
      {"+1", "wave 1 \"+1\": expected a host count"},
      {"10 %", "wave 1 \"10 %\": expected a host count"},
      {"1.5", "wave 1 \"1.5\": expected a host count"},
      {"%", "wave 1 \"%\": expected a host count"},
      {"99999999999", "wave 1 \"99999999999\": count is too large"},
      {"5,3", "wave 2 \"3\": smaller than the wave before (\"5\")"},
      {"50%,10%", "wave 2 \"10%\": smaller than the wave before (\"50%\")"},
      {"100%,5", "wave 2 \"5\": follows \"100%\""},
      {"", "no waves given"},
      {"  ", "no waves given"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<WaveSize>> got = ParseWaves(c.text);
    ASSERT_FALSE(got.ok()) << "accepted \"" << c.text << "\"";
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(got.status().message(), HasSubstr(c.message)) << c.text;
  }
}

// ---------------------------------------------------------------------------------------------
// Wave resolution

// ACKs every pushed host until nothing more is pushed; returns the hosts per wave index.
std::map<int, int> AckEverything(RolloutEngine& engine, std::vector<Action> actions) {
  for (size_t i = 0; i < actions.size(); ++i) {
    if (actions[i].kind != Action::Kind::kPush) continue;
    std::vector<Action> more = engine.OnAck(actions[i].host, actions[i].nonce, kT0 + 1);
    actions.insert(actions.end(), more.begin(), more.end());
  }
  std::map<int, int> per_wave;
  for (const auto& [host, progress] : engine.state().hosts) ++per_wave[progress.wave];
  return per_wave;
}

TEST(RolloutEngineTest, WavesResolveToCumulativeHostCounts) {
  struct Case {
    int hosts;
    std::string waves;
    std::map<int, int> hosts_per_wave;  // wave index -> new hosts in it
  };
  const std::vector<Case> cases = {
      {1000, "1,10%,100%", {{0, 1}, {1, 99}, {2, 900}}},  // 1 / 100 / 1000
      {50, "1,10%,100%", {{0, 1}, {1, 4}, {2, 45}}},      // 1 / 5 / 50
      {3, "1,10%,100%", {{0, 1}, {2, 2}}},                // 10% of 3 adds nobody
      {3, "1,100%", {{0, 1}, {1, 2}}},
      {10, "5,1%,100%", {{0, 5}, {2, 5}}},  // 1% never shrinks below 5
      {4, "2,10", {{0, 2}, {1, 2}}},        // count capped at the hosts
      {7, "100%", {{0, 7}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.hosts, " hosts, waves ", c.waves));
    RolloutSpec spec = MakeSpec(c.hosts, c.waves);
    RolloutEngine engine(spec);
    absl::StatusOr<std::vector<Action>> started = engine.Start(spec.hosts, kT0);
    ASSERT_TRUE(started.ok()) << started.status();
    EXPECT_EQ(AckEverything(engine, *started), c.hosts_per_wave);
    EXPECT_EQ(engine.state().status, RolloutStatus::kSucceeded);
  }
}

TEST(RolloutEngineTest, ThousandHostsRunOneThenHundredThenAll) {
  RolloutSpec spec = MakeSpec(1000, "1,10%,100%");
  RolloutEngine engine(spec);
  absl::StatusOr<std::vector<Action>> actions = engine.Start(spec.hosts, kT0);
  ASSERT_TRUE(actions.ok()) << actions.status();
  ASSERT_EQ(actions->size(), 2u);  // WaveStarted + 1 push
  std::vector<Action> next = engine.OnAck("h1", "r-1-1", kT0 + 1);
  ASSERT_EQ(next.size(), 100u);  // WaveStarted + 99 pushes: 100 hosts touched
  EXPECT_EQ(next.front(), WaveStarted(1));
  EXPECT_EQ(next.back(), Push("h100", "r-1-100"));
  std::vector<Action> last;
  for (size_t i = 1; i < next.size(); ++i) {
    std::vector<Action> got = engine.OnAck(next[i].host, next[i].nonce, kT0 + 2);
    last.insert(last.end(), got.begin(), got.end());
  }
  ASSERT_EQ(last.size(), 901u);  // WaveStarted + 900 pushes: all 1000 hosts touched
  EXPECT_EQ(last.front(), WaveStarted(2));
  EXPECT_EQ(last.back(), Push("h1000", "r-1-1000"));
}

// ---------------------------------------------------------------------------------------------
// Start

TEST(RolloutEngineTest, StartRejectsSpecsThatCannotRun) {
  struct Case {
    std::string name;
    RolloutSpec spec;
    absl::StatusCode code;
    std::string message;
  };
  RolloutSpec no_hosts = MakeSpec(0, "100%");
  RolloutSpec short_waves = MakeSpec(10, "1,5");
  RolloutSpec duplicate = MakeSpec(3, "100%");
  duplicate.hosts[2] = "h1";
  RolloutSpec no_waves = MakeSpec(3, "100%");
  no_waves.waves.clear();
  RolloutSpec bad_wave = MakeSpec(3, "100%");
  bad_wave.waves = {WaveSize{.percent = true, .value = 0}};
  const std::vector<Case> cases = {
      {"no hosts", no_hosts, absl::StatusCode::kFailedPrecondition, "has no target hosts"},
      {"short waves", short_waves, absl::StatusCode::kFailedPrecondition,
       "the last wave \"5\" reaches 5 of 10 hosts"},
      {"duplicate", duplicate, absl::StatusCode::kInvalidArgument, "lists host h1 twice"},
      {"no waves", no_waves, absl::StatusCode::kFailedPrecondition, "has no waves"},
      {"bad wave", bad_wave, absl::StatusCode::kInvalidArgument,
       "wave 1 \"0%\": percent must be 1..100"},
  };
  for (const Case& c : cases) {
    RolloutEngine engine(c.spec);
    absl::StatusOr<std::vector<Action>> got = engine.Start(c.spec.hosts, kT0);
    ASSERT_FALSE(got.ok()) << c.name;
    EXPECT_EQ(got.status().code(), c.code) << c.name << ": " << got.status();
    EXPECT_THAT(got.status().message(), HasSubstr(c.message)) << c.name;
    EXPECT_EQ(engine.state(), RolloutState{}) << c.name << ": a failed Start changed the state";
  }
}

TEST(RolloutEngineTest, StartTwiceFails) {
  RolloutSpec spec = MakeSpec(3, "1,100%");
  RolloutEngine engine(spec);
  ASSERT_TRUE(engine.Start(spec.hosts, kT0).ok());
  const RolloutState before = engine.state();
  absl::StatusOr<std::vector<Action>> again = engine.Start(spec.hosts, kT0 + 5);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(again.status().message(), HasSubstr("rollout r-1 already started"));
  EXPECT_EQ(engine.state(), before);
}

// ---------------------------------------------------------------------------------------------
// The happy path

TEST(RolloutEngineTest, ThreeHostsAllAckRunBothWavesAndComplete) {
  RolloutSpec spec = MakeSpec(3, "1,100%");
  RolloutEngine engine(spec);

  absl::StatusOr<std::vector<Action>> started = engine.Start(spec.hosts, kT0);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_THAT(*started, ElementsAre(WaveStarted(0), Push("h1", "r-1-1")));
  EXPECT_EQ(engine.state().current_wave, 0);
  EXPECT_EQ(Host(engine, "h1"), (HostProgress{.phase = HostPhase::kPushed,
                                              .wave = 0,
                                              .nonce = "r-1-1",
                                              .pushed_at = kT0,
                                              .error = ""}));
  EXPECT_EQ(Host(engine, "h2").phase, HostPhase::kWaiting);

  EXPECT_THAT(engine.OnAck("h1", "r-1-1", kT0 + 10),
              ElementsAre(WaveStarted(1), Push("h2", "r-1-2"), Push("h3", "r-1-3")));
  EXPECT_EQ(engine.state().current_wave, 1);
  EXPECT_EQ(Host(engine, "h1").phase, HostPhase::kSucceeded);
  EXPECT_EQ(Host(engine, "h3").pushed_at, kT0 + 10);

  EXPECT_THAT(engine.OnAck("h3", "r-1-3", kT0 + 20), IsEmpty());
  EXPECT_THAT(engine.OnAck("h2", "r-1-2", kT0 + 30), ElementsAre(Completed(1)));

  EXPECT_EQ(engine.state().status, RolloutStatus::kSucceeded);
  EXPECT_EQ(engine.state().next_nonce, 4u);
  for (const std::string& host : spec.hosts) {
    EXPECT_EQ(Host(engine, host).phase, HostPhase::kSucceeded) << host;
  }
}

// ---------------------------------------------------------------------------------------------
// Failures

TEST(RolloutEngineTest, NackBeyondBudgetHaltsAndRollsBackAckedHosts) {
  RolloutSpec spec = MakeSpec(4, "1,100%", {.budget = 1, .rollback = true});
  RolloutEngine engine(spec);
  ASSERT_TRUE(engine.Start(spec.hosts, kT0).ok());
  ASSERT_THAT(
      engine.OnAck("h1", "r-1-1", kT0 + 1),
      ElementsAre(WaveStarted(1), Push("h2", "r-1-2"), Push("h3", "r-1-3"), Push("h4", "r-1-4")));
  EXPECT_THAT(engine.OnAck("h2", "r-1-2", kT0 + 2), IsEmpty());
  // One failure is within the budget of 1.
  EXPECT_THAT(engine.OnNack("h3", "r-1-3", "postfix check failed", kT0 + 3), IsEmpty());
  EXPECT_EQ(engine.state().status, RolloutStatus::kRunning);

  EXPECT_THAT(engine.OnNack("h4", "r-1-4", "relay probe still relays", kT0 + 4),
              ElementsAre(Halted(1, "wave 2: 2 hosts failed, budget 1"), RollBack("h1", "r-1-5"),
                          RollBack("h2", "r-1-6")));
  EXPECT_EQ(engine.state().status, RolloutStatus::kHalted);
  EXPECT_EQ(engine.state().halt_reason, "wave 2: 2 hosts failed, budget 1");
  EXPECT_EQ(Host(engine, "h1").phase, HostPhase::kRollingBack);
  EXPECT_EQ(Host(engine, "h3").phase, HostPhase::kFailed);
  EXPECT_EQ(Host(engine, "h3").error, "postfix check failed");
  EXPECT_EQ(Host(engine, "h4").error, "relay probe still relays");

  // The rollback answers; the old push nonce no longer counts.
  EXPECT_THAT(engine.OnAck("h1", "r-1-1", kT0 + 5), IsEmpty());
  EXPECT_THAT(engine.OnAck("h1", "r-1-5", kT0 + 5), IsEmpty());
  EXPECT_EQ(Host(engine, "h1").phase, HostPhase::kRolledBack);
  EXPECT_THAT(engine.OnNack("h2", "r-1-6", "git restore failed", kT0 + 6), IsEmpty());
  EXPECT_EQ(Host(engine, "h2").phase, HostPhase::kFailed);
  EXPECT_EQ(Host(engine, "h2").error, "rollback failed: git restore failed");
  EXPECT_EQ(engine.state().status, RolloutStatus::kHalted);
}

TEST(RolloutEngineTest, HaltWithoutRollbackLeavesAckedHostsAndStopsPushing) {
  RolloutSpec spec = MakeSpec(5, "1,2,100%", {.budget = 0});
  RolloutEngine engine(spec);
  ASSERT_TRUE(engine.Start({"h1", "h3"}, kT0).ok());  // h2 offline
  ASSERT_THAT(engine.OnAck("h1", "r-1-1", kT0 + 1), ElementsAre(WaveStarted(1)));
  EXPECT_EQ(Host(engine, "h2").phase, HostPhase::kPending);
  EXPECT_THAT(engine.OnHostOnline("h2", kT0 + 2), ElementsAre(Push("h2", "r-1-2")));
  EXPECT_THAT(engine.OnNack("h2", "r-1-2", "bad", kT0 + 3),
              ElementsAre(Halted(1, "wave 2: 1 host failed, budget 0")));
  EXPECT_EQ(Host(engine, "h1").phase, HostPhase::kSucceeded);
  // Nothing is pushed after the halt.
  EXPECT_THAT(engine.OnHostOnline("h4", kT0 + 4), IsEmpty());
  EXPECT_THAT(engine.OnTick(kT0 + 10'000), IsEmpty());
  EXPECT_EQ(Host(engine, "h4").phase, HostPhase::kWaiting);
}

TEST(RolloutEngineTest, HaltRollsBackLateAndOfflineChangedHostsWhenTheyAnswer) {
  RolloutSpec spec = MakeSpec(4, "1,100%", {.rollback = true});
  RolloutEngine engine(spec);
  ASSERT_TRUE(engine.Start(spec.hosts, kT0).ok());
  ASSERT_EQ(engine.OnAck("h1", "r-1-1", kT0 + 1).size(), 4u);
  EXPECT_THAT(engine.OnHostOffline("h1", kT0 + 2), IsEmpty());
  // h1 is offline at the halt: its rollback waits for its stream.
  EXPECT_THAT(engine.OnNack("h2", "r-1-2", "bad", kT0 + 3),
              ElementsAre(Halted(1, "wave 2: 1 host failed, budget 0")));
  EXPECT_EQ(Host(engine, "h1").phase, HostPhase::kRollingBack);
  EXPECT_EQ(Host(engine, "h1").nonce, "r-1-5");
  EXPECT_THAT(engine.OnHostOnline("h1", kT0 + 4), ElementsAre(RollBack("h1", "r-1-5")));
  // h3 applied the push after the halt: it changed, so it rolls back too.
  EXPECT_THAT(engine.OnAck("h3", "r-1-3", kT0 + 5), ElementsAre(RollBack("h3", "r-1-6")));
  // h4's answer never comes; it is neither pushed again nor failed by the clock.
  EXPECT_THAT(engine.OnHostOnline("h4", kT0 + 6), IsEmpty());
  EXPECT_THAT(engine.OnTick(kT0 + 10'000), IsEmpty());
  EXPECT_EQ(Host(engine, "h4").phase, HostPhase::kPushed);
}

TEST(RolloutEngineTest, ResumeCompletesAWaveThatFinishedWhilePaused) {
  RolloutSpec spec = MakeSpec(2, "1,100%");
  RolloutEngine engine(spec);
  ASSERT_TRUE(engine.Start(spec.hosts, kT0).ok());
  ASSERT_EQ(engine.OnAck("h1", "r-1-1", kT0 + 1).size(), 2u);
  ASSERT_TRUE(engine.Pause().ok());
  EXPECT_THAT(engine.OnAck("h2", "r-1-2", kT0 + 2), IsEmpty());
  EXPECT_EQ(engine.state().status, RolloutStatus::kPaused);
  absl::StatusOr<std::vector<Action>> resumed = engine.Resume(kT0 + 3);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_THAT(*resumed, ElementsAre(Completed(1)));
  EXPECT_EQ(engine.state().status, RolloutStatus::kSucceeded);
}

TEST(RolloutEngineTest, NackWithinBudgetContinuesToNextWave) {
  RolloutSpec spec = MakeSpec(3, "1,100%", {.budget = 1, .rollback = true});
  RolloutEngine engine(spec);
  ASSERT_TRUE(engine.Start(spec.hosts, kT0).ok());
  EXPECT_THAT(engine.OnNack("h1", "r-1-1", "postfix check failed", kT0 + 1),
              ElementsAre(WaveStarted(1), Push("h2", "r-1-2"), Push("h3", "r-1-3")));
  EXPECT_THAT(engine.OnAck("h2", "r-1-2", kT0 + 2), IsEmpty());
  EXPECT_THAT(engine.OnAck("h3", "r-1-3", kT0 + 3), ElementsAre(Completed(1)));
  EXPECT_EQ(engine.state().status, RolloutStatus::kSucceeded);
  EXPECT_EQ(Host(engine, "h1").phase, HostPhase::kFailed);
  EXPECT_EQ(Host(engine, "h1").error, "postfix check failed");
}

// ---------------------------------------------------------------------------------------------
// Pause, resume, abort

TEST(RolloutEngineTest, PausesBetweenWavesUntilResumed) {
  RolloutSpec spec = MakeSpec(3, "1,100%", {.pause = true});
  RolloutEngine engine(spec);
  ASSERT_TRUE(engine.Start(spec.hosts, kT0).ok());
  EXPECT_THAT(engine.OnAck("h1", "r-1-1", kT0 + 1), ElementsAre(Paused(0)));
  EXPECT_EQ(engine.state().status, RolloutStatus::kPaused);
  EXPECT_EQ(Host(engine, "h2").phase, HostPhase::kWaiting);
  EXPECT_THAT(engine.OnHostOnline("h2", kT0 + 2), IsEmpty());

  absl::StatusOr<std::vector<Action>> resumed = engine.Resume(kT0 + 3);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_THAT(*resumed, ElementsAre(WaveStarted(1), Push("h2", "r-1-2"), Push("h3", "r-1-3")));
  EXPECT_EQ(engine.state().status, RolloutStatus::kRunning);
  EXPECT_EQ(Host(engine, "h2").pushed_at, kT0 + 3);
  EXPECT_THAT(engine.OnAck("h2", "r-1-2", kT0 + 4), IsEmpty());
  // The last wave completes rather than pausing again.
  EXPECT_THAT(engine.OnAck("h3", "r-1-3", kT0 + 5), ElementsAre(Completed(1)));
}

TEST(RolloutEngineTest, OperatorPauseMidWaveHoldsPendingHostsUntilResume) {
  RolloutSpec spec = MakeSpec(3, "100%");
  RolloutEngine engine(spec);
  ASSERT_TRUE(engine.Start({"h1"}, kT0).ok());
  absl::StatusOr<std::vector<Action>> paused = engine.Pause();
  ASSERT_TRUE(paused.ok()) << paused.status();
  EXPECT_THAT(*paused, ElementsAre(Paused(0)));
  // Answers still count while paused, but pending hosts are not pushed.
  EXPECT_THAT(engine.OnAck("h1", "r-1-1", kT0 + 1), IsEmpty());
  EXPECT_THAT(engine.OnHostOnline("h2", kT0 + 2), IsEmpty());
  EXPECT_EQ(Host(engine, "h2").phase, HostPhase::kPending);
  // A long pause does not count against the pending hosts' deadline.
  EXPECT_THAT(engine.OnTick(kT0 + 5000), IsEmpty());

  absl::StatusOr<std::vector<Action>> resumed = engine.Resume(kT0 + 5000);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_THAT(*resumed, ElementsAre(Push("h2", "r-1-2")));
  EXPECT_EQ(Host(engine, "h3").phase, HostPhase::kPending);
  EXPECT_EQ(Host(engine, "h3").pushed_at, kT0 + 5000);
  EXPECT_THAT(engine.OnTick(kT0 + 5599), IsEmpty());
}

TEST(RolloutEngineTest, AbortStopsEverything) {
  RolloutSpec spec = MakeSpec(3, "1,100%", {.rollback = true});
  RolloutEngine engine(spec);
  ASSERT_TRUE(engine.Start({"h1", "h2"}, kT0).ok());
  ASSERT_THAT(engine.OnAck("h1", "r-1-1", kT0 + 1),
              ElementsAre(WaveStarted(1), Push("h2", "r-1-2")));
  absl::StatusOr<std::vector<Action>> aborted = engine.Abort();
  ASSERT_TRUE(aborted.ok()) << aborted.status();
  EXPECT_THAT(*aborted, ElementsAre(Halted(1, "aborted by operator")));  // no rollback
  EXPECT_EQ(engine.state().status, RolloutStatus::kAborted);
  EXPECT_EQ(engine.state().halt_reason, "aborted by operator");
  EXPECT_THAT(engine.OnHostOnline("h3", kT0 + 2), IsEmpty());
  EXPECT_THAT(engine.OnHostOffline("h2", kT0 + 3), IsEmpty());
  EXPECT_THAT(engine.OnHostOnline("h2", kT0 + 4), IsEmpty());  // no re-push either
  EXPECT_THAT(engine.OnAck("h2", "r-1-2", kT0 + 5), IsEmpty());
  EXPECT_EQ(Host(engine, "h2").phase, HostPhase::kSucceeded);  // recorded, nothing more
  EXPECT_THAT(engine.OnTick(kT0 + 10'000), IsEmpty());
  EXPECT_EQ(engine.state().status, RolloutStatus::kAborted);
}

TEST(RolloutEngineTest, OperatorCommandsInTheWrongStatusFail) {
  enum class Command { kPause, kResume, kAbort };
  enum class Setup { kNotStarted, kRunning, kPaused, kHalted, kAborted, kSucceeded };
  struct Case {
    Setup setup;
    Command command;
    std::string message;  // empty: allowed
  };
  const std::vector<Case> cases = {
      {Setup::kNotStarted, Command::kPause,
       "rollout r-1 has not started; only running rollouts can be paused"},
      {Setup::kRunning, Command::kResume,
       "rollout r-1 is running; only paused rollouts can be resumed"},
      {Setup::kPaused, Command::kPause,
       "rollout r-1 is paused; only running rollouts can be paused"},
      {Setup::kHalted, Command::kPause,
       "rollout r-1 is halted; only running rollouts can be paused"},
      {Setup::kHalted, Command::kResume,
       "rollout r-1 is halted; only paused rollouts can be resumed"},
      {Setup::kHalted, Command::kAbort,
       "rollout r-1 is halted; only running or paused rollouts can be aborted"},
      {Setup::kAborted, Command::kAbort,
       "rollout r-1 is aborted; only running or paused rollouts can be aborted"},
      {Setup::kSucceeded, Command::kPause,
       "rollout r-1 is succeeded; only running rollouts can be paused"},
      {Setup::kSucceeded, Command::kResume,
       "rollout r-1 is succeeded; only paused rollouts can be resumed"},
      {Setup::kRunning, Command::kPause, ""},
      {Setup::kPaused, Command::kResume, ""},
      {Setup::kPaused, Command::kAbort, ""},
      {Setup::kRunning, Command::kAbort, ""},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(absl::StrCat("case ", i));
    RolloutSpec spec = MakeSpec(2, "100%");
    RolloutEngine engine(spec);
    if (c.setup != Setup::kNotStarted) {
      ASSERT_TRUE(engine.Start(spec.hosts, kT0).ok());
    }
    switch (c.setup) {
      case Setup::kPaused:
        ASSERT_TRUE(engine.Pause().ok());
        break;
      case Setup::kHalted:
        engine.OnNack("h1", "r-1-1", "bad", kT0 + 1);
        break;
      case Setup::kAborted:
        ASSERT_TRUE(engine.Abort().ok());
        break;
      case Setup::kSucceeded:
        engine.OnAck("h1", "r-1-1", kT0 + 1);
        engine.OnAck("h2", "r-1-2", kT0 + 1);
        break;
      default:
        break;
    }
    const RolloutState before = engine.state();
    absl::StatusOr<std::vector<Action>> got = c.command == Command::kPause    ? engine.Pause()
                                              : c.command == Command::kResume ? engine.Resume(kT0)
                                                                              : engine.Abort();
    if (c.message.empty()) {
      EXPECT_TRUE(got.ok()) << got.status();
      continue;
    }
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(got.status().message(), c.message);
    EXPECT_EQ(engine.state(), before);
  }
}

// ---------------------------------------------------------------------------------------------
// Hosts coming and going

TEST(RolloutEngineTest, OfflineHostIsPushedWhenItComesOnline) {
  RolloutSpec spec = MakeSpec(3, "100%");
  RolloutEngine engine(spec);
  absl::StatusOr<std::vector<Action>> started = engine.Start({"h1", "h3"}, kT0);
  ASSERT_TRUE(started.ok());
  EXPECT_THAT(*started, ElementsAre(WaveStarted(0), Push("h1", "r-1-1"), Push("h3", "r-1-2")));
  EXPECT_EQ(Host(engine, "h2").phase, HostPhase::kPending);
  EXPECT_EQ(Host(engine, "h2").nonce, "");

  EXPECT_THAT(engine.OnHostOnline("h2", kT0 + 50), ElementsAre(Push("h2", "r-1-3")));
  EXPECT_EQ(Host(engine, "h2").phase, HostPhase::kPushed);
  EXPECT_EQ(Host(engine, "h2").pushed_at, kT0 + 50);

  // A reconnect while pushed re-sends the same push; a succeeded host gets nothing.
  EXPECT_THAT(engine.OnHostOffline("h2", kT0 + 60), IsEmpty());
  EXPECT_THAT(engine.OnHostOnline("h2", kT0 + 70), ElementsAre(Push("h2", "r-1-3")));
  EXPECT_EQ(Host(engine, "h2").pushed_at, kT0 + 70);
  EXPECT_THAT(engine.OnAck("h1", "r-1-1", kT0 + 80), IsEmpty());
  EXPECT_THAT(engine.OnHostOnline("h1", kT0 + 90), IsEmpty());
  EXPECT_THAT(engine.OnHostOnline("unknown", kT0 + 90), IsEmpty());
}

TEST(RolloutEngineTest, OfflineHostsFailAtTheDeadline) {
  RolloutSpec spec = MakeSpec(4, "100%", {.budget = 2});
  RolloutEngine engine(spec);
  // h1 pushed and stays online; h2 pushed then drops; h3 never online; h4 answers.
  ASSERT_TRUE(engine.Start({"h1", "h2", "h4"}, kT0).ok());
  EXPECT_THAT(engine.OnHostOffline("h2", kT0 + 10), IsEmpty());
  EXPECT_THAT(engine.OnAck("h4", "r-1-3", kT0 + 20), IsEmpty());

  EXPECT_THAT(engine.OnTick(kT0 + 599), IsEmpty());
  EXPECT_EQ(Host(engine, "h2").phase, HostPhase::kPushed);
  EXPECT_EQ(Host(engine, "h3").phase, HostPhase::kPending);

  EXPECT_THAT(engine.OnTick(kT0 + 600), IsEmpty());  // 2 failures, budget 2
  for (const char* host : {"h2", "h3"}) {
    EXPECT_EQ(Host(engine, host).phase, HostPhase::kFailed) << host;
    EXPECT_EQ(Host(engine, host).error, "offline past the deadline (600 s)") << host;
  }
  EXPECT_EQ(Host(engine, "h1").phase, HostPhase::kPushed);  // online: still waiting
  // A late answer to a failed push is ignored.
  EXPECT_THAT(engine.OnAck("h2", "r-1-2", kT0 + 601), IsEmpty());
  EXPECT_EQ(Host(engine, "h2").phase, HostPhase::kFailed);

  EXPECT_THAT(engine.OnAck("h1", "r-1-1", kT0 + 700), ElementsAre(Completed(0)));
}

TEST(RolloutEngineTest, DeadlineFailuresBeyondBudgetHalt) {
  RolloutSpec spec = MakeSpec(2, "100%");
  spec.offline_deadline_s = 60;
  RolloutEngine engine(spec);
  ASSERT_TRUE(engine.Start({"h1"}, kT0).ok());
  EXPECT_THAT(engine.OnTick(kT0 + 60), ElementsAre(Halted(0, "wave 1: 1 host failed, budget 0")));
  EXPECT_EQ(Host(engine, "h2").error, "offline past the deadline (60 s)");
  EXPECT_EQ(engine.state().status, RolloutStatus::kHalted);
}

TEST(RolloutEngineTest, StaleNoncesAndUnknownHostsAreIgnored) {
  RolloutSpec spec = MakeSpec(2, "100%");
  RolloutEngine engine(spec);
  ASSERT_TRUE(engine.Start(spec.hosts, kT0).ok());
  const RolloutState before = engine.state();
  EXPECT_THAT(engine.OnAck("h1", "r-1-2", kT0 + 1), IsEmpty());  // h2's nonce
  EXPECT_THAT(engine.OnAck("h1", "r-0-1", kT0 + 1), IsEmpty());
  EXPECT_THAT(engine.OnAck("h1", "", kT0 + 1), IsEmpty());
  EXPECT_THAT(engine.OnNack("h1", "r-1-9", "bad", kT0 + 1), IsEmpty());
  EXPECT_THAT(engine.OnAck("nobody", "r-1-1", kT0 + 1), IsEmpty());
  EXPECT_THAT(engine.OnNack("nobody", "r-1-1", "bad", kT0 + 1), IsEmpty());
  EXPECT_EQ(engine.state(), before);

  EXPECT_THAT(engine.OnAck("h1", "r-1-1", kT0 + 2), IsEmpty());
  // A duplicate ACK, or a NACK for a push already ACKed, changes nothing.
  EXPECT_THAT(engine.OnAck("h1", "r-1-1", kT0 + 3), IsEmpty());
  EXPECT_THAT(engine.OnNack("h1", "r-1-1", "bad", kT0 + 3), IsEmpty());
  EXPECT_EQ(Host(engine, "h1").phase, HostPhase::kSucceeded);
  EXPECT_EQ(engine.state().status, RolloutStatus::kRunning);
}

// ---------------------------------------------------------------------------------------------
// Restart

TEST(RolloutEngineTest, RestoreRepushesOnlyTheUnansweredHostWithItsNonce) {
  RolloutSpec spec = MakeSpec(3, "1,100%");
  RolloutState saved;
  {
    RolloutEngine engine(spec);
    ASSERT_TRUE(engine.Start(spec.hosts, kT0).ok());
    ASSERT_THAT(engine.OnAck("h1", "r-1-1", kT0 + 1),
                ElementsAre(WaveStarted(1), Push("h2", "r-1-2"), Push("h3", "r-1-3")));
    ASSERT_THAT(engine.OnAck("h2", "r-1-2", kT0 + 2), IsEmpty());
    saved = engine.state();  // what the store holds when the controller dies
  }

  RolloutEngine engine = RolloutEngine::Restore(spec, saved);
  EXPECT_EQ(engine.state(), saved);
  EXPECT_THAT(engine.OnHostOnline("h1", kT0 + 100), IsEmpty());
  EXPECT_THAT(engine.OnHostOnline("h2", kT0 + 100), IsEmpty());
  EXPECT_THAT(engine.OnHostOnline("h3", kT0 + 100), ElementsAre(Push("h3", "r-1-3")));
  EXPECT_EQ(Host(engine, "h3").pushed_at, kT0 + 100);
  EXPECT_THAT(engine.OnAck("h3", "r-1-3", kT0 + 101), ElementsAre(Completed(1)));
  EXPECT_EQ(engine.state().next_nonce, saved.next_nonce);
}

TEST(RolloutEngineTest, RestoreResendsAPendingRollback) {
  RolloutSpec spec = MakeSpec(2, "1,100%", {.rollback = true});
  RolloutState saved;
  {
    RolloutEngine engine(spec);
    ASSERT_TRUE(engine.Start(spec.hosts, kT0).ok());
    ASSERT_TRUE(!engine.OnAck("h1", "r-1-1", kT0 + 1).empty());
    ASSERT_THAT(engine.OnNack("h2", "r-1-2", "bad", kT0 + 2),
                ElementsAre(Halted(1, "wave 2: 1 host failed, budget 0"), RollBack("h1", "r-1-3")));
    saved = engine.state();
  }
  RolloutEngine engine = RolloutEngine::Restore(spec, saved);
  EXPECT_THAT(engine.OnHostOnline("h2", kT0 + 50), IsEmpty());
  EXPECT_THAT(engine.OnHostOnline("h1", kT0 + 50), ElementsAre(RollBack("h1", "r-1-3")));
  EXPECT_THAT(engine.OnAck("h1", "r-1-3", kT0 + 51), IsEmpty());
  EXPECT_EQ(Host(engine, "h1").phase, HostPhase::kRolledBack);
}

// The manager saves only the hosts the engine reports as changed: under a long run of mixed
// events (answers, stale nonces, hosts coming and going, ticks, pause/resume, halts with
// rollback, restores), every host whose progress differs must be among them.
TEST(RolloutEngineTest, ReportsEveryChangedHostAfterEachEvent) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    RolloutSpec spec = MakeSpec(12, "1,25%,100%", {.budget = 1, .pause = seed % 2 == 0,
                                                  .rollback = seed % 3 == 0});
    spec.offline_deadline_s = 5;
    RolloutEngine engine(spec);
    std::vector<std::string> online = {"h1", "h2", "h3", "h5", "h8", "h9", "h10", "h12"};
    ASSERT_TRUE(engine.Start(online, kT0).ok());
    std::vector<std::string> first = engine.TakeChangedHosts();
    EXPECT_EQ(first.size(), spec.hosts.size()) << "Start changes every host";
    uint32_t r = seed;
    auto next = [&r](uint32_t n) {
      r = r * 1103515245u + 12345u;
      return (r >> 16) % n;
    };
    int64_t now = kT0;
    for (int i = 0; i < 400; ++i) {
      const RolloutState before = engine.state();
      const std::string host = spec.hosts[next(spec.hosts.size())];
      const std::string nonce = before.hosts.at(host).nonce;
      switch (next(8)) {
        case 0: engine.OnAck(host, nonce, now); break;
        case 1: engine.OnNack(host, nonce, "reload: failed", now); break;
        case 2: engine.OnAck(host, "stale", now); break;
        case 3: engine.OnHostOnline(host, now); break;
        case 4: engine.OnHostOffline(host, now); break;
        case 5: engine.OnTick(now += 3); break;
        case 6: (void)engine.Resume(now); break;
        case 7: if (next(10) == 0) (void)engine.Pause(); break;
      }
      std::vector<std::string> changed = engine.TakeChangedHosts();
      for (const auto& [name, progress] : engine.state().hosts) {
        if (progress == before.hosts.at(name)) continue;
        EXPECT_TRUE(std::find(changed.begin(), changed.end(), name) != changed.end())
            << "seed " << seed << " event " << i << ": " << name << " changed, not reported";
      }
      if (i == 200) engine = RolloutEngine::Restore(spec, engine.state());
    }
  }
}

TEST(RolloutEngineTest, NamesAreReadable) {
  EXPECT_STREQ(HostPhaseName(HostPhase::kRollingBack), "rolling-back");
  EXPECT_STREQ(HostPhaseName(HostPhase::kPending), "pending");
  EXPECT_STREQ(RolloutStatusName(RolloutStatus::kHalted), "halted");
  EXPECT_STREQ(RolloutStatusName(RolloutStatus::kSucceeded), "succeeded");
}

TEST(RolloutEngineTest, EveryNameParsesBack) {
  for (HostPhase p : {HostPhase::kWaiting, HostPhase::kPending, HostPhase::kPushed,
                      HostPhase::kSucceeded, HostPhase::kFailed, HostPhase::kRollingBack,
                      HostPhase::kRolledBack}) {
    absl::StatusOr<HostPhase> parsed = ParseHostPhase(HostPhaseName(p));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, p);
  }
  for (RolloutStatus s : {RolloutStatus::kRunning, RolloutStatus::kPaused, RolloutStatus::kHalted,
                          RolloutStatus::kAborted, RolloutStatus::kSucceeded}) {
    absl::StatusOr<RolloutStatus> parsed = ParseRolloutStatus(RolloutStatusName(s));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, s);
  }
}

TEST(CommandStatesTest, EveryNameParsesBack) {
  for (int i = 0; i <= static_cast<int>(PlanStatus::kNoAnswer); ++i) {
    const auto s = static_cast<PlanStatus>(i);
    absl::StatusOr<PlanStatus> parsed = ParsePlanStatus(PlanStatusName(s));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, s);
  }
  for (int i = 0; i <= static_cast<int>(RollbackStatus::kSkipped); ++i) {
    const auto s = static_cast<RollbackStatus>(i);
    absl::StatusOr<RollbackStatus> parsed = ParseRollbackStatus(RollbackStatusName(s));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_STREQ(PlanStatusName(PlanStatus::kWouldChange), "would-change");
  EXPECT_STREQ(RollbackStatusName(RollbackStatus::kNoAnswer), "no-answer");
  EXPECT_FALSE(ParsePlanStatus("would change").ok());
  EXPECT_FALSE(ParseRollbackStatus("").ok());
}

TEST(RolloutEngineTest, UnknownNamesAreErrorsNamingThem) {
  absl::StatusOr<HostPhase> phase = ParseHostPhase("rolled back");
  ASSERT_FALSE(phase.ok());
  EXPECT_EQ(phase.status().message(),
            "unknown host phase \"rolled back\" (expected one of \"waiting\", \"pending\", "
            "\"pushed\", \"succeeded\", \"failed\", \"rolling-back\", \"rolled-back\")");
  EXPECT_FALSE(ParseRolloutStatus("").ok());
  EXPECT_FALSE(ParseRolloutStatus("2").ok());
}

}  // namespace
}  // namespace relayguard::controller
