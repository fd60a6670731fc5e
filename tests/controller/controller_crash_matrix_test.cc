// The controller crash matrix (issue 17): a real relayguard-controller over a fleet of real
// agents on real Postfix instances is SIGKILLed at every step of a rollout and of a fleet
// rollback (relayguard-controller-pausing stops at the step, controller/rollout/fault_points.h),
// restarted on the same store, and the rollout or rollback is finished. Each time: every host is
// changed exactly once (one backup + result commit pair in its backup repository), the store has
// one result per host for the rollout, one "rollout start" audit entry, and one "restored" per
// host for the rollback (nothing lost, nothing twice), and the files end as expected (relays
// closed after a rollout; main.cf restored byte-for-byte after a rollback). One fleet serves
// every step of a test; the rollout's steps and the fleet rollback's are two tests, which ctest
// runs side by side.
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/probe/relay_probe.h"
#include "tests/support/ctl.h"
#include "tests/support/daemon.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/wait.h"

namespace relayguard::controller {
namespace {

using ::relayguard::testing::CountOf;
using ::relayguard::testing::Daemon;
using ::relayguard::testing::FreeLoopbackPort;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::SourcePath;
using ::relayguard::testing::WaitFor;
namespace agent = ::relayguard::agent;

const std::string kBin = RG_BINARY_DIR;
constexpr int kHosts = 3;

agent::ProbeVerdict Verdict(const PostfixLab& lab) {
  agent::ProbeOptions options;
  options.source = *ParseIpAddress("127.0.0.9");
  options.timeout = ::relayguard::testing::Scaled(std::chrono::seconds(3));
  return agent::RunRelayProbe({*ParseIpAddress("127.0.0.1"), static_cast<uint16_t>(lab.port())},
                              agent::BasicRelayTests("a@example.org", "b@example.net"), options)
      .verdict;
}

class ControllerCrashMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < kHosts; ++i) {
      labs_.push_back(std::make_unique<PostfixLab>("0.0.0.0/0"));
      labs_.back()->Start();
      original_.push_back(ReadFileOrDie(labs_.back()->main_cf()));
    }
    port_ = FreeLoopbackPort();
    pause_file_ = labs_[0]->dir() + "/pause-at";
    StartController();
    for (int i = 0; i < kHosts; ++i) {
      agents_.push_back(std::make_unique<Daemon>(
          labs_[i]->AgentArgv({"--mta-bin-dir", "/usr/sbin", "run", "--controller",
                               "127.0.0.1:" + std::to_string(port_), "--host",
                               "mx" + std::to_string(i + 1), "--label", "site=lab", "--insecure"}),
          labs_[i]->dir() + "/agent.log"));
    }
    ASSERT_TRUE(WaitOnline()) << Ctl({"hosts"}) << controller_->Log();
  }

  // relayguard-controller-pausing, which pauses at the step named in pause_file_ (none when
  // the file is empty): one controller start per kill.
  void StartController() {
    if (controller_) controller_->Kill();
    WriteStep("");
    std::vector<std::string> argv = {kBin + "/tests/relayguard-controller-pausing",
                                     "--pause-at-file", pause_file_};
    for (const std::string& a :
         {std::string("--insecure"), std::string("--listen"),
          "127.0.0.1:" + std::to_string(port_), std::string("--playbooks"),
          SourcePath("playbooks"), std::string("--state-dir"), labs_[0]->dir() + "/controller"}) {
      argv.push_back(a);
    }
    controller_ = std::make_unique<Daemon>(
        std::move(argv), absl::StrCat(labs_[0]->dir(), "/controller-", ++starts_, ".log"));
  }
  bool WaitOnline() {
    return WaitFor([&] { return CountOf(Ctl({"hosts"}), " online ") == kHosts; },
                   std::chrono::seconds(40));
  }
  std::string Ctl(const std::vector<std::string>& args, int* rc = nullptr) {
    return ::relayguard::testing::RunCtl(port_, args, rc);
  }
  // The commits of host i's backup repository whose subject starts with `what`: "Applied
  // policy" (the result of an apply) or "Rolled back to" (of a rollback).
  int Commits(int i, const std::string& what) {
    std::string log;
    RunCommand({"/usr/bin/git", "-C", labs_[i]->state_dir() + "/backup", "log", "--format=%s"},
               &log);
    return static_cast<int>(CountOf("\n" + log, "\n" + what));
  }
  std::string History(int i) { return Ctl({"history", "mx" + std::to_string(i + 1), "--json"}); }
  size_t Results(int i, const std::string& id, const std::string& outcome) {
    return CountOf(History(i),
                   absl::StrCat("\"rollout_id\":\"", id, "\",\"outcome\":\"", outcome, "\""));
  }

  bool CheckAndRollBack(const std::string& id, const std::vector<std::pair<int, int>>& before,
                        const std::string& rollback_step);
  // Per host: its "Applied policy" and "Rolled back to" commits so far.
  std::vector<std::pair<int, int>> CommitCounts();

  void WriteStep(const std::string& step) {
    std::ofstream(pause_file_, std::ios::trunc) << step << "\n";
  }

  // Runs `ctl` in the background with the controller set to pause at `step`, SIGKILLs it there
  // and starts the next on the same store. False when the step was not reached.
  bool KillAt(const std::string& step, const std::vector<std::string>& ctl) {
    WriteStep(step);
    std::future<std::string> call =
        std::async(std::launch::async, [this, ctl] { return Ctl(ctl); });
    const std::string step_name = step.substr(0, step.find('#'));
    bool paused = WaitFor(
        [&] { return controller_->Log().find("paused at " + step_name) != std::string::npos; },
        std::chrono::seconds(40));
    if (!paused) std::cerr << "not paused at " << step << ":\n" << controller_->Log();
    controller_->Kill();
    call.get();  // the operator's call ends with the controller
    StartController();
    return paused && WaitOnline();
  }

  std::vector<std::unique_ptr<PostfixLab>> labs_;
  std::vector<std::string> original_;
  std::string pause_file_;
  std::unique_ptr<Daemon> controller_;
  std::vector<std::unique_ptr<Daemon>> agents_;
  int port_ = 0;
  int starts_ = 0;
  int rollouts_ = 0;
};

