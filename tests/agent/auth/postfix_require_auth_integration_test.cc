// require_auth end to end on a real Postfix with a real Dovecot auth server: the relayguard-agent
// binary applies the require-auth policy, proves it (untrusted refused, bogus AUTH refused, the
// smoke credential relays after STARTTLS), rolls back byte for byte; refuses in preflight, with
// nothing changed, when the backend is missing, unreadable or stopped; rolls back when the
// backend dies after activation; and `check` finds AUTH offered on plaintext against tls_only,
// which `apply` fixes. The secret never shows in the agent's output, log or backup history.
// Runs in tests/support/mta_sandbox.sh (Dovecot unpacked, private /etc).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "agent/auth/smtp_auth_probe.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/postfix_tls.h"
#include "tests/support/relay_checks.h"
#include "tests/support/auth_checks.h"
#include "tests/support/sasl_lab.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::AgentBinary;
using ::relayguard::testing::DovecotAuth;
using ::relayguard::testing::EnablePostfixStartTls;
using ::relayguard::testing::kSmokeUser;
using ::relayguard::testing::LabTempDir;
using ::relayguard::testing::PausingAgentArgv;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::RandomPassword;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::WriteFileOrDie;
using ::relayguard::testing::WriteSmokeCredentialFile;
using ::testing::HasSubstr;

class PostfixRequireAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_.Start();
    const std::string tls = EnablePostfixStartTls(lab_);
    ASSERT_EQ(tls, "");
    password_ = RandomPassword();
    dovecot_ = std::make_unique<DovecotAuth>(kSmokeUser, password_);
    dovecot_->Start();
    credential_ = WriteSmokeCredentialFile(dir_.path(), kSmokeUser, password_);
    policy_ = dir_.path() + "/require-auth-lab.yaml";
    WriteFileOrDie(policy_, absl::StrCat(
        "name: require-auth-lab\nversion: 1\n"
        "relay:\n  trusted_networks: [127.0.0.1/32]\n  require_auth: true\n"
        "auth:\n  backend: dovecot\n  path: ", dovecot_->socket_path(), "\n",
        "  mechanisms: [PLAIN, LOGIN]\n  tls_only: true\n",
        "  smoke_credential: ", credential_, "\n",
        "probe:\n  untrusted_source: 127.0.0.9\n  trusted_source: 127.0.0.1\n"));
    for (const std::string& f : {lab_.main_cf(), lab_.master_cf()}) before_[f] = ReadFileOrDie(f);
  }

  int Agent(const std::vector<std::string>& args, std::string* out) {
    int rc = lab_.Agent(args, out);
    ExpectNoSecret(*out);
    return rc;
  }
  void ExpectNoSecret(const std::string& text) {
    ::relayguard::testing::ExpectNoSecret(text, kSmokeUser, password_);
  }
  void ExpectFilesUntouched() {
    for (const auto& [path, text] : before_) EXPECT_EQ(ReadFileOrDie(path), text) << path;
  }
  // The smoke credential and bogus AUTH from the untrusted source, as a client sees them.
  AuthProbeReport AuthFromUntrusted() {
    return ::relayguard::testing::AuthFromUntrusted(lab_.port(), kSmokeUser, password_);
  }
  std::string BackupHistoryText() {
    std::string out;
    RunCommand({"/usr/bin/git", "-C", lab_.state_dir() + "/backup", "log", "-p", "--all"}, &out);
    return out;
  }

  PostfixLab lab_{"0.0.0.0/0"};
  LabTempDir dir_;
  std::string password_;
  std::unique_ptr<DovecotAuth> dovecot_;
  std::string credential_;
  std::string policy_;
  std::map<std::string, std::string> before_;
};

