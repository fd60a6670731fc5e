// The apply transaction end to end on real Exim and real Sendmail: the relayguard-agent binary
// against sandboxed instances on loopback (tests/support/mta_sandbox.sh gives the private /etc
// they need), probed with the real SMTP client from 127.0.0.9 (untrusted) and 127.0.0.1.
// Every scenario runs against both MTAs (typed tests).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/backup/git_backup_store.h"
#include "agent/probe/relay_probe.h"
#include "tests/support/mta_lab.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/relay_checks.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::EximDebianLab;
using ::relayguard::testing::EximLab;
using ::relayguard::testing::AgentBinary;
using ::relayguard::testing::PausingAgentArgv;
using ::relayguard::testing::MtaLab;
using ::relayguard::testing::MtaRoot;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::RcptReply;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::SendmailLab;
using ::relayguard::testing::SourcePath;
using ::relayguard::testing::WriteFileOrDie;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kPolicy = SourcePath("tests/data/apply/close.yaml");

ProbeReport ProbeFrom(const MtaLab& lab, const std::string& source) {
  return ::relayguard::testing::ProbeFrom(lab.port(), source);
}

ProbeVerdict VerdictFrom(const MtaLab& lab, const std::string& source, ProbeVerdict want) {
  return ::relayguard::testing::VerdictFrom(lab.port(), source, want);
}

std::vector<CommitInfo> History(const MtaLab& lab) {
  return ::relayguard::testing::BackupHistory(lab.state_dir());
}

std::map<std::string, std::string> Snapshot(const MtaLab& lab) {
  return ::relayguard::testing::ManagedFiles(lab);
}

template <typename Lab>
class MtaApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_.Start();
    original_ = Snapshot(lab_);
  }
  void ExpectFilesUntouched() {
    for (const auto& [path, contents] : original_) {
      EXPECT_EQ(ReadFileOrDie(path), contents) << path << " changed";
    }
  }
  Lab lab_;
  std::map<std::string, std::string> original_;
};

using Labs = ::testing::Types<EximLab, EximDebianLab, SendmailLab>;
class LabNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    if (std::is_same_v<T, EximLab>) return "Exim";
    if (std::is_same_v<T, EximDebianLab>) return "EximDebianSplit";
    return "Sendmail";
  }
};
TYPED_TEST_SUITE(MtaApplyTest, Labs, LabNames);

TYPED_TEST(MtaApplyTest, ClosesTheOpenRelayVerifiedFromAnUntrustedAddress) {
  ProbeReport before = ProbeFrom(this->lab_, "127.0.0.9");
  ASSERT_EQ(before.verdict, ProbeVerdict::kRelayAccepted) << RcptReply(before);

  std::string out;
  int rc = this->lab_.Agent({"apply", "--policy", kPolicy}, &out);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("APPLIED policy close-lab-relay v1"));
  ProbeReport after = ProbeFrom(this->lab_, "127.0.0.9");
  EXPECT_EQ(after.verdict, ProbeVerdict::kRefused) << RcptReply(after);
  EXPECT_THAT(RcptReply(after), ::testing::StartsWith("5"));
  EXPECT_EQ(ProbeFrom(this->lab_, "127.0.0.1").verdict, ProbeVerdict::kRelayAccepted)
      << "the trusted network must still relay";
  std::vector<CommitInfo> history = History(this->lab_);
  ASSERT_GE(history.size(), 2u);
  EXPECT_THAT(history.back().message, HasSubstr("Backup before applying"));

  // Applying again changes nothing and reloads nothing.
  std::map<std::string, std::string> applied = Snapshot(this->lab_);
  rc = this->lab_.Agent({"--json", "apply", "--policy", kPolicy}, &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"outcome\":\"unchanged\""));
  EXPECT_THAT(out, HasSubstr("\"reloaded\":false"));
  EXPECT_EQ(Snapshot(this->lab_), applied);
  EXPECT_EQ(History(this->lab_).size(), history.size());

  // One command restores the files byte for byte, and the relay is open again.
  rc = this->lab_.Agent({"rollback", "--policy", kPolicy}, &out);
  ASSERT_EQ(rc, 0) << out;
  this->ExpectFilesUntouched();
  EXPECT_EQ(VerdictFrom(this->lab_, "127.0.0.9", ProbeVerdict::kRelayAccepted),
            ProbeVerdict::kRelayAccepted);
}

