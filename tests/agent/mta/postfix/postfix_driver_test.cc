// PostfixDriver against the real postconf/postfix binaries and a sandboxed instance.
#include "agent/mta/postfix/postfix_driver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "agent/mta/postfix/smtp_auth.h"
#include "tests/support/postfix_lab.h"

namespace relayguard::agent::postfix {
namespace {

using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::ReadFileOrDie;
using ::testing::HasSubstr;

class PostfixDriverTest : public ::testing::Test {
 protected:
  PostfixDriverTest() {
    options_.config_dir = lab_.config_dir();
    driver_ = std::make_unique<PostfixDriver>(options_, fs_, runner_);
  }
  FileContents Current() {
    return {{lab_.main_cf(), ReadFileOrDie(lab_.main_cf())},
            {lab_.master_cf(), ReadFileOrDie(lab_.master_cf())}};
  }
  Policy ClosePolicy() {
    Policy p;
    p.name = "t";
    p.version = 1;
    p.trusted_networks = {*ParseCidr("127.0.0.1/32")};
    return p;
  }
  PostfixLab lab_{"0.0.0.0/0"};
  PostfixOptions options_;
  RealFileSystem fs_;
  RealProcessRunner runner_;
  std::unique_ptr<PostfixDriver> driver_;
};

TEST_F(PostfixDriverTest, ReadsVersionAndListenerFromTheInstance) {
  absl::StatusOr<std::string> version = driver_->Version();
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_TRUE(ParsePostfixVersion(*version).ok()) << *version;
  absl::StatusOr<std::vector<Listener>> listeners = driver_->Listeners();
  ASSERT_TRUE(listeners.ok()) << listeners.status();
  ASSERT_EQ(listeners->size(), 1u);
  EXPECT_EQ(listeners->front().endpoint.ToString(), "127.0.0.1:" + std::to_string(lab_.port()));
}

TEST_F(PostfixDriverTest, RenderEditsOnlyRelaySettingsAndValidates) {
  absl::StatusOr<RenderedChange> change = driver_->Render(ClosePolicy(), Current());
  ASSERT_TRUE(change.ok()) << change.status();
  EXPECT_EQ(
      change->changed_settings,
      (std::vector<std::string>{"main.cf:30 mynetworks", "main.cf:31 smtpd_relay_restrictions"}));
  EXPECT_FALSE(change->needs_restart);
  EXPECT_EQ(change->new_contents[lab_.master_cf()], ReadFileOrDie(lab_.master_cf()));
  std::string main_cf = change->new_contents[lab_.main_cf()];
  EXPECT_THAT(main_cf, HasSubstr("mynetworks = 127.0.0.1/32\n"));
  EXPECT_THAT(main_cf, HasSubstr("# No syslogd here"));  // comments kept
  // The list is edited element by element: only its closing element changed (a 4xx defer
  // proves nothing to a probe).
  EXPECT_THAT(main_cf, HasSubstr("smtpd_relay_restrictions = permit_mynetworks,\n"
                                 "    permit_sasl_authenticated,\n"
                                 "    reject_unauth_destination\n"));
  absl::Status valid = driver_->ValidateStaged(change->new_contents, lab_.dir() + "/stage");
  EXPECT_TRUE(valid.ok()) << valid;
  // Nothing live changed.
  EXPECT_EQ(Current(), (FileContents{{lab_.main_cf(), ReadFileOrDie(lab_.main_cf())},
                                     {lab_.master_cf(), ReadFileOrDie(lab_.master_cf())}}));
}

TEST_F(PostfixDriverTest, ValidationNamesTheLiveFileAndTheProblem) {
  FileContents staged = Current();
  staged[lab_.main_cf()] += "this line has no equals sign\n";
  absl::Status s = driver_->ValidateStaged(staged, lab_.dir() + "/stage");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(lab_.config_dir() + "/main.cf"));
  EXPECT_THAT(s.message(), HasSubstr("missing '='"));
  EXPECT_THAT(s.message(), ::testing::Not(HasSubstr("/stage")));

  staged = Current();
  staged[lab_.master_cf()] += "brokenservice inet n\n";
  s = driver_->ValidateStaged(staged, lab_.dir() + "/stage");
  EXPECT_THAT(s.message(), HasSubstr(lab_.config_dir() + "/master.cf"));
  EXPECT_THAT(s.message(), HasSubstr("bad field count"));

