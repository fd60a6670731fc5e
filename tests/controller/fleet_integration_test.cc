// The fleet end to end: a real relayguard-controller, real agents (`relayguard-agent run`), each
// with its own real Postfix on loopback, driven with relayguardctl. Plaintext (--insecure) on
// 127.0.0.1 with ports chosen at run time.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_split.h"
#include "agent/probe/relay_probe.h"
#include "tests/support/ctl.h"
#include "tests/support/daemon.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/wait.h"

namespace relayguard::controller {
namespace {

using ::relayguard::testing::Daemon;
using ::relayguard::testing::PausingAgentArgv;
using ::relayguard::testing::FreeLoopbackPort;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::SourcePath;
using ::relayguard::testing::WaitFor;
using ::relayguard::testing::CountOf;
using ::testing::HasSubstr;
using ::testing::Not;
namespace agent = ::relayguard::agent;

const std::string kBin = RG_BINARY_DIR;

agent::ProbeVerdict Verdict(const PostfixLab& lab) {
  agent::ProbeOptions options;
  options.source = *ParseIpAddress("127.0.0.9");
  options.timeout = ::relayguard::testing::Scaled(std::chrono::seconds(3));
  return agent::RunRelayProbe({*ParseIpAddress("127.0.0.1"), static_cast<uint16_t>(lab.port())},
                              agent::BasicRelayTests("a@example.org", "b@example.net"), options)
      .verdict;
}

class FleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 3; ++i) {
      labs_.push_back(std::make_unique<PostfixLab>("0.0.0.0/0"));
      labs_.back()->Start();
    }
    port_ = FreeLoopbackPort();
    StartController();
    for (int i = 0; i < 3; ++i) StartAgent(i, "/usr/sbin");
    ASSERT_TRUE(WaitFor([&] { return AllOnline(); }, std::chrono::seconds(30)))
        << Ctl({"hosts"}) << controller_->Log();
  }
  void StartController() {
    controller_ = std::make_unique<Daemon>(
        std::vector<std::string>{kBin + "/controller/relayguard-controller", "--insecure",
                                 "--listen", "127.0.0.1:" + std::to_string(port_), "--playbooks",
                                 SourcePath("playbooks"), "--state-dir",
                                 labs_[0]->dir() + "/controller"},
        labs_[0]->dir() + "/controller.log");
  }
  // `pause_at`: run relayguard-agent-pausing, paused at that fault point.
  void StartAgent(int i, const std::string& bin_dir, const std::string& pause_at = "") {
    agents_.resize(3);
    std::vector<std::string> argv =
        labs_[i]->AgentArgv({"--mta-bin-dir", bin_dir, "run", "--controller",
                             "127.0.0.1:" + std::to_string(port_), "--host",
                             "mx" + std::to_string(i + 1), "--label", "site=lab", "--insecure"});
    if (!pause_at.empty()) argv = PausingAgentArgv(std::move(argv), pause_at);
    agents_[i] = std::make_unique<Daemon>(std::move(argv), labs_[i]->dir() + "/agent.log");
  }
  bool AllOnline() {
    std::string hosts = Ctl({"hosts"});
    size_t online = 0;
    for (size_t at = hosts.find(" online "); at != std::string::npos;
         at = hosts.find(" online ", at + 1)) {
      ++online;
    }
    return online == 3;
  }
  std::string Ctl(const std::vector<std::string>& args, int* rc = nullptr) {
    return ::relayguard::testing::RunCtl(port_, args, rc);
  }

  std::vector<std::unique_ptr<PostfixLab>> labs_;
  std::unique_ptr<Daemon> controller_;
  std::vector<std::unique_ptr<Daemon>> agents_;
  int port_ = 0;
};