TYPED_TEST(MtaApplyTest, StatusReportsTheOpenRelayAndDriftThenCompliance) {
  std::string out;
  int rc = this->lab_.Agent({"status", "--policy", kPolicy}, &out);
  EXPECT_EQ(rc, 4) << out;
  EXPECT_THAT(out, HasSubstr("RELAY-ACCEPTED"));
  rc = this->lab_.Agent({"apply", "--policy", kPolicy}, &out);
  ASSERT_EQ(rc, 0) << out;
  rc = this->lab_.Agent({"status", "--policy", kPolicy}, &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("COMPLIANT"));
}

// The daemon runs from a copy of the configuration, so the reload does not take: verification
// fails, every file is restored byte for byte and the report names the phase.
TYPED_TEST(MtaApplyTest, AReloadThatDoesNotTakeFailsVerificationAndRestoresEveryByte) {
  this->lab_.Stop();
  const std::string copy = this->lab_.dir() + "/running-copy.conf";
  const std::string live = this->lab_.daemon_config();
  WriteFileOrDie(copy, ReadFileOrDie(live));
  chmod(copy.c_str(), 0644);
  this->lab_.Start(copy);
  std::string out;
  int rc = this->lab_.Agent({"--json", "apply", "--policy", kPolicy}, &out);
  EXPECT_EQ(rc, 3) << out;
  EXPECT_THAT(out, HasSubstr("\"outcome\":\"rolled-back\""));
  EXPECT_THAT(out, HasSubstr("verify"));
  this->ExpectFilesUntouched();
  EXPECT_TRUE(this->lab_.Running());
  EXPECT_EQ(ProbeFrom(this->lab_, "127.0.0.9").verdict, ProbeVerdict::kRelayAccepted)
      << "as it was before";
  EXPECT_THAT(History(this->lab_).front().message, HasSubstr("Rolled back"));
}

TYPED_TEST(MtaApplyTest, KilledAfterActivationIsRecoveredAtTheNextStart) {
  pid_t pid = fork();
  const std::string log = this->lab_.dir() + "/killed-agent.log";
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<std::string> argv =
        PausingAgentArgv(this->lab_.AgentArgv({"apply", "--policy", kPolicy}), "after-activate");
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  std::string text;
  for (int i = 0; i < 300 && text.find("paused at after-activate") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    text = ReadFileOrDie(log);
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  ASSERT_THAT(text, HasSubstr("paused at after-activate"));
  EXPECT_NE(Snapshot(this->lab_), this->original_) << "killed after the files changed";

  std::string out;
  int rc = this->lab_.Agent({"history"}, &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("RECOVERED"));
  this->ExpectFilesUntouched();
  EXPECT_EQ(VerdictFrom(this->lab_, "127.0.0.9", ProbeVerdict::kRelayAccepted),
            ProbeVerdict::kRelayAccepted);
}

TYPED_TEST(MtaApplyTest, BadInputGetsAClearErrorAndTouchesNothing) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"apply", "--policy", SourcePath("tests/data/apply/malformed.yaml")}, "invalid YAML"},
      {{"apply", "--policy", SourcePath("tests/data/apply/bad-cidr.yaml")}, "prefix length 33"},
      {{"apply", "--policy", SourcePath("tests/data/apply/injection.yaml")}, "line break"},
      {{"apply", "--policy", "/nonexistent/policy.yaml"}, "/nonexistent/policy.yaml"},
  };
  for (const Case& c : cases) {
    std::string out;
    int rc = this->lab_.Agent(c.args, &out);
    EXPECT_EQ(rc, 2) << out;
    EXPECT_THAT(out, HasSubstr(c.message)) << out;
    EXPECT_THAT(out, HasSubstr("nothing was changed")) << out;
  }
  this->ExpectFilesUntouched();
  // The MTA is not running: refused before anything is written.
  this->lab_.Stop();
  std::string out;
  int rc = this->lab_.Agent({"apply", "--policy", kPolicy}, &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("not running"));
  this->ExpectFilesUntouched();
}

