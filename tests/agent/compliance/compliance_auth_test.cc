// The SMTP AUTH part of a scheduled compliance check (policy.auth) with a fake MTA and scripted
// AUTH answers: a healthy AUTH is compliant, a broken backend is an error with the reason, an
// AUTH that accepts bogus credentials is an open relay, AUTH on plaintext against tls_only is
// drift. The real MTAs and SASL daemons: the MTA AUTH integration tests.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/compliance/compliance_check.h"
#include "tests/support/apply_fakes.h"
#include "tests/support/auth_checks.h"

namespace relayguard::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using ::relayguard::testing::HealthyAuth;
using ::relayguard::testing::ScriptedAttempt;

class ComplianceAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-compliance-auth.XXXXXX";
    root_ = mkdtemp(tmpl);
    std::filesystem::create_directories(root_ + "/etc");
    for (const char* name : {"a.cf", "b.cf"}) {
      ASSERT_TRUE(fs_.WriteFileAtomic(root_ + "/etc/" + name, "closed\n",
                                      FileInfo{0640, getuid(), getgid(), true}).ok());
    }
    store_ = std::move(GitBackupStore::Open(root_ + "/state/backup")).value();
    driver_ = std::make_unique<FakeDriver>(root_ + "/etc");
    journal_ = std::make_unique<Journal>(fs_, root_ + "/state/journal");
    transaction_ = std::make_unique<ApplyTransaction>(TransactionDeps{
        *driver_, fs_, *store_, *journal_, checker_, clock_, root_ + "/state/stage", faults_});
    compliance_ = std::make_unique<ComplianceChecker>(*driver_, fs_, *store_, checker_,
                                                      *transaction_);
    ASSERT_TRUE(store_->Commit(*ReadLiveFiles(*driver_, fs_), "baseline", {{"Action", "apply"}})
                    .ok());
    policy_.name = "p";
    policy_.version = 1;
    policy_.require_auth = true;
    policy_.compliance = ComplianceSettings{};
    policy_.compliance->schedule = "@every 60s";
    AuthSettings auth;
    auth.path = "/run/dovecot/auth-client";
    auth.smoke_credential = root_ + "/smoke";
    policy_.auth = auth;
    std::ofstream(root_ + "/smoke") << "smoke@lab.test:S3cret-compliance\n";
    chmod((root_ + "/smoke").c_str(), 0600);
    checker_.auth_fn = HealthyAuth;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  ComplianceResult Check() { return compliance_->Check(policy_, 1700000000, {}); }

  std::string root_;
  RealFileSystem fs_;
  FakeClock clock_;
  NoFaultPoints faults_;
  ScriptedChecker checker_;
  std::unique_ptr<FakeDriver> driver_;
  std::unique_ptr<GitBackupStore> store_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<ApplyTransaction> transaction_;
  std::unique_ptr<ComplianceChecker> compliance_;
  Policy policy_;
};

TEST_F(ComplianceAuthTest, HealthyAuthIsCompliant) {
  ComplianceResult r = Check();
  EXPECT_EQ(r.status, ComplianceStatus::kCompliant) << r.summary;
  ASSERT_TRUE(r.listeners[0].auth.has_value());
  EXPECT_TRUE(r.listeners[0].auth->smoke->relayed);
  EXPECT_EQ(r.listeners[0].auth->bogus.size(), 2u);
}

TEST_F(ComplianceAuthTest, BrokenBackendIsAnErrorWithTheReason) {
  driver_->preflight_auth = absl::UnavailableError(
      "connect to /run/dovecot/auth-client: Connection refused (is dovecot running?)");
  ComplianceResult r = Check();
  EXPECT_EQ(r.status, ComplianceStatus::kError);
  EXPECT_THAT(r.error, HasSubstr("Connection refused"));
  EXPECT_THAT(r.summary, HasSubstr("Connection refused"));
}

TEST_F(ComplianceAuthTest, SmokeCredentialRefusedIsAnError) {
  checker_.auth_fn = [](const SmtpEndpoint& e, const AuthProbeRequest& request) {
    AuthProbeReport r = HealthyAuth(e, request);
    if (r.smoke) r.smoke = ScriptedAttempt("smoke-PLAIN", false, false);
    return r;
  };
  ComplianceResult r = Check();
  EXPECT_EQ(r.status, ComplianceStatus::kError) << r.summary;
}

TEST_F(ComplianceAuthTest, AuthThatAcceptsBogusCredentialsIsAnOpenRelay) {
  checker_.auth_fn = [](const SmtpEndpoint& e, const AuthProbeRequest& request) {
    AuthProbeReport r = HealthyAuth(e, request);
    for (AuthAttempt& a : r.bogus) a = ScriptedAttempt(a.name, true, true);
    return r;
  };
  ComplianceResult r = Check();
  EXPECT_EQ(r.status, ComplianceStatus::kRelayOpen) << r.summary;
  EXPECT_THAT(r.summary, Not(HasSubstr("S3cret-compliance")));
}

TEST_F(ComplianceAuthTest, AuthOnPlaintextAgainstTlsOnlyIsDrift) {
  checker_.auth_fn = [](const SmtpEndpoint& e, const AuthProbeRequest& request) {
    AuthProbeReport r = HealthyAuth(e, request);
    r.mechanisms_plain = {"PLAIN", "LOGIN"};
    return r;
  };
  ComplianceResult r = Check();
  EXPECT_EQ(r.status, ComplianceStatus::kDrifted) << r.summary;
}

}  // namespace
}  // namespace relayguard::agent