TEST_F(FleetTest, RolloutInWavesClosesEveryRelayAndOneCommandRollsItBack) {
  for (auto& lab : labs_) ASSERT_EQ(Verdict(*lab), agent::ProbeVerdict::kRelayAccepted);
  int rc = -1;
  std::string out = Ctl({"rollout", "start", "no-open-relay", "--label", "site=lab", "--waves",
                         "1,100%", "--wait", "--json", "--reason", "CHG-1042 close open relays"},
                        &rc);
  ASSERT_EQ(rc, 0) << out << controller_->Log();
  EXPECT_THAT(out, HasSubstr("\"status\":\"ROLLOUT_STATUS_SUCCEEDED\""));
  EXPECT_THAT(out, HasSubstr("\"reason\":\"CHG-1042 close open relays\""));
  for (auto& lab : labs_) EXPECT_EQ(Verdict(*lab), agent::ProbeVerdict::kRefused);
  EXPECT_THAT(Ctl({"hosts"}), HasSubstr("no-open-relay v1"));

  std::string id = out.substr(out.find("\"id\":\"") + 6, 8);
  // One command; it returns when every agent has restored, reloaded and verified.
  out = Ctl({"rollback", "--rollout", id, "--json", "--reason", "INC-77 partner mail bounced"},
            &rc);
  ASSERT_EQ(rc, 0) << out << controller_->Log();
  EXPECT_EQ(CountOf(out, "\"status\":\"ROLLBACK_STATUS_RESTORED\""), 3u) << out;
  for (auto& lab : labs_) EXPECT_EQ(Verdict(*lab), agent::ProbeVerdict::kRelayAccepted);
  EXPECT_THAT(Ctl({"rollout", "status", id}),
              HasSubstr("started by insecure-operator: CHG-1042 close open relays"));
  // The audit log shows each action's operator and reason on its line.
  std::string audit = Ctl({"audit"});
  EXPECT_THAT(audit, HasSubstr("REASON"));
  std::vector<std::string> lines = absl::StrSplit(audit, '\n');
  auto line_with = [&](const std::string& action) {
    for (const std::string& line : lines) {
      if (line.find(action) != std::string::npos) return line;
    }
    return std::string();
  };
  std::string start_line = line_with(" rollout start ");
  EXPECT_THAT(start_line, HasSubstr("insecure-operator")) << audit;
  EXPECT_THAT(start_line, HasSubstr("CHG-1042 close open relays")) << audit;
  std::string rollback_line = line_with(" rollback ");
  EXPECT_THAT(rollback_line, HasSubstr("insecure-operator")) << audit;
  EXPECT_THAT(rollback_line, HasSubstr("rollout " + id)) << audit;
  EXPECT_THAT(rollback_line, HasSubstr("INC-77 partner mail bounced")) << audit;
  std::string json = Ctl({"audit", "--json"});
  EXPECT_THAT(json, HasSubstr("\"reason\":\"INC-77 partner mail bounced\"")) << json;
  EXPECT_THAT(json, HasSubstr("\"reason\":\"CHG-1042 close open relays\"")) << json;

  // A reason of two lines is refused by the controller; nothing is rolled back or audited.
  out = Ctl({"rollback", "--rollout", id, "--reason", "first\nsecond"}, &rc);
  EXPECT_NE(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("reason contains a newline (character 6)")) << out;
  EXPECT_EQ(Ctl({"audit", "--json"}), json);
}

TEST_F(FleetTest, ControllerKilledMidRolloutContinuesFromTheStore) {
  int rc = -1;
  std::string out = Ctl({"rollout", "start", "no-open-relay", "--hosts", "mx1,mx2,mx3",
                         "--waves", "1,100%", "--pause-between-waves", "--wait"},
                        &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("no-open-relay v1  paused"));
  EXPECT_EQ(Verdict(*labs_[0]), agent::ProbeVerdict::kRefused);
  EXPECT_EQ(Verdict(*labs_[1]), agent::ProbeVerdict::kRelayAccepted);

  controller_->Kill();  // SIGKILL between waves
  StartController();
  ASSERT_TRUE(WaitFor([&] { return AllOnline(); }, std::chrono::seconds(40))) << Ctl({"hosts"});
  out = Ctl({"rollout", "resume", "r-000001", "--wait"}, &rc);
  ASSERT_EQ(rc, 0) << out << controller_->Log();
  EXPECT_THAT(out, HasSubstr("no-open-relay v1  succeeded"));
  for (auto& lab : labs_) EXPECT_EQ(Verdict(*lab), agent::ProbeVerdict::kRefused);
  // Nothing repeated: mx1 applied once (backup + result), not again after the restart.
  std::string history;
  RunCommand({"/usr/bin/git", "-C", labs_[0]->state_dir() + "/backup", "log", "--oneline"},
             &history);
  EXPECT_EQ(std::count(history.begin(), history.end(), '\n'), 2) << history;
}