  staged = Current();
  staged[lab_.main_cf()] += "mynetworks = 127.0.0.1/33\n";
  s = driver_->ValidateStaged(staged, lab_.dir() + "/stage");
  EXPECT_THAT(s.message(), HasSubstr("127.0.0.1/33"));

  staged = Current();
  staged[lab_.main_cf()] += "smtpd_relay_restrictions = permit\n";
  s = driver_->ValidateStaged(staged, lab_.dir() + "/stage");
  EXPECT_THAT(s.message(), HasSubstr("reject_unauth_destination"));
}

TEST_F(PostfixDriverTest, RunningStateAndDriftComeFromTheRealInstance) {
  absl::StatusOr<bool> running = driver_->IsRunning();
  ASSERT_TRUE(running.ok());
  EXPECT_FALSE(*running);
  lab_.Start();
  running = driver_->IsRunning();
  ASSERT_TRUE(running.ok());
  EXPECT_TRUE(*running);
  absl::StatusOr<std::vector<SettingDrift>> drift = driver_->CheckDrift(ClosePolicy());
  ASSERT_TRUE(drift.ok()) << drift.status();
  ASSERT_EQ(drift->size(), 3u) << DriftText((*drift)[0]);
  EXPECT_EQ((*drift)[0].setting, "mynetworks");
  EXPECT_EQ((*drift)[0].effective, "0.0.0.0/0");
  EXPECT_EQ((*drift)[0].where, lab_.main_cf() + ":30");
  // The listener: permit_mynetworks lets strangers through, and the list closes with a defer.
  const std::string listener = "127.0.0.1:" + std::to_string(lab_.port()) + " (" +
                               std::to_string(lab_.port()) + ", " + lab_.master_cf() + ":2)";
  EXPECT_EQ((*drift)[1].listener, listener);
  EXPECT_THAT((*drift)[1].effective, HasSubstr("mynetworks holds 0.0.0.0/0"));
  EXPECT_EQ((*drift)[1].where, lab_.main_cf() + ":30");
  EXPECT_EQ((*drift)[2].listener, listener);
  EXPECT_EQ((*drift)[2].setting, "smtpd_relay_restrictions");
  EXPECT_EQ((*drift)[2].desired,
            "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination");
}

TEST_F(PostfixDriverTest, MasterCfOverrideThatOpensTheRelayIsRemoved) {
  FileContents current = Current();
  const std::string original = current[lab_.master_cf()];
  std::string& master = current[lab_.master_cf()];
  master.replace(master.find("smtpd\n"), 6, "smtpd\n  -o mynetworks=0.0.0.0/0\n");
  absl::StatusOr<RenderedChange> change = driver_->Render(ClosePolicy(), current);
  ASSERT_TRUE(change.ok()) << change.status();
  EXPECT_EQ(change->new_contents[lab_.master_cf()], original);
  EXPECT_THAT(change->changed_settings,
              ::testing::Contains("master.cf:3 127.0.0.1:" + std::to_string(lab_.port()) +
                                  "/inet -o mynetworks"));
  absl::Status valid = driver_->ValidateStaged(change->new_contents, lab_.dir() + "/stage");
  EXPECT_TRUE(valid.ok()) << valid;
}

}  // namespace
}  // namespace relayguard::agent::postfix

