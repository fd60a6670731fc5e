// Scheduled compliance end to end: a real relayguard-controller, a real agent
// (`relayguard-agent run`) on a real Postfix, real gRPC on loopback, driven with relayguardctl.
// A hand edit re-opens the relay (postconf -e mynetworks=0.0.0.0/0 and postfix reload); the
// agent's next scheduled check ("@every 2s") catches it. Plaintext (--insecure) on 127.0.0.1
// with ports chosen at run time.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/probe/relay_probe.h"
#include "tests/support/ctl.h"
#include "tests/support/daemon.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/relay_checks.h"
#include "tests/support/wait.h"

namespace relayguard {
namespace {

using ::relayguard::testing::CountOf;
using ::relayguard::testing::Daemon;
using ::relayguard::testing::FreeLoopbackPort;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::SourcePath;
using ::relayguard::testing::WaitFor;
using ::relayguard::testing::WriteFileOrDie;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kBin = RG_BINARY_DIR;

// The relay verdict from the untrusted address 127.0.0.9.
agent::ProbeVerdict Verdict(const PostfixLab& lab) {
  return ::relayguard::testing::ProbeFrom(lab.port(), "127.0.0.9").verdict;
}

// A playbook that closes the relay, checked every 2 s in `mode`, with `extra` compliance lines.
std::string Playbook(const std::string& name, const std::string& mode,
                     const std::string& extra = "") {
  return "name: " + name + "\nversion: 1\nrelay:\n  trusted_networks: [127.0.0.1/32]\n"
         "probe:\n  untrusted_source: 127.0.0.9\n  trusted_source: 127.0.0.1\n"
         "  settle_timeout_ms: 15000\n"
         "compliance:\n  schedule: \"@every 2s\"\n  mode: " + mode + "\n" + extra;
}

// A maintenance window that is certainly not now: all of a day three days from today (UTC).
std::string WindowNotToday() {
  static const char* kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  return std::string("  maintenance_windows: [\"") + kDays[(utc.tm_wday + 3) % 7] +
         " 00:00-24:00\"]\n";
}

class ComplianceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_ = std::make_unique<PostfixLab>("0.0.0.0/0");
    lab_->Start();
    playbooks_ = lab_->dir() + "/playbooks";
    std::filesystem::create_directories(playbooks_);
    WriteFileOrDie(playbooks_ + "/audit.yaml", Playbook("closed-audit", "audit"));
    WriteFileOrDie(playbooks_ + "/enforce.yaml", Playbook("closed-enforce", "enforce"));
    WriteFileOrDie(playbooks_ + "/window.yaml",
                   Playbook("closed-window", "enforce", WindowNotToday()));
    port_ = FreeLoopbackPort();
    StartController();
    StartAgent("/usr/sbin");
    ASSERT_TRUE(WaitFor([&] { return Ctl({"hosts"}).find(" online ") != std::string::npos; },
                        std::chrono::seconds(30)))
        << Ctl({"hosts"}) << controller_->Log();
  }
  void StartAgent(const std::string& bin_dir) {
    agent_ = std::make_unique<Daemon>(
        lab_->AgentArgv({"--mta-bin-dir", bin_dir, "--log-level", "info", "run", "--controller",
                         "127.0.0.1:" + std::to_string(port_), "--host", "mx1", "--insecure",
                         "--heartbeat-s", "1"}),
        lab_->dir() + "/agent.log");
  }
  void StartController() {
    controller_ = std::make_unique<Daemon>(
        std::vector<std::string>{kBin + "/controller/relayguard-controller", "--insecure",
                                 "--listen", "127.0.0.1:" + std::to_string(port_), "--playbooks",
                                 playbooks_, "--state-dir", lab_->dir() + "/controller",
                                 "--agent-timeout-s", "5"},
        lab_->dir() + "/controller.log");
  }
  std::string Ctl(const std::vector<std::string>& args, int* rc = nullptr) {
    return ::relayguard::testing::RunCtl(port_, args, rc);
  }
  std::string Logs() {
    return "\n--- controller:\n" + controller_->Log() + "\n--- agent:\n" + agent_->Log();
  }
  // Rolls `policy` out to mx1 (closing the relay) and waits for a compliant check.
  void RollOut(const std::string& policy) {
    int rc = -1;
    std::string out = Ctl({"rollout", "start", policy, "--hosts", "mx1", "--wait"}, &rc);
    ASSERT_EQ(rc, 0) << out << Logs();
    ASSERT_EQ(Verdict(*lab_), agent::ProbeVerdict::kRefused);
    ASSERT_TRUE(WaitFor(
        [&] {
          return HostJson().find("\"status\":\"COMPLIANCE_STATUS_COMPLIANT\"") != std::string::npos;
        },
        std::chrono::seconds(20)))
        << Ctl({"compliance"}) << Logs();
  }
  std::string HostJson() { return Ctl({"compliance", "--host", "mx1", "--json"}); }
  // Re-opens the relay by hand, as an admin (or a package upgrade) would. In enforce mode the
  // agent may close it again at any moment after, so only `stays_open` waits to see it open.
  void HandEditReopensTheRelay(bool stays_open = true) {
    std::string out;
    ASSERT_EQ(RunCommand({"/usr/sbin/postconf", "-c", lab_->config_dir(), "-e",
                          "mynetworks = 0.0.0.0/0"},
                         &out),
              0)
        << out;
    // In enforce mode the agent's check may come between the edit and this reload and restart
    // Postfix under it ("the Postfix mail system is not running"): only audit insists.
    const int reload = RunCommand({"/usr/sbin/postfix", "-c", lab_->config_dir(), "reload"}, &out);
    if (!stays_open) return;
    ASSERT_EQ(reload, 0) << out << "\n--- maillog:\n"
                         << ReadFileOrDie(lab_->dir() + "/maillog") << Logs();
    ASSERT_THAT(ReadFileOrDie(lab_->main_cf()), HasSubstr("mynetworks = 0.0.0.0/0"));
    ASSERT_TRUE(WaitFor([&] { return Verdict(*lab_) == agent::ProbeVerdict::kRelayAccepted; },
                        std::chrono::seconds(10)));
  }
  std::string Git(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/git", "-C", lab_->state_dir() + "/backup"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string out;
    EXPECT_EQ(RunCommand(argv, &out, {}, nullptr, /*keep_stderr=*/false), 0) << out;
    return out;
  }