// Killed while a push is in flight (mx2's reload waits until the test creates its gate file):
// the restarted controller re-sends that push with the same nonce, the agent finds the policy
// already holds, and nothing is applied twice.
TEST_F(FleetTest, ControllerKilledWhileAPushIsInFlightRepeatsNothing) {
  const std::string reload_gate = labs_[1]->dir() + "/reload-gate";
  agents_[1]->Kill();
  StartAgent(1, SourcePath("tests/data/apply/slow-reload"));
  ASSERT_TRUE(WaitFor([&] { return AllOnline(); }, std::chrono::seconds(30))) << Ctl({"hosts"});
  int rc = -1;
  std::string out = Ctl({"rollout", "start", "no-open-relay", "--hosts", "mx1,mx2,mx3",
                         "--waves", "100%"},
                        &rc);
  ASSERT_EQ(rc, 0) << out;
  ASSERT_TRUE(WaitFor([&] {
    std::string status = Ctl({"rollout", "status", "r-000001"});
    return CountOf(status, " succeeded ") == 2 && status.find("mx2                      pushed") !=
                                                    std::string::npos;
  }, std::chrono::seconds(30))) << Ctl({"rollout", "status", "r-000001"});
  controller_->Kill();  // mx2 is still reloading
  StartController();
  ::relayguard::testing::WriteFileOrDie(reload_gate, "");  // mx2's reload goes on
  EXPECT_TRUE(WaitFor([&] { return Ctl({"rollout", "status", "r-000001"})
                                       .find("no-open-relay v1  succeeded") != std::string::npos; },
                      std::chrono::seconds(60)))
      << Ctl({"rollout", "status", "r-000001"}) << controller_->Log() << agents_[1]->Log();
  for (auto& lab : labs_) EXPECT_EQ(Verdict(*lab), agent::ProbeVerdict::kRefused);
  for (auto& lab : labs_) {
    std::string history;
    RunCommand({"/usr/bin/git", "-C", lab->state_dir() + "/backup", "log", "--oneline"},
               &history);
    EXPECT_EQ(std::count(history.begin(), history.end(), '\n'), 2)
        << lab->dir() << ": one apply (backup + result), nothing repeated\n" << history;
  }
  EXPECT_EQ(labs_[1]->ReloadCount(), 1);
}

// The agent is SIGKILLed mid-apply (files activated, not yet reloaded or verified): at its next
// start it restores the backup from its journal, reconnects, gets the push again and applies it.
TEST_F(FleetTest, AgentKilledMidApplyRecoversAndFinishesTheRollout) {
  std::string before = ReadFileOrDie(labs_[0]->main_cf());
  agents_[0]->Kill();
  StartAgent(0, "/usr/sbin", "after-activate");
  ASSERT_TRUE(WaitFor([&] { return AllOnline(); }, std::chrono::seconds(30))) << Ctl({"hosts"});
  int rc = -1;
  std::string out = Ctl({"rollout", "start", "no-open-relay", "--hosts", "mx1", "--waves", "100%"},
                        &rc);
  ASSERT_EQ(rc, 0) << out;
  ASSERT_TRUE(WaitFor([&] { return agents_[0]->Log().find("paused at after-activate") !=
                                   std::string::npos; },
                      std::chrono::seconds(30)))
      << agents_[0]->Log();
  agents_[0]->Kill();
  ASSERT_NE(ReadFileOrDie(labs_[0]->main_cf()), before) << "killed after the files changed";
  StartAgent(0, "/usr/sbin");
  EXPECT_TRUE(WaitFor([&] { return Ctl({"rollout", "status", "r-000001"})
                                       .find("no-open-relay v1  succeeded") != std::string::npos; },
                      std::chrono::seconds(60)))
      << Ctl({"rollout", "status", "r-000001"}) << agents_[0]->Log() << controller_->Log();
  EXPECT_EQ(Verdict(*labs_[0]), agent::ProbeVerdict::kRefused);
  std::string history;
  RunCommand({"/usr/bin/git", "-C", labs_[0]->state_dir() + "/backup", "log", "--format=%s"},
             &history);
  EXPECT_THAT(history, HasSubstr("Recover")) << history;
}

