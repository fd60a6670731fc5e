// The SMTP AUTH half of the apply transaction (policy.auth) with a fake MTA and scripted AUTH
// answers: the preflight refuses before anything is written, the verification rolls back a
// host whose AUTH is broken or accepts anything, the smoke AUTH runs before any bogus attempt,
// and the secret never reaches a report. The real MTAs and SASL daemons are driven in
// tests/agent/auth/*_integration_test.cc and the MTA apply integration tests.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/apply/apply_transaction.h"
#include "agent/cli/report_output.h"
#include "absl/strings/escaping.h"
#include "tests/support/apply_fakes.h"
#include "tests/support/auth_checks.h"

namespace relayguard::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPassword[] = "Tr0ub4dor&3-smoke";

using ::relayguard::testing::HealthyAuth;
using ::relayguard::testing::ScriptedAttempt;

class ApplyAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-apply-auth.XXXXXX";
    root_ = mkdtemp(tmpl);
    std::filesystem::create_directories(root_ + "/etc");
    Write("a.cf", "open a\n");
    Write("b.cf", "open b\n");
    store_ = std::move(GitBackupStore::Open(root_ + "/state/backup")).value();
    driver_ = std::make_unique<FakeDriver>(root_ + "/etc");
    journal_ = std::make_unique<Journal>(fs_, root_ + "/state/journal");
    policy_.name = "p";
    policy_.version = 1;
    policy_.require_auth = true;
    policy_.probe.settle_timeout = std::chrono::milliseconds(1000);
    AuthSettings auth;
    auth.path = "/run/dovecot/auth-client";
    auth.smoke_credential = root_ + "/smoke";
    auth.smoke_credential_at = "p.yaml:12:21";
    policy_.auth = auth;
    WriteCredential(0600);
    checker_.auth_fn = HealthyAuth;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(fs_.WriteFileAtomic(root_ + "/etc/" + name, text,
                                    FileInfo{0640, getuid(), getgid(), true}).ok());
  }
  void WriteCredential(mode_t mode) {
    const std::string path = root_ + "/smoke";
    std::ofstream(path) << "smoke@lab.test:" << kPassword << "\n";
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
  }
  std::string Read(const std::string& name) { return *fs_.ReadFile(root_ + "/etc/" + name); }
  ApplyTransaction Transaction() {
    return ApplyTransaction(TransactionDeps{*driver_, fs_, *store_, *journal_, checker_, clock_,
                                            root_ + "/state/stage", faults_});
  }
  // Every text a report can reach an operator, the controller or a log through.
  std::string Everything(const TransactionReport& r) {
    return HumanTransaction(r) + JsonTransaction(r);
  }
  void ExpectNoSecret(const std::string& text) {
    ::relayguard::testing::ExpectNoSecret(text, "smoke@lab.test", kPassword);
  }

  std::string root_;
  RealFileSystem fs_;
  std::unique_ptr<FakeDriver> driver_;
  std::unique_ptr<GitBackupStore> store_;
  std::unique_ptr<Journal> journal_;
  ScriptedChecker checker_;
  FakeClock clock_;
  NoFaultPoints faults_;
  Policy policy_;
};

TEST_F(ApplyAuthTest, WorkingBackendIsCheckedFirstThenAuthIsProvenAfterTheChange) {
  TransactionReport r = Transaction().Apply(policy_, false);
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.error;
  EXPECT_EQ(driver_->commands,
            (std::vector<std::string>{"auth-preflight", "validate", "reload"}));
  EXPECT_EQ(driver_->preflight_user, "smoke@lab.test");
  EXPECT_EQ(r.auth_backend, "fake backend: PLAIN LOGIN");
  ASSERT_EQ(r.listeners.size(), 1u);
  ASSERT_TRUE(r.listeners[0].auth.has_value());
  ASSERT_TRUE(r.listeners[0].auth->smoke.has_value());
  EXPECT_TRUE(r.listeners[0].auth->smoke->relayed);
  EXPECT_EQ(r.listeners[0].auth->bogus.size(), 2u);
  EXPECT_THAT(HumanTransaction(r), HasSubstr("wrong-password: refused"));
  ExpectNoSecret(Everything(r));
}

TEST_F(ApplyAuthTest, BackendThatDoesNotAnswerIsRefusedBeforeAnythingIsWritten) {
  driver_->preflight_auth = absl::FailedPreconditionError(
      "cannot connect to /run/dovecot/auth-client: No such file or directory");
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kRefused);
  EXPECT_EQ(r.failed_phase, "auth-preflight");
  EXPECT_THAT(r.error, HasSubstr("/run/dovecot/auth-client: No such file or directory"));
  EXPECT_THAT(r.error, HasSubstr("nothing was changed"));
  EXPECT_EQ(Read("a.cf"), "open a\n");
  EXPECT_EQ(store_->History(10)->size(), 0u);
  EXPECT_EQ(driver_->commands, (std::vector<std::string>{"auth-preflight"}));
}