// Waves "1,100%": mx1, then mx2 and mx3.
const std::vector<std::string> kStart = {"rollout", "start", "no-open-relay", "--hosts",
                                         "mx1,mx2,mx3", "--waves", "1,100%", "--reason",
                                         "crash matrix"};

// Checks the rollout `id` finished with each host changed once, then rolls it back (plainly, or
// killed at `rollback_step`) and checks each host restored once, byte for byte. True when none
// of these checks failed.
bool ControllerCrashMatrixTest::CheckAndRollBack(const std::string& id,
                                                 const std::vector<std::pair<int, int>>& before,
                                                 const std::string& rollback_step) {
  const int failures =
      ::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count();
  EXPECT_TRUE(WaitFor(
      [&] {
        return Ctl({"rollout", "status", id}).find("no-open-relay v1  succeeded") !=
               std::string::npos;
      },
      std::chrono::seconds(60)))
      << Ctl({"rollout", "status", id}) << controller_->Log();
  for (int i = 0; i < kHosts; ++i) {
    EXPECT_EQ(Verdict(*labs_[i]), agent::ProbeVerdict::kRefused) << id << " mx" << i + 1;
    EXPECT_EQ(Commits(i, "Applied policy"), before[i].first + 1)
        << id << " mx" << i + 1 << ": applied exactly once";
    EXPECT_EQ(Results(i, id, "OUTCOME_APPLIED"), 1u)
        << id << " mx" << i + 1 << ": one result in the store\n" << History(i);
  }
  // Who started it is on record once: the entry is written with the rollout's first save.
  EXPECT_EQ(CountOf(Ctl({"audit", "--json", "--limit", "1000"}),
                    absl::StrCat("\"target\":\"", id, " no-open-relay v1\"")),
            1u)
      << id << ": one \"rollout start\" audit entry\n" << Ctl({"audit"});
  std::vector<std::string> rollback = {"rollback", "--rollout", id, "--json", "--reason",
                                       "crash matrix"};
  if (!rollback_step.empty()) {
    EXPECT_TRUE(KillAt(rollback_step, rollback)) << rollback_step;
  }
  int rc = -1;
  std::string out = Ctl(rollback, &rc);  // again after a kill: finishes what is left
  EXPECT_EQ(rc, 0) << out << controller_->Log();
  for (int i = 0; i < kHosts; ++i) {
    EXPECT_EQ(ReadFileOrDie(labs_[i]->main_cf()), original_[i]) << id << " mx" << i + 1;
    EXPECT_EQ(Verdict(*labs_[i]), agent::ProbeVerdict::kRelayAccepted) << id << " mx" << i + 1;
    EXPECT_EQ(Commits(i, "Applied policy"), before[i].first + 1) << id << " mx" << i + 1;
    EXPECT_EQ(Commits(i, "Rolled back to"), before[i].second + 1)
        << id << " mx" << i + 1 << ": restored exactly once";
    // The store: exactly one "restored" result of this rollback for every host. A restore whose
    // answer died with the controller (killed after the rollback was sent, before its answer
    // was stored) is sent again by the next controller with its nonce (the rollback is kept in
    // the store until its answer is), and the agent answers it as it did; the operator's second
    // run, a new request, finds the host restored ("unchanged").
    EXPECT_EQ(Results(i, id, "OUTCOME_RESTORED"), 1u)
        << id << " mx" << i + 1 << ": restored once in the store\n" << History(i);
  }
  return ::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count() ==
         failures;
}