TEST_F(PostfixRequireAuthTest, AppliedWithAWorkingBackendItIsProvenAndRolledBackByteForByte) {
  std::string out;
  // Debug logging: the secret must not show at any level.
  int rc = Agent({"--log-level", "debug", "apply", "--policy", policy_}, &out);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("APPLIED"));
  EXPECT_THAT(out, HasSubstr("smtpd_sasl_auth_enable"));
  EXPECT_THAT(out, HasSubstr("SASL backend:"));

  // As a client sees it afterwards: no AUTH before STARTTLS, the smoke credential relays after
  // it, every bogus attempt is refused.
  AuthProbeReport auth = AuthFromUntrusted();
  ASSERT_FALSE(auth.inconclusive) << auth.error;
  EXPECT_TRUE(auth.mechanisms_plain.empty());
  EXPECT_THAT(auth.mechanisms_tls, ::testing::Contains("PLAIN"));
  ASSERT_TRUE(auth.smoke.has_value());
  EXPECT_TRUE(auth.smoke->authenticated);
  EXPECT_TRUE(auth.smoke->relayed);
  ASSERT_EQ(auth.bogus.size(), 2u);
  for (const AuthAttempt& a : auth.bogus) {
    EXPECT_FALSE(a.authenticated) << a.name;
    EXPECT_FALSE(a.relayed) << a.name;
  }
  // Without AUTH nobody relays, the trusted network included (require_auth).
  EXPECT_EQ(::relayguard::testing::ProbeFrom(lab_.port(), "127.0.0.9").verdict,
            ProbeVerdict::kRefused);
  EXPECT_EQ(::relayguard::testing::ProbeFrom(lab_.port(), "127.0.0.1").verdict,
            ProbeVerdict::kRefused);

  // --json carries every AUTH attempt, redacted.
  rc = Agent({"--json", "apply", "--policy", policy_}, &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"outcome\":\"unchanged\""));
  EXPECT_THAT(out, HasSubstr("\"auth\":{"));

  rc = Agent({"rollback"}, &out);
  ASSERT_EQ(rc, 0) << out;
  ExpectFilesUntouched();
  ExpectNoSecret(BackupHistoryText());
}

TEST_F(PostfixRequireAuthTest, MissingSocketIsRefusedInPreflightAndNothingChanges) {
  dovecot_->RemoveSocket();
  std::string out;
  int rc = Agent({"apply", "--policy", policy_}, &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr(dovecot_->socket_path()));
  EXPECT_THAT(out, HasSubstr("nothing was changed"));
  ExpectFilesUntouched();
  EXPECT_EQ(::relayguard::testing::ProbeFrom(lab_.port(), "127.0.0.1").verdict,
            ProbeVerdict::kRelayAccepted)
      << "mail still flows";
}

TEST_F(PostfixRequireAuthTest, SocketPostfixCannotOpenIsRefusedInPreflight) {
  dovecot_->MakeSocketInaccessible();
  std::string out;
  int rc = Agent({"apply", "--policy", policy_}, &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("postfix"));
  EXPECT_THAT(out, HasSubstr("nothing was changed"));
  ExpectFilesUntouched();
}

TEST_F(PostfixRequireAuthTest, StoppedDovecotIsRefusedInPreflight) {
  dovecot_->Stop();
  std::string out;
  int rc = Agent({"apply", "--policy", policy_}, &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("nothing was changed"));
  ExpectFilesUntouched();
  EXPECT_EQ(::relayguard::testing::ProbeFrom(lab_.port(), "127.0.0.1").verdict,
            ProbeVerdict::kRelayAccepted)
      << "mail still flows";
}

TEST_F(PostfixRequireAuthTest, BackendThatDiesAfterActivationIsRolledBack) {
  std::string text;
  int rc = ::relayguard::testing::RunPausedAfterActivation(
      lab_.AgentArgv({"apply", "--policy", policy_}), dir_.path() + "/paused-agent.log",
      [this] { dovecot_->Stop(); },  // the backend dies between the preflight and the reload
      &text);
  ExpectNoSecret(text);
  EXPECT_EQ(rc, 3) << text;
  EXPECT_THAT(text, HasSubstr("ROLLED BACK"));
  ExpectFilesUntouched();
}