TEST(MtaApplyConfigTest, AnEximConfigTheCheckerRejectsIsRefusedWithItsMessage) {
  EximLab lab;
  lab.Start();
  // An option Exim does not know: exim -bV fails, nothing is written.
  std::string text = ReadFileOrDie(lab.config_file());
  text.insert(text.find("acl_smtp_rcpt"), "no_such_option = 1\n");
  WriteFileOrDie(lab.config_file(), text);
  std::string out;
  int rc = lab.Agent({"apply", "--policy", kPolicy}, &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("Exim configuration error in line 25 of " + lab.config_file()));
  EXPECT_THAT(out, HasSubstr("\"no_such_option\" unknown"));
  EXPECT_THAT(out, HasSubstr("nothing was changed"));
  EXPECT_EQ(ReadFileOrDie(lab.config_file()), text);
}

// A policy whose smoke-test address would lose relaying: each MTA's own check of the staged
// configuration (exim -bh, sendmail -bt check_rcpt) refuses it before anything is activated.
TYPED_TEST(MtaApplyTest, TheStagedCheckRefusesAPolicyThatWouldBlockTheTrustedSender) {
  std::string out;
  int rc = this->lab_.Agent(
      {"apply", "--policy", SourcePath("tests/data/apply/trusted-elsewhere.yaml")}, &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("phase validate"));
  EXPECT_THAT(out, HasSubstr("staged"));
  EXPECT_THAT(out, HasSubstr("127.0.0.2"));
  EXPECT_THAT(out, HasSubstr("could no longer relay"));
  EXPECT_THAT(out, HasSubstr("nothing was changed"));
  this->ExpectFilesUntouched();
  EXPECT_EQ(ProbeFrom(this->lab_, "127.0.0.9").verdict, ProbeVerdict::kRelayAccepted);
}

// --mta auto (the default) on the real binaries: the installed MTA is found by its binary and
// configuration; none found is a clear error naming what was looked at.
TEST(MtaApplyConfigTest, AutoDetectionFindsTheInstalledMtaOrSaysWhatItLookedFor) {
  EximLab exim;
  exim.Start();
  std::string out;
  int rc = RunCommand({AgentBinary(), "--mta-config-dir", exim.config_dir(), "--mta-bin-dir",
                       MtaRoot() + "/usr/sbin", "--state-dir", exim.state_dir(), "status"},
                      &out);
  EXPECT_EQ(rc, 4) << out;  // an open relay: not compliant
  EXPECT_THAT(out, HasSubstr("exim 4.96 (" + exim.config_dir() + ")"));
  SendmailLab sendmail;
  sendmail.Start();
  rc = RunCommand({AgentBinary(), "--mta-config-dir", sendmail.config_dir(), "--mta-bin-dir",
                   MtaRoot() + "/usr/libexec/sendmail", "--sendmail-cf-dir",
                   MtaRoot() + "/usr/share/sendmail/cf", "--state-dir", sendmail.state_dir(),
                   "status"},
                  &out);
  EXPECT_EQ(rc, 4) << out;
  EXPECT_THAT(out, HasSubstr("sendmail 8."));
  char tmpl[] = "/tmp/rg-nomta.XXXXXX";
  const std::string empty = mkdtemp(tmpl);
  rc = RunCommand({AgentBinary(), "--mta-config-dir", empty, "--mta-bin-dir", empty,
                   "--state-dir", empty + "/state", "status"},
                  &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("no MTA found; looked for postfix (" + empty + "/postconf"));
  EXPECT_THAT(out, HasSubstr("give --mta"));
  std::filesystem::remove_all(empty);
}

TEST(MtaApplyConfigTest, AMissingConfigurationFileIsAClearError) {
  char tmpl[] = "/tmp/rg-missing.XXXXXX";
  const std::string state = mkdtemp(tmpl);
  for (const std::string mta : {"exim", "sendmail"}) {
    std::string out;
    int rc = RunCommand({AgentBinary(), "--mta", mta, "--mta-config-dir", "/nonexistent/" + mta,
                         "--mta-bin-dir", MtaRoot() + "/usr/sbin", "--state-dir", state,
                         "apply", "--policy", kPolicy},
                        &out);
    EXPECT_EQ(rc, 2) << out;
    EXPECT_THAT(out, HasSubstr("/nonexistent/" + mta)) << out;
    EXPECT_THAT(out, HasSubstr("nothing was changed")) << out;
  }
  std::filesystem::remove_all(state);
}

}  // namespace
}  // namespace relayguard::agent