// The agent is SIGKILLed in the middle of an operator's rollback (files restored, not yet
// reloaded or verified): at its next start it puts back what its journal says, reconnects, and
// the controller sends the same rollback again, with its nonce; the operator, still waiting, is
// told "restored", and the relay is open again as it was before the rollout.
TEST_F(FleetTest, AgentKilledMidRollbackGetsItAgainWhenItReconnects) {
  const std::string before = ReadFileOrDie(labs_[0]->main_cf());
  int rc = -1;
  std::string out = Ctl({"rollout", "start", "no-open-relay", "--hosts", "mx1", "--wait"}, &rc);
  ASSERT_EQ(rc, 0) << out << controller_->Log();
  agents_[0]->Kill();
  StartAgent(0, "/usr/sbin", "after-activate");
  ASSERT_TRUE(WaitFor([&] { return AllOnline(); }, std::chrono::seconds(30))) << Ctl({"hosts"});
  int rollback_rc = -1;
  std::string rollback_out;
  std::thread rollback([&] { rollback_out = Ctl({"rollback", "--host", "mx1"}, &rollback_rc); });
  const bool paused = WaitFor(
      [&] { return agents_[0]->Log().find("paused at after-activate") != std::string::npos; },
      std::chrono::seconds(30));
  const std::string paused_log = agents_[0]->Log();
  agents_[0]->Kill();
  StartAgent(0, "/usr/sbin");
  rollback.join();
  ASSERT_TRUE(paused) << paused_log;
  EXPECT_EQ(rollback_rc, 0) << rollback_out << controller_->Log();
  EXPECT_THAT(rollback_out, HasSubstr("mx1                      restored"));
  EXPECT_THAT(controller_->Log(), HasSubstr("sent again"));
  EXPECT_EQ(ReadFileOrDie(labs_[0]->main_cf()), before);
  EXPECT_EQ(Verdict(*labs_[0]), agent::ProbeVerdict::kRelayAccepted);
  std::string history;
  RunCommand({"/usr/bin/git", "-C", labs_[0]->state_dir() + "/backup", "log", "--format=%s"},
             &history);
  EXPECT_THAT(history, HasSubstr("Recover")) << history;
}

TEST_F(FleetTest, FailingHostHaltsTheRolloutAndTheOthersRollBack) {
  agents_[1]->Kill();
  StartAgent(1, SourcePath("tests/data/apply/failing-reload"));  // mx2's reload fails
  int rc = -1;
  std::string out = Ctl({"rollout", "start", "no-open-relay", "--hosts", "mx1,mx2,mx3",
                         "--waves", "100%", "--budget", "0", "--rollback-on-halt", "--wait"},
                        &rc);
  EXPECT_EQ(rc, 3) << out << controller_->Log();
  EXPECT_THAT(out, HasSubstr("halted"));
  EXPECT_THAT(out, HasSubstr("reload"));
  for (auto& lab : labs_) {
    EXPECT_TRUE(WaitFor([&] { return Verdict(*lab) == agent::ProbeVerdict::kRelayAccepted; },
                        std::chrono::seconds(30)))
        << lab->dir();
  }
}