std::vector<std::pair<int, int>> ControllerCrashMatrixTest::CommitCounts() {
  std::vector<std::pair<int, int>> c;
  for (int i = 0; i < kHosts; ++i) {
    c.emplace_back(Commits(i, "Applied policy"), Commits(i, "Rolled back to"));
  }
  return c;
}

// Prints `figure` and keeps it under the build dir as `name`.txt, with the agent matrix's
// figures (the test command shows them).
void WriteFigure(const std::string& name, const std::string& figure) {
  std::cout << figure << std::endl;
  const std::string dir = std::string(RG_BINARY_DIR) + "/crash-matrix";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/" + name + ".txt") << figure << "\n";
}

TEST_F(ControllerCrashMatrixTest, KilledAtEveryStepOfARollout) {
  // "#N": the N-th time the step is reached.
  const std::vector<std::string> steps = {"rollout-created", "wave-started#2", "push-sent#2",
                                          "answer-received#2", "wave-done#1", "rollout-done"};
  int survived = 0;
  for (const std::string& step : steps) {
    SCOPED_TRACE("rollout killed at " + step);
    std::vector<std::pair<int, int>> before = CommitCounts();
    const std::string id = absl::StrFormat("r-%06d", ++rollouts_);
    bool reached = KillAt(step, kStart);
    EXPECT_TRUE(reached) << step;
    if (CheckAndRollBack(id, before, "") && reached) ++survived;
  }
  WriteFigure("controller-rollout",
              absl::StrCat("controller crash matrix: rollout ", survived, "/", steps.size(),
                           " kills survived"));
  EXPECT_EQ(survived, static_cast<int>(steps.size()));
}

TEST_F(ControllerCrashMatrixTest, KilledAtEveryStepOfAFleetRollback) {
  const std::vector<std::string> steps = {"rollback-resolved", "rollback-sent",
                                          "rollback-answer-received#2",
                                          "rollback-answer-stored#2", "rollback-done"};
  int survived = 0;
  for (const std::string& step : steps) {
    SCOPED_TRACE("fleet rollback killed at " + step);
    std::vector<std::pair<int, int>> before = CommitCounts();
    const std::string id = absl::StrFormat("r-%06d", ++rollouts_);
    std::vector<std::string> now = kStart;
    now.push_back("--wait");
    int rc = -1;
    std::string out = Ctl(now, &rc);
    ASSERT_EQ(rc, 0) << out << controller_->Log();
    if (CheckAndRollBack(id, before, step)) ++survived;
  }
  WriteFigure("controller-rollback",
              absl::StrCat("controller crash matrix: fleet rollback ", survived, "/",
                           steps.size(), " kills survived"));
  EXPECT_EQ(survived, static_cast<int>(steps.size()));
}

}  // namespace
}  // namespace relayguard::controller