TEST_F(PostfixRequireAuthTest, AuthOnPlaintextAgainstTlsOnlyIsFoundByCheckAndFixedByApply) {
  std::string out;
  ASSERT_EQ(Agent({"apply", "--policy", policy_}, &out), 0) << out;
  // An admin turns TLS-only off by hand: AUTH is now offered before STARTTLS.
  ASSERT_EQ(RunCommand({"/usr/sbin/postconf", "-c", lab_.config_dir(), "-e",
                        "smtpd_tls_auth_only = no"},
                       &out),
            0)
      << out;
  ASSERT_EQ(RunCommand({"/usr/sbin/postfix", "-c", lab_.config_dir(), "reload"}, &out), 0) << out;
  int rc = 0;
  for (int i = 0; i < 50; ++i) {  // until the reload takes
    rc = Agent({"check", "--policy", policy_}, &out);
    if (rc != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(rc, 4) << out;
  EXPECT_THAT(out, HasSubstr("smtpd_tls_auth_only"));
  rc = Agent({"apply", "--policy", policy_}, &out);
  EXPECT_EQ(rc, 0) << out;
  rc = Agent({"check", "--policy", policy_}, &out);
  EXPECT_EQ(rc, 0) << out;
}

// auth.listeners: [submission]. The MX port shares main.cf's rules, from which require_auth
// removes permit_mynetworks; it must stay a relay listener (no AUTH there, as the policy says)
// rather than read as a submission port that should offer AUTH, in verification and in `check`.
TEST_F(PostfixRequireAuthTest, AuthOnTheSubmissionPortOnlyLeavesTheMxPortWithoutAuth) {
  const int submission = ::relayguard::testing::FreeLoopbackPort();
  ASSERT_NE(submission, lab_.port());
  lab_.Stop();
  WriteFileOrDie(lab_.master_cf(),
                 ReadFileOrDie(lab_.master_cf()) + std::to_string(submission) +
                     " inet n - n - - smtpd\n  -o syslog_name=postfix/submission\n"
                     "  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n");
  lab_.Start();
  before_[lab_.master_cf()] = ReadFileOrDie(lab_.master_cf());
  std::string text = ReadFileOrDie(policy_);
  const std::string tls_line = "  tls_only: true\n";
  ASSERT_NE(text.find(tls_line), std::string::npos);
  text.insert(text.find(tls_line) + tls_line.size(), "  listeners: [submission]\n");
  WriteFileOrDie(policy_, text);

  std::string out;
  ASSERT_EQ(Agent({"apply", "--policy", policy_}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("APPLIED"));
  AuthProbeReport on_submission =
      ::relayguard::testing::AuthFromUntrusted(submission, kSmokeUser, password_);
  ASSERT_FALSE(on_submission.inconclusive) << on_submission.error;
  EXPECT_THAT(on_submission.mechanisms_tls, ::testing::Contains("PLAIN"));
  ASSERT_TRUE(on_submission.smoke.has_value());
  EXPECT_TRUE(on_submission.smoke->relayed);
  AuthProbeReport on_mx = AuthFromUntrusted();
  EXPECT_TRUE(on_mx.mechanisms_plain.empty());
  EXPECT_TRUE(on_mx.mechanisms_tls.empty());
  EXPECT_EQ(::relayguard::testing::ProbeFrom(lab_.port(), "127.0.0.1").verdict,
            ProbeVerdict::kRefused);
  // The next scheduled-style check agrees: compliant.
  EXPECT_EQ(Agent({"check", "--policy", policy_}, &out), 0) << out;

  ASSERT_EQ(Agent({"rollback"}, &out), 0) << out;
  ExpectFilesUntouched();
}

}  // namespace
}  // namespace relayguard::agent
