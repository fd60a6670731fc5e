// The SMTP AUTH settings on configuration text: the exact edits for a fresh host, a partly
// configured one and per-listener AUTH, the refusals (chroot, TLS-only without STARTTLS, a
// backend Postfix cannot use), line endings kept, fixing twice changes nothing, and the drift a
// compliance check reports.
#include "agent/mta/postfix/smtp_auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/mta/postfix/relay_fix.h"
#include "tests/agent/mta/postfix/postfix_fakes.h"

namespace relayguard::agent::postfix {
namespace {

using ::testing::HasSubstr;
using Strings = std::vector<std::string>;
using testing::FakeConfig;
using testing::FakeJudge;
using testing::FakeTableReader;

NameResolvers Resolvers() {
  NameResolvers r;
  r.port = [](const std::string&) { return std::nullopt; };
  r.host = [](const std::string&) -> absl::StatusOr<std::vector<IpAddress>> {
    return absl::NotFoundError("no DNS in tests");
  };
  return r;
}

constexpr const char* kSocket = "/var/spool/postfix/private/auth";
constexpr const char* kTls =
    "smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem\n"
    "smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key\n"
    "smtpd_tls_security_level = may\n";
// What a fresh host gets (the socket under the queue directory, AUTH on every listener).
constexpr const char* kFreshAdded =
    "smtpd_sasl_type = dovecot\n"
    "smtpd_sasl_path = private/auth\n"
    "smtpd_tls_auth_only = yes\n"
    "smtpd_sasl_mechanism_filter = plain, login\n"
    "smtpd_sasl_auth_enable = yes\n";
constexpr const char* kSubmission =
    "smtp inet n - y - - smtpd\n"
    "submission inet n - y - - smtpd\n"
    "  -o syslog_name=postfix/submission\n";

AuthSettings DefaultAuth() {
  AuthSettings a;
  a.path = kSocket;
  return a;
}

AuthSettings SubmissionOnly() {
  AuthSettings a = DefaultAuth();
  a.listeners.relay = false;
  return a;
}

std::vector<AuthService> Services(const PostfixConfig& config, const AuthSettings& auth,
                                  Strings* warnings = nullptr) {
  absl::StatusOr<std::vector<PostfixListener>> listeners = DeriveListeners(config, Resolvers());
  EXPECT_TRUE(listeners.ok()) << listeners.status();
  if (!listeners.ok()) return {};
  ProbeSettings probe;
  probe.internal_listeners = {*ParseSmtpEndpoint("127.0.0.1:10025")};
  std::vector<Listener> plain;
  for (const PostfixListener& l : *listeners) plain.push_back(l.listener);
  MarkInternalListeners(probe, plain);
  for (size_t i = 0; i < plain.size(); ++i) (*listeners)[i].listener.internal = plain[i].internal;
  return AuthServices(config, *listeners, auth, warnings);
}

struct Fixed {
  absl::Status status;
  std::string main, master;
  Strings changed;
  std::vector<SettingDrift> drift;
};

Fixed Fix(const std::string& main, const std::string& master, const AuthSettings& auth,
          PostfixVersion version = {3, 7, 11}) {
  PostfixConfig config = FakeConfig(main, master, version);
  std::vector<AuthService> services = Services(config, auth);
  absl::StatusOr<AuthFix> fix = FixSmtpAuth(config, services, auth);
  if (!fix.ok()) return {fix.status(), main, master, {}, {}};
  return {absl::OkStatus(), config.main_cf.Render(), config.master_cf.Render(), fix->changed,
          fix->drift};
}

std::vector<SettingDrift> Findings(const std::string& main, const std::string& master,
                                   const AuthSettings& auth) {
  PostfixConfig config = FakeConfig(main, master);
  return SmtpAuthFindings(config, Services(config, auth), auth);
}

struct Case {
  std::string name;
  std::string main, master;
  AuthSettings auth;
  std::string want_main, want_master;  // "" = unchanged
  Strings changed;
  PostfixVersion version = {3, 7, 11};
};

class FixSmtpAuthTest : public ::testing::TestWithParam<Case> {};

TEST_P(FixSmtpAuthTest, EditsOnlyWhatAuthNeedsAndIsIdempotent) {
  const Case& c = GetParam();
  Fixed f = Fix(c.main, c.master, c.auth, c.version);
  ASSERT_TRUE(f.status.ok()) << f.status;
  EXPECT_EQ(f.main, c.want_main.empty() ? c.main : c.want_main);
  EXPECT_EQ(f.master, c.want_master.empty() ? c.master : c.want_master);
  EXPECT_EQ(f.changed, c.changed);
  EXPECT_EQ(f.drift.empty(), c.changed.empty());
  Fixed again = Fix(f.main, f.master, c.auth, c.version);
  ASSERT_TRUE(again.status.ok()) << again.status;
  EXPECT_EQ(again.main, f.main);
  EXPECT_EQ(again.master, f.master);
  EXPECT_EQ(again.changed, Strings{});
  EXPECT_TRUE(again.drift.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, FixSmtpAuthTest,
    ::testing::Values(
        Case{"FreshHost",
             kTls,
             "smtp inet n - y - - smtpd\n",
             DefaultAuth(),
             std::string(kTls) + kFreshAdded,
             "",
             {"main.cf smtpd_sasl_type (added)", "main.cf smtpd_sasl_path (added)",
              "main.cf smtpd_tls_auth_only (added)", "main.cf smtpd_sasl_mechanism_filter (added)",
              "main.cf smtpd_sasl_auth_enable (added)"}},
        Case{"AlreadyCorrect", std::string(kTls) + kFreshAdded, "smtp inet n - y - - smtpd\n",
             DefaultAuth(), "", "", {}},
        Case{"AbsolutePathToTheSameSocketKeptWhenNotChrooted",
             std::string(kTls) +
                 "smtpd_sasl_type = dovecot\n"
                 "smtpd_sasl_path = /var/spool/postfix/private/auth\n"
                 "smtpd_tls_auth_only = yes\n"
                 "smtpd_sasl_mechanism_filter = PLAIN LOGIN\n"
                 "smtpd_sasl_auth_enable = yes\n",
             "smtp inet n - n - - smtpd\n", DefaultAuth(), "", "", {}},
        Case{"PartialSettingsEditedInPlace",
             std::string(kTls) +
                 "# SASL, half done\n"
                 "smtpd_sasl_type = cyrus\n"
                 "smtpd_sasl_auth_enable=yes\n"
                 "smtpd_sasl_path = smtpd\n"
                 "smtpd_sasl_security_options = noanonymous, noplaintext\n"
                 "smtpd_tls_auth_only = no\n",
             "smtp inet n - y - - smtpd\n", DefaultAuth(),
             std::string(kTls) +
                 "# SASL, half done\n"
                 "smtpd_sasl_type = dovecot\n"
                 "smtpd_sasl_auth_enable=yes\n"
                 "smtpd_sasl_path = private/auth\n"
                 "smtpd_sasl_security_options = noanonymous\n"
                 "smtpd_tls_auth_only = yes\n"
                 "smtpd_sasl_mechanism_filter = plain, login\n",
             "",
             {"main.cf:5 smtpd_sasl_type", "main.cf:7 smtpd_sasl_path",
              "main.cf:8 smtpd_sasl_security_options", "main.cf:9 smtpd_tls_auth_only",
              "main.cf smtpd_sasl_mechanism_filter (added)"}},
        Case{"SubmissionOnlyGetsItsOwnOverride",
             std::string(kTls) + kFreshAdded, kSubmission, SubmissionOnly(),
             std::string(kTls) +
                 "smtpd_sasl_type = dovecot\n"
                 "smtpd_sasl_path = private/auth\n"
                 "smtpd_tls_auth_only = yes\n"
                 "smtpd_sasl_mechanism_filter = plain, login\n"
                 "smtpd_sasl_auth_enable = no\n",
             std::string(kSubmission) + "  -o smtpd_sasl_auth_enable=yes\n",
             {"main.cf:8 smtpd_sasl_auth_enable",
              "master.cf:4 submission/inet -o smtpd_sasl_auth_enable"}},
        Case{"UnsetMainCfStaysUnsetForPerListenerAuth",
             kTls, kSubmission, SubmissionOnly(),
             std::string(kTls) +
                 "smtpd_sasl_type = dovecot\n"
                 "smtpd_sasl_path = private/auth\n"
                 "smtpd_tls_auth_only = yes\n"
                 "smtpd_sasl_mechanism_filter = plain, login\n",
             std::string(kSubmission) + "  -o smtpd_sasl_auth_enable=yes\n",
             {"main.cf smtpd_sasl_type (added)", "main.cf smtpd_sasl_path (added)",
              "main.cf smtpd_tls_auth_only (added)", "main.cf smtpd_sasl_mechanism_filter (added)",
              "master.cf:4 submission/inet -o smtpd_sasl_auth_enable"}},
        Case{"OverrideThatEnablesAuthAgainstThePolicyIsTurnedOff",
             std::string(kTls) +
                 "smtpd_sasl_type = dovecot\n"
                 "smtpd_sasl_path = private/auth\n"
                 "smtpd_tls_auth_only = yes\n"
                 "smtpd_sasl_mechanism_filter = plain, login\n",
             "smtp inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n"
             "submission inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n",
             SubmissionOnly(), "",
             "smtp inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=no\n"
             "submission inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n",
             {"master.cf:2 smtp/inet -o smtpd_sasl_auth_enable"}},
        Case{"ServiceOverrideOfASaslSettingIsCorrectedWhereItIs",
             std::string(kTls) + kFreshAdded,
             "smtp inet n - y - - smtpd\n  -o smtpd_tls_auth_only=no\n", DefaultAuth(), "",
             "smtp inet n - y - - smtpd\n  -o smtpd_tls_auth_only=yes\n",
             {"master.cf:2 smtp/inet -o smtpd_tls_auth_only"}},
        Case{"SocketOutsideTheQueueWithoutChrootIsAbsolute",
             kTls, "smtp inet n - n - - smtpd\nsubmission inet n - - - - smtpd\n",
             [] {
               AuthSettings a = DefaultAuth();
               a.path = "/run/dovecot/auth-client";
               a.tls_only = false;
               return a;
             }(),
             std::string(kTls) +
                 "smtpd_sasl_type = dovecot\n"
                 "smtpd_sasl_path = /run/dovecot/auth-client\n"
                 "smtpd_sasl_mechanism_filter = plain, login\n"
                 "smtpd_sasl_auth_enable = yes\n",
             "",
             {"main.cf smtpd_sasl_type (added)", "main.cf smtpd_sasl_path (added)",
              "main.cf smtpd_sasl_mechanism_filter (added)",
              "main.cf smtpd_sasl_auth_enable (added)"}},
        Case{"ImplicitTlsNeedsOnlyACertificate",
             "smtpd_tls_cert_file = /etc/ssl/certs/mx.pem\n",
             "submissions inet n - y - - smtpd\n  -o smtpd_tls_wrappermode=yes\n",
             DefaultAuth(),
             std::string("smtpd_tls_cert_file = /etc/ssl/certs/mx.pem\n") + kFreshAdded, "",
             {"main.cf smtpd_sasl_type (added)", "main.cf smtpd_sasl_path (added)",
              "main.cf smtpd_tls_auth_only (added)", "main.cf smtpd_sasl_mechanism_filter (added)",
              "main.cf smtpd_sasl_auth_enable (added)"}},
        Case{"InternalListenerIsLeftAlone",
             std::string(kTls) +
                 "smtpd_sasl_type = dovecot\n"
                 "smtpd_sasl_path = private/auth\n"
                 "smtpd_tls_auth_only = yes\n"
                 "smtpd_sasl_mechanism_filter = plain, login\n",
             "smtp inet n - y - - smtpd\n127.0.0.1:10025 inet n - n - - smtpd\n",
             DefaultAuth(), "",
             "smtp inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n"
             "127.0.0.1:10025 inet n - n - - smtpd\n",
             {"master.cf:2 smtp/inet -o smtpd_sasl_auth_enable"}},
        Case{"InternalListenersOwnAuthIsNotJudged",
             std::string(kTls) + kFreshAdded,
             "smtp inet n - y - - smtpd\n"
             "127.0.0.1:10025 inet n - n - - smtpd\n  -o smtpd_sasl_auth_enable=no\n",
             DefaultAuth(), "", "", {}},
        Case{"PostfixWithoutMechanismFilter",
             kTls, "smtp inet n - y - - smtpd\n", DefaultAuth(),
             std::string(kTls) +
                 "smtpd_sasl_type = dovecot\n"
                 "smtpd_sasl_path = private/auth\n"
                 "smtpd_tls_auth_only = yes\n"
                 "smtpd_sasl_auth_enable = yes\n",
             "",
             {"main.cf smtpd_sasl_type (added)", "main.cf smtpd_sasl_path (added)",
              "main.cf smtpd_tls_auth_only (added)", "main.cf smtpd_sasl_auth_enable (added)"},
             {3, 5, 6}},
        Case{"CrlfKept",
             "smtpd_tls_cert_file = /etc/ssl/certs/mx.pem\r\nsmtpd_tls_security_level = may\r\n"
             "smtpd_sasl_type = cyrus\r\n",
             "smtp inet n - y - - smtpd\r\nsubmission inet n - y - - smtpd\r\n"
             "  -o syslog_name=postfix/submission\r\n",
             SubmissionOnly(),
             "smtpd_tls_cert_file = /etc/ssl/certs/mx.pem\r\nsmtpd_tls_security_level = may\r\n"
             "smtpd_sasl_type = dovecot\r\nsmtpd_sasl_path = private/auth\r\n"
             "smtpd_tls_auth_only = yes\r\nsmtpd_sasl_mechanism_filter = plain, login\r\n",
             "smtp inet n - y - - smtpd\r\nsubmission inet n - y - - smtpd\r\n"
             "  -o syslog_name=postfix/submission\r\n  -o smtpd_sasl_auth_enable=yes\r\n",
             {"main.cf:3 smtpd_sasl_type", "main.cf smtpd_sasl_path (added)",
              "main.cf smtpd_tls_auth_only (added)", "main.cf smtpd_sasl_mechanism_filter (added)",
              "master.cf:4 submission/inet -o smtpd_sasl_auth_enable"}}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

struct Refusal {
  std::string name;
  std::string main, master;
  AuthSettings auth;
  Strings want;  // substrings of the message
};

class RefusalTest : public ::testing::TestWithParam<Refusal> {};

TEST_P(RefusalTest, RefusesWithTheReasonAndChangesNothing) {
  const Refusal& r = GetParam();
  Fixed f = Fix(r.main, r.master, r.auth);
  EXPECT_TRUE(absl::IsInvalidArgument(f.status)) << f.status;
  for (const std::string& w : r.want) EXPECT_THAT(f.status.message(), HasSubstr(w));
  // The compliance check reports the same reason.
  std::vector<SettingDrift> drift = Findings(r.main, r.master, r.auth);
  ASSERT_EQ(drift.size(), 1u);
  EXPECT_EQ(drift[0].effective, f.status.message());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RefusalTest,
    ::testing::Values(
        Refusal{"ChrootedSmtpdAndASocketOutsideTheQueue",
                kTls,
                "smtp inet n - n - - smtpd\nsubmission inet n - y - - smtpd\n",
                [] {
                  AuthSettings a = DefaultAuth();
                  a.path = "/run/dovecot/auth-client";
                  a.path_at = "require-auth.yaml:4:9";
                  return a;
                }(),
                {"/etc/postfix/master.cf:2", "submission/inet", "runs chrooted",
                 "/run/dovecot/auth-client", "require-auth.yaml:4:9", "/var/spool/postfix"}},
        Refusal{"TlsOnlyWithoutStartTls", "", "smtp inet n - y - - smtpd\n", DefaultAuth(),
                {"auth.tls_only", "smtpd_tls_security_level is \"\"",
                 "/etc/postfix/main.cf (default)", "AUTH would never be offered",
                 "relay.tls: may", "auth.tls_only: false"}},
        Refusal{"TlsOnlyWithLevelNone",
                "smtpd_tls_cert_file = /etc/ssl/mx.pem\nsmtpd_tls_security_level = none\n",
                "smtp inet n - y - - smtpd\n", DefaultAuth(),
                {"smtpd_tls_security_level is \"none\" (/etc/postfix/main.cf:2)"}},
        Refusal{"TlsOnlyWithoutCertificate", "smtpd_tls_security_level = may\n",
                "smtp inet n - y - - smtpd\n", DefaultAuth(),
                {"smtpd_tls_cert_file is empty", "AUTH would never be offered"}},
        Refusal{"TlsOffOnTheSubmissionServiceOnly", kTls,
                "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n"
                "  -o smtpd_tls_security_level=none\n",
                SubmissionOnly(),
                {"listener 127.0.0.1:587 (submission", "/etc/postfix/master.cf:3"}},
        Refusal{"BackendPostfixCannotUse", kTls, "smtp inet n - y - - smtpd\n",
                [] {
                  AuthSettings a = DefaultAuth();
                  a.backend = SaslBackend::kSaslauthd;
                  return a;
                }(),
                {"auth.backend is saslauthd", "Dovecot's auth socket"}}),
    [](const ::testing::TestParamInfo<Refusal>& info) { return info.param.name; });

TEST(SmtpAuthTest, TlsOnlyOffNeedsNoStartTls) {
  AuthSettings auth = DefaultAuth();
  auth.tls_only = false;
  Fixed f = Fix("", "smtp inet n - y - - smtpd\n", auth);
  ASSERT_TRUE(f.status.ok()) << f.status;
  EXPECT_THAT(f.main, HasSubstr("smtpd_sasl_auth_enable = yes\n"));
  EXPECT_THAT(f.main, ::testing::Not(HasSubstr("smtpd_tls_auth_only")));  // the default: no
}

TEST(SmtpAuthTest, ChrootDefaultColumnIsNotChrootedFromPostfix3) {
  AuthSettings auth = DefaultAuth();
  auth.path = "/run/dovecot/auth-client";
  EXPECT_TRUE(Fix(kTls, "smtp inet n - - - - smtpd\n", auth).status.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(
      Fix(kTls, "smtp inet n - - - - smtpd\n", auth, {2, 11, 0}).status));
}

TEST(SmtpAuthTest, DriftNamesTheSettingWhereItIsDecided) {
  // main.cf says no AUTH-only-after-TLS while the policy says tls_only; the smtp service
  // enables AUTH though the policy offers it on submission only.
  const std::string main = std::string(kTls) +
                           "smtpd_sasl_type = dovecot\n"
                           "smtpd_sasl_path = private/auth\n"
                           "smtpd_tls_auth_only = no\n"
                           "smtpd_sasl_mechanism_filter = plain, login\n";
  const std::string master =
      "smtp inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n"
      "submission inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n";
  std::vector<SettingDrift> drift = Findings(main, master, SubmissionOnly());
  ASSERT_EQ(drift.size(), 2u);
  EXPECT_EQ(DriftText(drift[0]),
            "smtpd_tls_auth_only is \"no\", want \"yes\" (/etc/postfix/main.cf:6)");
  EXPECT_EQ(DriftText(drift[1]),
            "listener 127.0.0.1:25 (smtp, /etc/postfix/master.cf:1): smtpd_sasl_auth_enable is "
            "\"yes\", want \"no (auth.listeners)\" (/etc/postfix/master.cf:2)");
}

TEST(SmtpAuthTest, DriftOfAnOverridePerListener) {
  const std::string master =
      "smtp inet n - y - - smtpd\n"
      "submission inet n - y - - smtpd\n  -o smtpd_tls_auth_only=no\n";
  std::vector<SettingDrift> drift =
      Findings(std::string(kTls) + kFreshAdded, master, DefaultAuth());
  ASSERT_EQ(drift.size(), 1u);
  EXPECT_EQ(drift[0].setting, "smtpd_tls_auth_only");
  EXPECT_EQ(drift[0].listener, "127.0.0.1:587 (submission, /etc/postfix/master.cf:2)");
  EXPECT_EQ(drift[0].where, "/etc/postfix/master.cf:3");
}

TEST(SmtpAuthTest, PartlySelectedServiceWarns) {
  PostfixConfig config = FakeConfig(std::string(kTls) + "inet_interfaces = 127.0.0.1, 127.0.0.2\n",
                                    "2525 inet n - y - - smtpd\n");
  AuthSettings auth = DefaultAuth();
  auth.listeners.relay = false;
  auth.listeners.submission = false;
  auth.listeners.endpoints = {*ParseSmtpEndpoint("127.0.0.2:2525")};
  Strings warnings;
  std::vector<AuthService> services = Services(config, auth, &warnings);
  ASSERT_EQ(services.size(), 1u);
  EXPECT_TRUE(services[0].offers);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("127.0.0.1:2525"));
  EXPECT_THAT(warnings[0], HasSubstr("offers AUTH too"));
}

TEST(SmtpAuthTest, SocketPathOfTheConfiguration) {
  const std::string dovecot = "smtpd_sasl_type = dovecot\n";
  EXPECT_EQ(SaslSocketPath(FakeConfig(dovecot + "smtpd_sasl_path = private/auth\n", "")), kSocket);
  EXPECT_EQ(SaslSocketPath(FakeConfig(
                dovecot + "queue_directory = /q/\nsmtpd_sasl_path = private/auth\n", "")),
            "/q/private/auth");
  EXPECT_EQ(SaslSocketPath(FakeConfig(dovecot + "smtpd_sasl_path = /run/a\n", "")), "/run/a");
  EXPECT_EQ(SaslSocketPath(FakeConfig(dovecot + "smtpd_sasl_path = inet:127.0.0.1:1234\n", "")),
            "");
  // Cyrus (the default type): "smtpd" is an application name, not a file.
  EXPECT_EQ(SaslSocketPath(FakeConfig("", "")), "");
}

TEST(SmtpAuthTest, MechanismFilterFollowsThePolicy) {
  AuthSettings auth = DefaultAuth();
  auth.mechanisms = {AuthMechanism::kPlain};
  EXPECT_EQ(MechanismFilter(auth), "plain");
  EXPECT_FALSE(HasMechanismFilter({3, 5, 25}));
  EXPECT_TRUE(HasMechanismFilter({3, 6, 0}));
}

// The relay side (relay_fix.h): a listener that offers AUTH lets authenticated clients relay,
// require_auth or not.
TEST(SmtpAuthTest, ListenerThatOffersAuthGetsPermitSaslAuthenticated) {
  Policy policy;
  policy.name = "t";
  policy.version = 1;
  policy.trusted_networks = {*ParseCidr("127.0.0.1/32")};
  policy.auth = DefaultAuth();
  PostfixConfig config = FakeConfig(
      "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n",
      "smtp inet n - y - - smtpd\n");
  absl::StatusOr<std::vector<PostfixListener>> listeners = DeriveListeners(config, Resolvers());
  ASSERT_TRUE(listeners.ok()) << listeners.status();
  FakeTableReader tables;
  FixResult r = FixListeners(config, *listeners, policy, TableAccess{tables, FakeJudge});
  EXPECT_EQ(config.main_cf.Render(),
            "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, "
            "reject_unauth_destination\n");
  EXPECT_EQ(r.changed, Strings{"main.cf:1 smtpd_relay_restrictions"});
  policy.auth->listeners.relay = false;
  PostfixConfig untouched = FakeConfig(
      "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n",
      "smtp inet n - y - - smtpd\n");
  FixResult none = FixListeners(untouched, *listeners, policy, TableAccess{tables, FakeJudge});
  EXPECT_EQ(none.changed, Strings{});
}

}  // namespace
}  // namespace relayguard::agent::postfix
