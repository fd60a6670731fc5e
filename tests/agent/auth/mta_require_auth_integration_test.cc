// require_auth end to end on a real Exim (light build, Exim's own plaintext authenticator over a
// crypt password file) and a real Sendmail (Cyrus SASL, sasldb2): the relayguard-agent binary
// applies a require-auth policy and proves it (untrusted refused without AUTH, bogus AUTH
// refused, the smoke credential relays), `rollback` restores every byte; a missing backend is
// refused in preflight with nothing changed and mail still flowing; a backend that is gone after
// activation fails the verification and the change is rolled back. The secret never shows in
// the agent's output or backup history. Postfix + Dovecot: postfix_require_auth_integration_test.
// Runs in tests/support/mta_sandbox.sh (private /etc; Cyrus SASL tools overlaid on /usr).
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
#include "tests/support/mta_lab.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/relay_checks.h"
#include "tests/support/auth_checks.h"
#include "tests/support/sasl_lab.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::EximLab;
using ::relayguard::testing::kSmokeUser;
using ::relayguard::testing::LabTempDir;
using ::relayguard::testing::MakeEximPasswordFile;
using ::relayguard::testing::MakeSasldb;
using ::relayguard::testing::ManagedFiles;
using ::relayguard::testing::PausingAgentArgv;
using ::relayguard::testing::RandomPassword;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::SendmailLab;
using ::relayguard::testing::WriteFileOrDie;
using ::relayguard::testing::WriteSmokeCredentialFile;
using ::testing::HasSubstr;

// What differs per MTA: the backend and how the lab's backend file is made.
struct EximPasswordFile {
  static constexpr const char* kBackend = "password-file";
  static void Make(const std::string& path, const std::string& password) {
    MakeEximPasswordFile(path, kSmokeUser, password);
  }
};
struct SendmailSasldb {
  static constexpr const char* kBackend = "sasldb";
  static void Make(const std::string& path, const std::string& password) {
    const std::string user = kSmokeUser;
    MakeSasldb(path, user.substr(0, user.find('@')), user.substr(user.find('@') + 1), password);
  }
};

template <typename Lab, typename Backend>
struct Setup {
  using LabType = Lab;
  using BackendType = Backend;
};

template <typename S>
class MtaRequireAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_.Start();
    password_ = RandomPassword();
    backend_file_ = dir_.path() + "/backend-" + S::BackendType::kBackend;
    S::BackendType::Make(backend_file_, password_);
    credential_ = WriteSmokeCredentialFile(dir_.path(), kSmokeUser, password_);
    policy_ = dir_.path() + "/require-auth-lab.yaml";
    WriteFileOrDie(policy_, absl::StrCat(
        "name: require-auth-lab\nversion: 1\n"
        "relay:\n  trusted_networks: [127.0.0.1/32]\n  require_auth: true\n"
        "auth:\n  backend: ", S::BackendType::kBackend, "\n  path: ", backend_file_, "\n",
        "  mechanisms: [PLAIN, LOGIN]\n",
        // The lab instances have no certificate: AUTH on plaintext (TLS-only: the Postfix test
        // and the drivers' own integration tests).
        "  tls_only: false\n",
        "  smoke_credential: ", credential_, "\n",
        "probe:\n  untrusted_source: 127.0.0.9\n  trusted_source: 127.0.0.1\n"));
    before_ = ManagedFiles(lab_);
    // Sendmail's libsasl configuration: created by the apply when missing, removed by rollback.
    if (std::filesystem::exists(kSaslConf)) before_[kSaslConf] = ReadFileOrDie(kSaslConf);
  }
  static constexpr const char* kSaslConf = "/etc/sasl2/Sendmail.conf";

  int Agent(const std::vector<std::string>& args, std::string* out) {
    int rc = lab_.Agent(args, out);
    ExpectNoSecret(*out);
    return rc;
  }
  void ExpectNoSecret(const std::string& text) {
    ::relayguard::testing::ExpectNoSecret(text, kSmokeUser, password_);
  }
  void ExpectFilesUntouched() {
    std::map<std::string, std::string> now = ManagedFiles(lab_);
    if (std::filesystem::exists(kSaslConf)) now[kSaslConf] = ReadFileOrDie(kSaslConf);
    EXPECT_TRUE(now == before_) << "files changed";
  }
  AuthProbeReport AuthFromUntrusted() {
    return ::relayguard::testing::AuthFromUntrusted(lab_.port(), kSmokeUser, password_);
  }
  std::string BackupHistoryText() {
    std::string out;
    RunCommand({"/usr/bin/git", "-C", lab_.state_dir() + "/backup", "log", "-p", "--all"}, &out);
    return out;
  }

  typename S::LabType lab_;
  LabTempDir dir_;
  std::string password_;
  std::string backend_file_;
  std::string credential_;
  std::string policy_;
  std::map<std::string, std::string> before_;
};