  std::unique_ptr<PostfixLab> lab_;
  std::string playbooks_;
  std::unique_ptr<Daemon> controller_;
  std::unique_ptr<Daemon> agent_;
  int port_ = 0;
};

TEST_F(ComplianceTest, AuditCatchesAHandEditThatReopensTheRelayAndLeavesItAsItIs) {
  RollOut("closed-audit");
  HandEditReopensTheRelay();
  ASSERT_TRUE(WaitFor(
      [&] {
        return HostJson().find("\"status\":\"COMPLIANCE_STATUS_RELAY_OPEN\"") != std::string::npos;
      },
      std::chrono::seconds(20)))
      << HostJson() << Logs();
  std::string json = HostJson();
  EXPECT_THAT(json, HasSubstr("+mynetworks = 0.0.0.0/0")) << json;  // the diff of main.cf
  EXPECT_THAT(json, HasSubstr(lab_->main_cf()));
  EXPECT_THAT(json, HasSubstr("\"setting\":\"mynetworks\"")) << json;
  EXPECT_THAT(json, HasSubstr("\"mode\":\"COMPLIANCE_MODE_AUDIT\""));
  EXPECT_THAT(json, Not(HasSubstr("\"enforcement\":\"ENFORCEMENT_APPLIED\"")));
  // Audit changes nothing: still open, still the hand-edited file, seconds later.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(Verdict(*lab_), agent::ProbeVerdict::kRelayAccepted);
  EXPECT_THAT(ReadFileOrDie(lab_->main_cf()), HasSubstr("mynetworks = 0.0.0.0/0"));
  int rc = -1;
  std::string table = Ctl({"compliance"}, &rc);
  EXPECT_EQ(rc, 4) << table;
  EXPECT_THAT(table, HasSubstr("relay-open"));
  EXPECT_THAT(table, HasSubstr("0/1 hosts compliant")) << table;
  std::string csv = Ctl({"compliance", "--csv"});
  EXPECT_THAT(csv, HasSubstr("mx1,relay-open")) << csv;
  std::string history = Ctl({"compliance", "--history", "--host", "mx1"});
  EXPECT_THAT(history, HasSubstr("relay-open"));
  EXPECT_THAT(history, HasSubstr("compliant"));
}