TEST_F(ApplyAuthTest, CredentialFileOthersCanReadIsRefused) {
  WriteCredential(0644);
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kRefused);
  EXPECT_EQ(r.failed_phase, "auth-preflight");
  EXPECT_THAT(r.error, HasSubstr("chmod 600"));
  EXPECT_THAT(r.error, HasSubstr("p.yaml:12:21"));
  EXPECT_EQ(Read("a.cf"), "open a\n");
  ExpectNoSecret(Everything(r));
}

TEST_F(ApplyAuthTest, AuthThatAcceptsAnythingIsRolledBack) {
  checker_.auth_fn = [](const SmtpEndpoint& e, const AuthProbeRequest& request) {
    AuthProbeReport r = HealthyAuth(e, request);
    for (AuthAttempt& a : r.bogus) a = ScriptedAttempt(a.name, true, true);
    return r;
  };
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kRolledBack);
  EXPECT_EQ(r.failed_phase, "verify");
  EXPECT_THAT(r.error, HasSubstr("SMTP AUTH"));
  EXPECT_EQ(Read("a.cf"), "open a\n");
  EXPECT_EQ(Read("b.cf"), "open b\n");
  ExpectNoSecret(Everything(r));
}

TEST_F(ApplyAuthTest, BackendThatDiesAfterActivationRollsBack) {
  checker_.auth_fn = [](const SmtpEndpoint& e, const AuthProbeRequest& request) {
    AuthProbeReport r = HealthyAuth(e, request);
    if (r.smoke) r.smoke = ScriptedAttempt("smoke-PLAIN", false, false);
    return r;
  };
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kRolledBack);
  EXPECT_EQ(r.failed_phase, "verify");
  EXPECT_EQ(Read("a.cf"), "open a\n");
}

TEST_F(ApplyAuthTest, AuthOnPlaintextWhileTlsOnlyRollsBack) {
  checker_.auth_fn = [](const SmtpEndpoint& e, const AuthProbeRequest& request) {
    AuthProbeReport r = HealthyAuth(e, request);
    r.mechanisms_plain = {"PLAIN", "LOGIN"};
    return r;
  };
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kRolledBack);
  EXPECT_EQ(Read("a.cf"), "open a\n");
}

TEST_F(ApplyAuthTest, EverySmokeAuthRunsBeforeAnyBogusAttempt) {
  driver_->listeners = {FakeDriver::MakeListener(2525),
                        FakeDriver::MakeListener(2587, ListenerRole::kSubmission)};
  std::vector<std::string> order;
  checker_.auth_fn = [&order](const SmtpEndpoint& e, const AuthProbeRequest& request) {
    order.push_back(absl::StrCat(e.port, request.run_smoke ? " smoke" : " bogus"));
    return HealthyAuth(e, request);
  };
  TransactionReport r = Transaction().Apply(policy_, false);
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.error;
  ASSERT_EQ(order.size(), 4u);
  EXPECT_EQ(order[0], "2525 smoke");
  EXPECT_EQ(order[1], "2587 smoke");
  EXPECT_THAT(order[2], HasSubstr("bogus"));
  EXPECT_THAT(order[3], HasSubstr("bogus"));
}

TEST_F(ApplyAuthTest, OnlyTheListenersThePolicySelectsAreAsked) {
  driver_->listeners = {FakeDriver::MakeListener(2525),
                        FakeDriver::MakeListener(2587, ListenerRole::kSubmission)};
  policy_.auth->listeners.relay = false;
  TransactionReport r = Transaction().Apply(policy_, false);
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.error;
  EXPECT_FALSE(r.listeners[0].auth.has_value());
  EXPECT_TRUE(r.listeners[1].auth.has_value());
}

TEST_F(ApplyAuthTest, DryRunTalksToNoBackend) {
  TransactionReport r = Transaction().Apply(policy_, true);
  EXPECT_EQ(r.outcome, Outcome::kDryRun);
  EXPECT_EQ(checker_.auth_probes, 0);
  EXPECT_TRUE(driver_->commands.empty());
}

TEST_F(ApplyAuthTest, UnchangedHostStillHasItsAuthProven) {
  driver_->policy_holds_as_is = true;
  checker_.auth_fn = [](const SmtpEndpoint& e, const AuthProbeRequest& request) {
    AuthProbeReport r = HealthyAuth(e, request);
    for (AuthAttempt& a : r.bogus) a = ScriptedAttempt(a.name, true, true);
    return r;
  };
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kUnchanged);
  EXPECT_THAT(r.error, HasSubstr("SMTP AUTH"));
}

}  // namespace
}  // namespace relayguard::agent
