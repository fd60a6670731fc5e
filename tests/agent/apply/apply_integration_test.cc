// The apply transaction end to end: the real relayguard-agent binary against real, sandboxed
// Postfix instances on loopback, probed with the real SMTP client from 127.0.0.9 / 127.0.0.1.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/backup/git_backup_store.h"
#include "agent/probe/relay_probe.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/relay_checks.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::PausingAgentArgv;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::RcptReply;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::SourcePath;
using ::relayguard::testing::WriteFileOrDie;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kPolicy = SourcePath("tests/data/apply/close.yaml");

ProbeReport ProbeFrom(const PostfixLab& lab, const std::string& source) {
  return ::relayguard::testing::ProbeFrom(lab.port(), source, std::chrono::milliseconds(3000));
}

std::vector<CommitInfo> History(const PostfixLab& lab) {
  return ::relayguard::testing::BackupHistory(lab.state_dir());
}

class ApplyIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_.Start();
    original_main_ = ReadFileOrDie(lab_.main_cf());
    original_master_ = ReadFileOrDie(lab_.master_cf());
  }
  void ExpectFilesUntouched() {
    EXPECT_EQ(ReadFileOrDie(lab_.main_cf()), original_main_);
    EXPECT_EQ(ReadFileOrDie(lab_.master_cf()), original_master_);
  }
  PostfixLab lab_{"0.0.0.0/0"};
  std::string original_main_, original_master_;
};

TEST_F(ApplyIntegrationTest, ClosesOpenRelayAndTrustedSenderStillRelays) {
  ProbeReport before = ProbeFrom(lab_, "127.0.0.9");
  ASSERT_EQ(before.verdict, ProbeVerdict::kRelayAccepted) << RcptReply(before);

  std::string out;
  int rc = lab_.Agent({"apply", "--policy", kPolicy}, &out);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("APPLIED policy close-lab-relay v1"));

  ProbeReport untrusted = ProbeFrom(lab_, "127.0.0.9");
  EXPECT_EQ(untrusted.verdict, ProbeVerdict::kRefused);
  EXPECT_THAT(RcptReply(untrusted), HasSubstr("554 5.7.1"));
  EXPECT_THAT(RcptReply(untrusted), HasSubstr("Relay access denied"));
  ProbeReport trusted = ProbeFrom(lab_, "127.0.0.1");
  EXPECT_EQ(trusted.verdict, ProbeVerdict::kRelayAccepted) << RcptReply(trusted);

  std::string main_cf = ReadFileOrDie(lab_.main_cf());
  EXPECT_THAT(main_cf, HasSubstr("mynetworks = 127.0.0.1/32, [::1]/128"));
  EXPECT_THAT(main_cf, HasSubstr("reject_unauth_destination"));
  EXPECT_EQ(ReadFileOrDie(lab_.master_cf()), original_master_);

  std::vector<CommitInfo> history = History(lab_);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].trailers["Outcome"], "applied");
  EXPECT_EQ(history[0].trailers["Policy"], "close-lab-relay");
  EXPECT_EQ(history[0].trailers["Version"], "1");
  EXPECT_EQ(history[1].trailers["Phase"], "before");
  // The backup holds the original bytes, readable with plain git too.
  std::string shown;
  ASSERT_EQ(RunCommand({"/usr/bin/git", "-C", lab_.state_dir() + "/backup", "show",
                        history[1].id + ":" + lab_.main_cf().substr(1)},
                       &shown),
            0)
      << shown;
  EXPECT_EQ(shown, original_main_);
}