TEST_F(FleetTest, AgentOfflineDuringTheRolloutGetsItOnReconnect) {
  agents_[2]->Kill();
  ASSERT_TRUE(WaitFor([&] { return Ctl({"hosts"}).find("offline") != std::string::npos; },
                      std::chrono::seconds(20)));
  int rc = -1;
  std::string out = Ctl({"rollout", "start", "no-open-relay", "--hosts", "mx1,mx2,mx3",
                         "--waves", "100%", "--offline-deadline", "120"},
                        &rc);
  ASSERT_EQ(rc, 0) << out;
  ASSERT_TRUE(WaitFor([&] { return Verdict(*labs_[1]) == agent::ProbeVerdict::kRefused; },
                      std::chrono::seconds(30)));
  EXPECT_EQ(Verdict(*labs_[2]), agent::ProbeVerdict::kRelayAccepted);
  EXPECT_THAT(Ctl({"rollout", "status", "r-000001"}), HasSubstr("running"));
  StartAgent(2, "/usr/sbin");
  EXPECT_TRUE(WaitFor([&] { return Ctl({"rollout", "status", "r-000001"})
                                       .find("no-open-relay v1  succeeded") != std::string::npos; },
                      std::chrono::seconds(40)))
      << Ctl({"rollout", "status", "r-000001"});
  EXPECT_EQ(Verdict(*labs_[2]), agent::ProbeVerdict::kRefused)
      << Ctl({"rollout", "status", "r-000001"}) << agents_[2]->Log() << controller_->Log();
}

TEST_F(FleetTest, AHostOfflinePastTheDeadlineCountsAsFailed) {
  agents_[2]->Kill();
  ASSERT_TRUE(WaitFor([&] { return Ctl({"hosts"}).find("offline") != std::string::npos; },
                      std::chrono::seconds(20)));
  int rc = -1;
  std::string out = Ctl({"rollout", "start", "no-open-relay", "--hosts", "mx1,mx2,mx3",
                         "--waves", "100%", "--budget", "0", "--offline-deadline", "3", "--wait"},
                        &rc);
  EXPECT_EQ(rc, 3) << out << controller_->Log();
  EXPECT_THAT(out, HasSubstr("halted: wave 1: 1 host failed, budget 0"));
  EXPECT_THAT(out, HasSubstr("offline past the deadline (3 s)"));
  // The halt does not recall the pushes in flight: mx1 and mx2 still apply, and their answers
  // are recorded after the halt.
  EXPECT_TRUE(WaitFor(
      [&] { return CountOf(Ctl({"rollout", "status", "r-000001"}), " succeeded ") == 2; },
      std::chrono::seconds(60)))
      << Ctl({"rollout", "status", "r-000001"}) << controller_->Log();
  EXPECT_EQ(Verdict(*labs_[0]), agent::ProbeVerdict::kRefused) << "online hosts still applied";
  EXPECT_EQ(Verdict(*labs_[2]), agent::ProbeVerdict::kRelayAccepted);
}