namespace relayguard::agent::postfix {
namespace {

TEST_F(PostfixDriverTest, EveryListenerOfMasterCfWithItsPlaceAndKind) {
  std::string master = ReadFileOrDie(lab_.master_cf());
  master +=
      "2525 inet n - n - - smtpd -o smtpd_tls_wrappermode=yes\n"
      "submission inet n - n - - smtpd\n  -o syslog_name=postfix/submission\n";
  ::relayguard::testing::WriteFileOrDie(lab_.master_cf(), master);
  absl::StatusOr<std::vector<Listener>> listeners = driver_->Listeners();
  ASSERT_TRUE(listeners.ok()) << listeners.status();
  ASSERT_EQ(listeners->size(), 3u);
  // inet_interfaces = 127.0.0.1 in the lab: the bare ports listen there.
  EXPECT_EQ((*listeners)[1].endpoint.ToString(), "127.0.0.1:2525");
  EXPECT_EQ((*listeners)[1].tls, ListenerTls::kImplicit);
  EXPECT_EQ((*listeners)[1].declared_at, lab_.master_cf() + ":20");
  EXPECT_EQ((*listeners)[2].endpoint.ToString(), "127.0.0.1:587");
  EXPECT_EQ((*listeners)[2].role, ListenerRole::kSubmission);
  EXPECT_TRUE((*listeners)[2].loopback_only);
}

TEST_F(PostfixDriverTest, ValidationChecksEachServiceWithItsOverrides) {
  FileContents staged = Current();
  staged[lab_.master_cf()] +=
      "2525 inet n - n - - smtpd\n"
      "  -o smtpd_relay_restrictions=permit_mynetworks\n";
  absl::Status s = driver_->ValidateStaged(staged, lab_.dir() + "/stage");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("service 2525/inet (" + lab_.master_cf() + ":20)"));
  EXPECT_THAT(s.message(), HasSubstr("reject_unauth_destination"));
  EXPECT_THAT(s.message(), ::testing::Not(HasSubstr("/stage")));
}

TEST_F(PostfixDriverTest, UnreadableTableBeforeTheClosingElementIsRefusedWithItsPlace) {
  FileContents current = Current();
  std::string& main = current[lab_.main_cf()];
  main.replace(main.find("    permit_sasl_authenticated,"), 29,
               "    check_client_access ldap:/etc/postfix/ldap-clients.cf,");
  absl::StatusOr<RenderedChange> change = driver_->Render(ClosePolicy(), current);
  ASSERT_FALSE(change.ok());
  EXPECT_THAT(change.status().message(), HasSubstr("ldap:/etc/postfix/ldap-clients.cf"));
  EXPECT_THAT(change.status().message(), HasSubstr(lab_.main_cf() + ":32"));
  EXPECT_THAT(change.status().message(), HasSubstr("nothing was changed"));
}

}  // namespace
}  // namespace relayguard::agent::postfix

namespace relayguard::agent::postfix {
namespace {

// The auth part against the real postconf: this Postfix knows every parameter relayguard
// writes (smtpd_sasl_mechanism_filter included, as HasMechanismFilter says for its version),
// the staged result passes `postconf -n` and relayguard's checks, and rendering it again
// changes nothing. (A real Dovecot behind it: postfix_auth_integration_test.cc.)
TEST_F(PostfixDriverTest, AuthSettingsAreKnownToThisPostfixAndRenderIsIdempotent) {
  std::string out;
  ASSERT_EQ(::relayguard::testing::RunCommand(
                {"/usr/sbin/postconf", "-d", "smtpd_sasl_mechanism_filter"}, &out),
            0);
  absl::StatusOr<PostfixVersion> version = ParsePostfixVersion(*driver_->Version());
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(absl::StrContains(out, "smtpd_sasl_mechanism_filter = "),
            HasMechanismFilter(*version))
      << out;

  Policy policy = ClosePolicy();
  AuthSettings auth;
  auth.path = lab_.dir() + "/spool/private/auth";
  auth.tls_only = false;
  auth.listeners.relay = false;
  auth.listeners.submission = true;
  policy.auth = auth;
  FileContents current = Current();
  current[lab_.master_cf()] += "submission inet n - n - - smtpd\n  -o syslog_name=pf/sub\n";
  absl::StatusOr<RenderedChange> change = driver_->Render(policy, current);
  ASSERT_TRUE(change.ok()) << change.status();
  EXPECT_THAT(change->new_contents[lab_.main_cf()], HasSubstr("smtpd_sasl_path = private/auth\n"));
  EXPECT_THAT(change->new_contents[lab_.master_cf()],
              HasSubstr("submission inet n - n - - smtpd\n  -o syslog_name=pf/sub\n"
                        "  -o smtpd_sasl_auth_enable=yes\n"));
  absl::Status valid = driver_->ValidateStaged(change->new_contents, lab_.dir() + "/stage");
  EXPECT_TRUE(valid.ok()) << valid;
  absl::StatusOr<RenderedChange> again = driver_->Render(policy, change->new_contents);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->new_contents, change->new_contents);
  EXPECT_THAT(again->changed_settings, ::testing::IsEmpty());
}

}  // namespace
}  // namespace relayguard::agent::postfix