TEST_F(ApplyIntegrationTest, SecondApplyChangesNothingAndReloadsNothing) {
  std::string out;
  ASSERT_EQ(lab_.Agent({"apply", "--policy", kPolicy}, &out), 0) << out;
  std::string after_first = ReadFileOrDie(lab_.main_cf());
  auto mtime = std::filesystem::last_write_time(lab_.main_cf());
  int reloads = lab_.ReloadCount();
  EXPECT_EQ(reloads, 1);

  ASSERT_EQ(lab_.Agent({"apply", "--policy", kPolicy, "--json"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("\"outcome\":\"unchanged\""));
  EXPECT_THAT(out, HasSubstr("\"reloaded\":false"));
  EXPECT_EQ(ReadFileOrDie(lab_.main_cf()), after_first);
  EXPECT_EQ(std::filesystem::last_write_time(lab_.main_cf()), mtime);
  EXPECT_EQ(lab_.ReloadCount(), reloads);
  EXPECT_EQ(History(lab_).size(), 2u);
}

TEST_F(ApplyIntegrationTest, DryRunPrintsDiffAndTouchesNothing) {
  std::string out;
  ASSERT_EQ(lab_.Agent({"apply", "--policy", kPolicy, "--dry-run"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("DRY RUN"));
  EXPECT_THAT(out, HasSubstr("-mynetworks = 0.0.0.0/0"));
  EXPECT_THAT(out, HasSubstr("+mynetworks = 127.0.0.1/32, [::1]/128"));
  ExpectFilesUntouched();
  EXPECT_EQ(lab_.ReloadCount(), 0);
  EXPECT_TRUE(History(lab_).empty());
  EXPECT_EQ(ProbeFrom(lab_, "127.0.0.9").verdict, ProbeVerdict::kRelayAccepted);
}

TEST_F(ApplyIntegrationTest, VerifyFailureRestoresEveryByteAndNamesThePhase) {
  // relay_domains names the probe's recipient domain: Postfix relays to it for anyone, which no
  // relay rule relayguard edits decides. The change validates and reloads, but the untrusted
  // probe still relays, so verification must fail and restore.
  std::string main_cf = original_main_ + "relay_domains = example.net\n";
  WriteFileOrDie(lab_.main_cf(), main_cf);
  original_main_ = main_cf;
  std::string out;
  ASSERT_EQ(RunCommand({"/usr/sbin/postfix", "-c", lab_.config_dir(), "reload"}, &out), 0) << out;

  int rc = lab_.Agent({"apply", "--policy", kPolicy}, &out);
  EXPECT_EQ(rc, 3) << out;
  EXPECT_THAT(out, HasSubstr("ROLLED BACK"));
  EXPECT_THAT(out, HasSubstr("phase verify failed"));
  EXPECT_THAT(out, HasSubstr("still not refused"));
  ExpectFilesUntouched();
  EXPECT_EQ(ProbeFrom(lab_, "127.0.0.9").verdict, ProbeVerdict::kRelayAccepted);
  std::vector<CommitInfo> history = History(lab_);
  ASSERT_FALSE(history.empty());
  EXPECT_EQ(history[0].trailers["Outcome"], "rolled-back");
  EXPECT_EQ(history[0].trailers["FailedPhase"], "verify");
  EXPECT_FALSE(std::filesystem::exists(lab_.state_dir() + "/journal"));
}

TEST_F(ApplyIntegrationTest, ReloadFailureRestoresEveryByte) {
  std::string out;
  int rc = lab_.Agent({"--mta-bin-dir", SourcePath("tests/data/apply/failing-reload"), "apply",
                       "--policy", kPolicy},
                      &out);
  EXPECT_EQ(rc, 3) << out;
  EXPECT_THAT(out, HasSubstr("phase reload failed"));
  EXPECT_THAT(out, HasSubstr("simulated reload failure"));
  ExpectFilesUntouched();
  EXPECT_EQ(ProbeFrom(lab_, "127.0.0.9").verdict, ProbeVerdict::kRelayAccepted);
  EXPECT_EQ(History(lab_)[0].trailers["FailedPhase"], "reload");
}

// Starts the agent paused at `point`, SIGKILLs it there, and returns what it printed.
std::string KillAgentAt(const PostfixLab& lab, const std::string& point) {
  std::string log = lab.dir() + "/agent-" + point + ".log";
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<std::string> argv =
        PausingAgentArgv(lab.AgentArgv({"apply", "--policy", kPolicy}), point);
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  std::string text;
  for (int i = 0; i < 300 && text.find("paused at " + point) == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    text = ReadFileOrDie(log);
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status));
  return text;
}

class KilledAgentTest : public ApplyIntegrationTest,
                        public ::testing::WithParamInterface<std::string> {};

TEST_P(KilledAgentTest, NextStartRestoresTheBackup) {
  std::string text = KillAgentAt(lab_, GetParam());
  ASSERT_THAT(text, HasSubstr("paused at " + GetParam())) << text;
  // Killed after activation: the live file is the new one and a journal says so.
  EXPECT_NE(ReadFileOrDie(lab_.main_cf()), original_main_);
  ASSERT_TRUE(std::filesystem::exists(lab_.state_dir() + "/journal"));

  std::string out;
  int rc = lab_.Agent({"status"}, &out);
  EXPECT_THAT(out, HasSubstr("RECOVERED")) << out;
  EXPECT_EQ(rc, 4) << out;  // the relay is open again, as before the apply
  ExpectFilesUntouched();
  EXPECT_FALSE(std::filesystem::exists(lab_.state_dir() + "/journal"));
  EXPECT_EQ(ProbeFrom(lab_, "127.0.0.9").verdict, ProbeVerdict::kRelayAccepted);
  std::vector<CommitInfo> history = History(lab_);
  ASSERT_FALSE(history.empty());
  EXPECT_EQ(history[0].trailers["Action"], "recovery");
  EXPECT_EQ(history[0].trailers["InterruptedPhase"],
            GetParam() == "after-activate" ? "activate" : "reload");
}

INSTANTIATE_TEST_SUITE_P(Phases, KilledAgentTest,
                         ::testing::Values("after-activate", "after-reload"),
                         [](const auto& info) {
                           return info.param == "after-activate" ? "AfterActivation"
                                                                 : "AfterReload";
                         });

// relayguard-agent has no fault points: the variable that once paused it does nothing now (only
// the test binary relayguard-agent-pausing can pause, and only when told on its command line).
TEST_F(ApplyIntegrationTest, ProductionAgentIgnoresThePauseVariable) {
  const auto start = std::chrono::steady_clock::now();
  std::string out;
  int rc = lab_.Agent({"apply", "--policy", kPolicy}, &out,
                      {"RELAYGUARD_TEST_PAUSE_AT=after-activate"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, Not(HasSubstr("paused")));
  // A paused agent would sleep 120 s before going on.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  EXPECT_EQ(ProbeFrom(lab_, "127.0.0.9").verdict, ProbeVerdict::kRefused);
}

TEST_F(ApplyIntegrationTest, RollbackRestoresTheOpenRelayAndRecordsIt) {
  std::string out;
  ASSERT_EQ(lab_.Agent({"apply", "--policy", kPolicy}, &out), 0) << out;
  ASSERT_EQ(ProbeFrom(lab_, "127.0.0.9").verdict, ProbeVerdict::kRefused);
  ASSERT_EQ(lab_.Agent({"rollback"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("ROLLED BACK to"));
  ExpectFilesUntouched();
  // Old smtpd processes may answer for a moment after the reload.
  ProbeVerdict verdict = ProbeVerdict::kRefused;
  for (int i = 0; i < 30 && verdict != ProbeVerdict::kRelayAccepted; ++i) {
    verdict = ProbeFrom(lab_, "127.0.0.9").verdict;
    if (verdict != ProbeVerdict::kRelayAccepted) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  EXPECT_EQ(verdict, ProbeVerdict::kRelayAccepted);
  EXPECT_EQ(History(lab_)[0].trailers["Outcome"], "restored");

  ASSERT_EQ(lab_.Agent({"history"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("Rolled back to"));
  EXPECT_THAT(out, HasSubstr("Applied policy close-lab-relay v1"));
  std::string applied = History(lab_)[2].id;
  ASSERT_EQ(lab_.Agent({"diff", applied.substr(0, 8)}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("+mynetworks = 127.0.0.1/32, [::1]/128"));
}

TEST_F(ApplyIntegrationTest, StatusReportsComplianceWithPolicy) {
  std::string out;
  EXPECT_EQ(lab_.Agent({"status", "--policy", kPolicy}, &out), 4) << out;
  EXPECT_THAT(out, HasSubstr("NOT COMPLIANT"));
  EXPECT_THAT(out, HasSubstr("mynetworks is \"0.0.0.0/0\""));
  ASSERT_EQ(lab_.Agent({"apply", "--policy", kPolicy}, &out), 0) << out;
  EXPECT_EQ(lab_.Agent({"status", "--policy", kPolicy, "--json"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("\"compliant\":true"));
  EXPECT_THAT(out, HasSubstr("\"verdict\":\"refused\""));
}

// Bad input: a clear error that says what and where, exit 2, nothing touched.
struct BadInput {
  std::string name;
  std::vector<std::string> args;
  std::string message;
};

class BadInputTest : public ApplyIntegrationTest,
                     public ::testing::WithParamInterface<BadInput> {};

TEST_P(BadInputTest, ClearErrorAndNothingTouched) {
  std::vector<std::string> args = GetParam().args;
  for (std::string& a : args) {
    if (a.rfind("DATA/", 0) == 0) a = SourcePath("tests/data/apply/" + a.substr(5));
  }
  std::string out;
  EXPECT_EQ(lab_.Agent(args, &out), 2) << out;
  EXPECT_THAT(out, HasSubstr(GetParam().message));
  EXPECT_THAT(out, HasSubstr("nothing was changed"));
  ExpectFilesUntouched();
  EXPECT_EQ(lab_.ReloadCount(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadInputTest,
    ::testing::Values(
        BadInput{"MalformedYaml", {"apply", "--policy", "DATA/malformed.yaml"}, "malformed.yaml:"},
        BadInput{"CidrOutOfRange",
                 {"apply", "--policy", "DATA/bad-cidr.yaml"},
                 "bad-cidr.yaml:6:7: relay.trusted_networks[1]"},
        BadInput{"NewlineInjection",
                 {"apply", "--policy", "DATA/injection.yaml"},
                 "injection.yaml:7:7: relay.relay_domains[0]"},
        BadInput{"MissingPolicyFile", {"apply", "--policy", "DATA/nope.yaml"}, "nope.yaml"},
        BadInput{"UnknownRollbackTarget", {"rollback", "--to", "deadbeef"}, "deadbeef"}),
    [](const auto& info) { return info.param.name; });

TEST_F(ApplyIntegrationTest, MissingMainCfIsAClearError) {
  std::filesystem::rename(lab_.main_cf(), lab_.main_cf() + ".away");
  std::string out;
  EXPECT_EQ(lab_.Agent({"apply", "--policy", kPolicy}, &out), 2) << out;
  EXPECT_THAT(out, HasSubstr(lab_.main_cf()));
  EXPECT_THAT(out, HasSubstr("nothing was changed"));
  std::filesystem::rename(lab_.main_cf() + ".away", lab_.main_cf());
  ExpectFilesUntouched();
}

TEST_F(ApplyIntegrationTest, ReadOnlyConfigDirIsAClearError) {
  // A read-only bind mount in a private mount namespace (root ignores mode bits).
  std::string cmd = "mount --bind -o ro '" + lab_.config_dir() + "' '" + lab_.config_dir() +
                    "' && exec \"$@\"";
  std::vector<std::string> argv = {"/usr/bin/unshare", "-m", "/bin/sh", "-c", cmd, "sh"};
  for (const std::string& a : lab_.AgentArgv({"apply", "--policy", kPolicy})) argv.push_back(a);
  std::string out;
  EXPECT_EQ(RunCommand(argv, &out), 2) << out;
  EXPECT_THAT(out, HasSubstr("not writable"));
  EXPECT_THAT(out, HasSubstr(lab_.config_dir()));
  EXPECT_THAT(out, HasSubstr("nothing was changed"));
  ExpectFilesUntouched();
  EXPECT_EQ(lab_.ReloadCount(), 0);
}

TEST_F(ApplyIntegrationTest, StoppedPostfixIsRefusedBecauseNothingCouldBeVerified) {
  lab_.Stop();
  std::string out;
  EXPECT_EQ(lab_.Agent({"apply", "--policy", kPolicy}, &out), 2) << out;
  EXPECT_THAT(out, HasSubstr("postfix is not running"));
  EXPECT_THAT(out, HasSubstr("nothing was changed"));
  ExpectFilesUntouched();
  EXPECT_TRUE(History(lab_).empty());
}

TEST_F(ApplyIntegrationTest, PolicyValidationErrorsComeBeforeAnyMtaWork) {
  std::string out;
  EXPECT_EQ(lab_.Agent({"apply", "--policy", kPolicy, "--mta", "qmail"}, &out), 1) << out;
  EXPECT_THAT(out, HasSubstr("--mta qmail is not one of auto, postfix, exim, sendmail"));
  EXPECT_FALSE(std::filesystem::exists(lab_.state_dir()));
}

}  // namespace
}  // namespace relayguard::agent