using Setups = ::testing::Types<Setup<EximLab, EximPasswordFile>, Setup<SendmailLab, SendmailSasldb>>;
class SetupNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<typename T::LabType, EximLab> ? "EximPasswordFile" : "SendmailSasldb";
  }
};
TYPED_TEST_SUITE(MtaRequireAuthTest, Setups, SetupNames);

TYPED_TEST(MtaRequireAuthTest, AppliedWithAWorkingBackendItIsProvenAndRolledBackByteForByte) {
  std::string out;
  int rc = this->Agent({"--log-level", "debug", "apply", "--policy", this->policy_}, &out);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("APPLIED"));
  EXPECT_THAT(out, HasSubstr("SASL backend:"));

  AuthProbeReport auth = this->AuthFromUntrusted();
  ASSERT_FALSE(auth.inconclusive) << auth.error;
  EXPECT_THAT(auth.mechanisms_plain, ::testing::Contains("PLAIN"));
  ASSERT_TRUE(auth.smoke.has_value());
  EXPECT_TRUE(auth.smoke->authenticated);
  EXPECT_TRUE(auth.smoke->relayed);
  ASSERT_EQ(auth.bogus.size(), 2u);
  for (const AuthAttempt& a : auth.bogus) {
    EXPECT_FALSE(a.authenticated) << a.name;
    EXPECT_FALSE(a.relayed) << a.name;
  }
  EXPECT_EQ(::relayguard::testing::ProbeFrom(this->lab_.port(), "127.0.0.9").verdict,
            ProbeVerdict::kRefused);

  rc = this->Agent({"check", "--policy", this->policy_}, &out);
  EXPECT_EQ(rc, 0) << out;

  rc = this->Agent({"rollback"}, &out);
  ASSERT_EQ(rc, 0) << out;
  this->ExpectFilesUntouched();
  this->ExpectNoSecret(this->BackupHistoryText());
}

TYPED_TEST(MtaRequireAuthTest, MissingBackendIsRefusedInPreflightAndNothingChanges) {
  std::filesystem::remove(this->backend_file_);
  std::string out;
  int rc = this->Agent({"apply", "--policy", this->policy_}, &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr(this->backend_file_));
  EXPECT_THAT(out, HasSubstr("nothing was changed"));
  this->ExpectFilesUntouched();
  EXPECT_EQ(::relayguard::testing::ProbeFrom(this->lab_.port(), "127.0.0.1").verdict,
            ProbeVerdict::kRelayAccepted)
      << "mail still flows";
}

TYPED_TEST(MtaRequireAuthTest, BackendGoneAfterActivationIsRolledBack) {
  std::string text;
  int rc = ::relayguard::testing::RunPausedAfterActivation(
      this->lab_.AgentArgv({"apply", "--policy", this->policy_}),
      this->dir_.path() + "/paused-agent.log",
      [this] { std::filesystem::remove(this->backend_file_); },  // gone before the reload
      &text);
  this->ExpectNoSecret(text);
  EXPECT_EQ(rc, 3) << text;
  this->ExpectFilesUntouched();
}

}  // namespace
}  // namespace relayguard::agent