TEST_F(FleetTest, RollbackOneHostByNameAndReadItsHistory) {
  int rc = -1;
  std::string out = Ctl({"rollout", "start", "no-open-relay", "--label", "site=lab", "--wait"},
                        &rc);
  ASSERT_EQ(rc, 0) << out;
  out = Ctl({"rollback", "--host", "mx2"}, &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("mx2                      restored   previous"));
  EXPECT_THAT(out, HasSubstr("rollback: 1 hosts: 1 restored"));
  EXPECT_EQ(Verdict(*labs_[1]), agent::ProbeVerdict::kRelayAccepted);
  EXPECT_EQ(Verdict(*labs_[0]), agent::ProbeVerdict::kRefused);
  std::string history = Ctl({"history", "mx2", "--json"});
  EXPECT_THAT(history, HasSubstr("\"outcome\":\"OUTCOME_RESTORED\""));
  EXPECT_THAT(history, HasSubstr("\"rollout_id\":\"r-000001\",\"outcome\":\"OUTCOME_APPLIED\""));
  EXPECT_TRUE(WaitFor([&] { return Ctl({"history", "mx2"}).find("applied") != std::string::npos &&
                                   Ctl({"hosts"}).find("mx2                      online   "
                                                       "postfix 3.7.11     -") != std::string::npos; },
                      std::chrono::seconds(10)))
      << Ctl({"history", "mx2"}) << Ctl({"hosts"});
  out = Ctl({"rollback", "--host", "mx9"}, &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_THAT(out, HasSubstr("unknown host \"mx9\""));
}

// Rolling back an older rollout restores the commit from before it, not merely the one before
// the host's newest apply; hosts the rollout did not change are skipped.
TEST_F(FleetTest, RollbackOfAnOlderRolloutRestoresTheCommitFromBeforeIt) {
  std::string before = ReadFileOrDie(labs_[0]->main_cf());
  int rc = -1;
  std::string out = Ctl({"rollout", "start", "no-open-relay", "--hosts", "mx1,mx2", "--wait"}, &rc);
  ASSERT_EQ(rc, 0) << out;
  out = Ctl({"rollout", "start", "mail-host", "--hosts", "mx1", "--wait"}, &rc);
  ASSERT_EQ(rc, 0) << out << controller_->Log();
  ASSERT_NE(ReadFileOrDie(labs_[0]->main_cf()), before);
  out = Ctl({"rollback", "--rollout", "r-000001", "--host", "mx1"}, &rc);
  ASSERT_EQ(rc, 0) << out << controller_->Log();
  EXPECT_THAT(out, HasSubstr("mx1                      restored"));
  EXPECT_THAT(out, Not(HasSubstr("mx2 ")));
  EXPECT_EQ(ReadFileOrDie(labs_[0]->main_cf()), before) << "not back to before r-000001";
  EXPECT_EQ(Verdict(*labs_[0]), agent::ProbeVerdict::kRelayAccepted);
  EXPECT_EQ(Verdict(*labs_[1]), agent::ProbeVerdict::kRefused) << "mx2 was not asked";
  // r-000002's own rollback still works afterwards: back to what r-000002 found on mx1.
  out = Ctl({"rollback", "--rollout", "r-000002"}, &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(Verdict(*labs_[0]), agent::ProbeVerdict::kRefused);
  // mx3 was never a target of r-000001.
  out = Ctl({"rollback", "--rollout", "r-000001", "--host", "mx3"}, &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("host \"mx3\" is not a target of rollout r-000001"));
  out = Ctl({"rollback", "--rollout", "r-000009"}, &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("no rollout \"r-000009\""));
  EXPECT_THAT(Ctl({"audit", "--json"}), HasSubstr("\"action\":\"rollback\",\"target\":\"rollout r-000001\""));
}

TEST_F(FleetTest, PlanShowsEveryHostsDiffAndChangesNothing) {
  std::string before = ReadFileOrDie(labs_[0]->main_cf());
  int rc = -1;
  std::string out = Ctl({"plan", "no-open-relay", "--label", "site=lab"}, &rc);
  ASSERT_EQ(rc, 0) << out << controller_->Log();
  EXPECT_THAT(out, HasSubstr("mx1"));
  EXPECT_THAT(out, HasSubstr("would-change"));
  EXPECT_THAT(out, HasSubstr("+mynetworks = 127.0.0.1/32, [::1]/128"));
  EXPECT_THAT(out, HasSubstr("fleet: 3 hosts: 3 would-change"));
  EXPECT_EQ(ReadFileOrDie(labs_[0]->main_cf()), before);
  for (auto& lab : labs_) EXPECT_EQ(Verdict(*lab), agent::ProbeVerdict::kRelayAccepted);
}

TEST_F(FleetTest, MalformedOperatorRequestsGetClearErrors) {
  int rc = -1;
  std::string out = Ctl({"rollout", "start", "no-such-policy", "--hosts", "mx1"}, &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_THAT(out, HasSubstr("no playbook named \"no-such-policy\""));
  out = Ctl({"rollout", "start", "no-open-relay", "--hosts", "mx9"}, &rc);
  EXPECT_THAT(out, HasSubstr("unknown host \"mx9\""));
  out = Ctl({"rollout", "start", "no-open-relay", "--hosts", "mx1", "--waves", "0%"}, &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_THAT(out, HasSubstr("percent must be 1..100"));
  out = Ctl({"rollout", "start", "no-open-relay"}, &rc);
  EXPECT_THAT(out, HasSubstr("needs targets"));
  out = Ctl({"rollout", "pause", "r-999999"}, &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_THAT(out, HasSubstr("r-999999"));
}

}  // namespace
}  // namespace relayguard::controller