TEST_F(ComplianceTest, EnforceClosesTheRelayAgainAndRecordsBothCommits) {
  RollOut("closed-enforce");
  const std::string before = Git({"rev-parse", "HEAD"});
  HandEditReopensTheRelay(/*stays_open=*/false);
  ASSERT_TRUE(WaitFor(
      [&] {
        return HostJson().find("\"enforcement\":\"ENFORCEMENT_APPLIED\"") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << HostJson() << Logs();
  EXPECT_EQ(Verdict(*lab_), agent::ProbeVerdict::kRefused);
  EXPECT_THAT(ReadFileOrDie(lab_->main_cf()), Not(HasSubstr("mynetworks = 0.0.0.0/0")));
  std::string json = HostJson();
  EXPECT_THAT(json, HasSubstr("\"status\":\"COMPLIANCE_STATUS_COMPLIANT\"")) << json;
  EXPECT_THAT(json, HasSubstr("+mynetworks = 0.0.0.0/0"));  // what was found, as evidence
  // Two new commits: the hand-edited files (backup), then the fixed ones (result).
  std::string log = Git({"log", "--format=%H %s", before.substr(0, 40) + "..HEAD"});
  EXPECT_EQ(CountOf(log, "\n"), 2u) << log;
  EXPECT_THAT(log, HasSubstr("Backup before applying policy closed-enforce v1"));
  const std::string backup = log.substr(log.find('\n') + 1, 40);
  const std::string path = lab_->main_cf().substr(1);
  EXPECT_THAT(Git({"show", backup + ":" + path}), HasSubstr("mynetworks = 0.0.0.0/0"));
  EXPECT_THAT(Git({"show", "HEAD:" + path}), Not(HasSubstr("mynetworks = 0.0.0.0/0")));
  EXPECT_THAT(json, HasSubstr(backup)) << json;  // the report names the backup commit
  EXPECT_THAT(Ctl({"audit"}), HasSubstr("enforce"));
}

TEST_F(ComplianceTest, EnforceOutsideTheMaintenanceWindowOnlyReports) {
  RollOut("closed-window");
  HandEditReopensTheRelay();
  // (A check between the edit and the reload sees only drifted settings; wait for the open relay.)
  ASSERT_TRUE(WaitFor([&] {
                std::string json = HostJson();
                return json.find("\"enforcement\":\"ENFORCEMENT_OUTSIDE_WINDOW\"") !=
                           std::string::npos &&
                       json.find("\"status\":\"COMPLIANCE_STATUS_RELAY_OPEN\"") !=
                           std::string::npos;
              },
              std::chrono::seconds(20)))
      << HostJson() << Logs();
  EXPECT_THAT(HostJson(), HasSubstr("\"next_window_at\":\"1"));
  EXPECT_EQ(Verdict(*lab_), agent::ProbeVerdict::kRelayAccepted);
  EXPECT_THAT(ReadFileOrDie(lab_->main_cf()), HasSubstr("mynetworks = 0.0.0.0/0"));
}

TEST_F(ComplianceTest, WithTheControllerDownTheAgentStillEnforcesAndReportsWhenItIsBack) {
  RollOut("closed-enforce");
  controller_->Kill();
  const int64_t stopped_at = std::time(nullptr);
  HandEditReopensTheRelay(/*stays_open=*/false);
  // Fixed with nobody to tell. (The relay may still look closed right after the edit, before
  // the reload takes: wait for the agent's enforcement, then probe.)
  ASSERT_TRUE(WaitFor([&] {
                return CountOf(ReadFileOrDie(lab_->dir() + "/agent.log"),
                               "(enforcement: applied)") > 0;
              },
              std::chrono::seconds(30)))
      << agent_->Log();
  EXPECT_EQ(Verdict(*lab_), agent::ProbeVerdict::kRefused);
  EXPECT_THAT(ReadFileOrDie(lab_->main_cf()), Not(HasSubstr("mynetworks = 0.0.0.0/0")));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  StartController();
  ASSERT_TRUE(WaitFor([&] { return Ctl({"hosts"}).find(" online ") != std::string::npos; },
                      std::chrono::seconds(40)))
      << Logs();
  // The checks made while it was down arrive: the enforcement among them.
  ASSERT_TRUE(WaitFor(
      [&] {
        return Ctl({"compliance", "--history", "--host", "mx1", "--json"})
                   .find("\"enforcement\":\"ENFORCEMENT_APPLIED\"") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << Ctl({"compliance", "--history", "--host", "mx1"}) << Logs();
  std::string history = Ctl({"compliance", "--history", "--host", "mx1", "--json"});
  // Its check time is from the outage, not from the delivery.
  size_t at = history.find("\"enforcement\":\"ENFORCEMENT_APPLIED\"");
  // A 64-bit integer is a JSON string in proto JSON: "checked_at":"1767323010".
  size_t checked = history.rfind("\"checked_at\":\"", at);
  ASSERT_NE(checked, std::string::npos) << history;
  const int64_t checked_at = std::stoll(history.substr(checked + 14));
  EXPECT_GE(checked_at, stopped_at);
  EXPECT_LT(checked_at, std::time(nullptr) - 1) << history;
  EXPECT_THAT(HostJson(), HasSubstr("\"status\":\"COMPLIANCE_STATUS_COMPLIANT\""));
}

// failure_budget 0: one host whose enforcement fails is one too many. Its transaction rolls
// back (the hand edit stays), the controller halts enforcement of that version and tells the
// agent, whose next checks only report ("held").
TEST_F(ComplianceTest, AFailedEnforcementOverTheBudgetHoldsEnforcement) {
  RollOut("closed-enforce");
  agent_->Kill();
  StartAgent(SourcePath("tests/data/apply/failing-reload"));  // `postfix reload` fails now
  ASSERT_TRUE(WaitFor([&] { return Ctl({"hosts"}).find(" online ") != std::string::npos; },
                      std::chrono::seconds(30)))
      << Logs();
  HandEditReopensTheRelay(/*stays_open=*/false);  // the real postfix; the agent's reload fails
  ASSERT_TRUE(WaitFor(
      [&] {
        return Ctl({"compliance", "--history", "--host", "mx1", "--json"})
                   .find("\"enforcement\":\"ENFORCEMENT_ROLLED_BACK\"") != std::string::npos;
      },
      std::chrono::seconds(40)))
      << Ctl({"compliance", "--history", "--host", "mx1"}) << Logs();
  ASSERT_TRUE(WaitFor(
      [&] { return HostJson().find("\"enforcement\":\"ENFORCEMENT_HELD\"") != std::string::npos; },
      std::chrono::seconds(20)))
      << HostJson() << Logs();
  EXPECT_THAT(ReadFileOrDie(lab_->dir() + "/agent.log"),
              HasSubstr("controller halted enforcement of closed-enforce v1"));
  std::string table = Ctl({"compliance"});
  EXPECT_THAT(table, HasSubstr("closed-enforce v1")) << table;
  EXPECT_THAT(table, HasSubstr("budget 0")) << table;
  EXPECT_THAT(HostJson(), HasSubstr("\"status\":\"COMPLIANCE_STATUS_RELAY_OPEN\""));
  // Rolled back to what it was before the attempt: the hand edit, relay open.
  EXPECT_EQ(Verdict(*lab_), agent::ProbeVerdict::kRelayAccepted);
  EXPECT_THAT(ReadFileOrDie(lab_->main_cf()), HasSubstr("mynetworks = 0.0.0.0/0"));
  EXPECT_THAT(Ctl({"audit"}), HasSubstr("enforce hold"));
}

TEST_F(ComplianceTest, ABadScheduleIsRefusedAtLoadWithFileLineAndField) {
  WriteFileOrDie(playbooks_ + "/bad.yaml",
                 "name: bad\nversion: 1\nrelay:\n  trusted_networks: [127.0.0.1/32]\n"
                 "compliance:\n  schedule: \"0 25 * * *\"\n");
  std::string out = Ctl({"playbooks", "reload"});
  EXPECT_THAT(out, HasSubstr(playbooks_ + "/bad.yaml:6:13: compliance.schedule: field 2 (hour)"))
      << out;
  EXPECT_THAT(Ctl({"rollout", "start", "bad", "--hosts", "mx1"}), Not(HasSubstr("r-0")));
  // The agent refuses it too, before touching anything.
  std::string agent_out;
  int rc = RunCommand({::relayguard::testing::AgentBinary(), "apply", "--policy", playbooks_ + "/bad.yaml",
                       "--state-dir", lab_->dir() + "/other-state"},
                      &agent_out);
  EXPECT_EQ(rc, 2) << agent_out;
  EXPECT_THAT(agent_out, HasSubstr("bad.yaml:6:13: compliance.schedule: field 2 (hour)"));
  EXPECT_THAT(agent_out, HasSubstr("nothing was changed"));
}

}  // namespace
}  // namespace relayguard
