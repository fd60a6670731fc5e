// The SMTP AUTH probe and `relayguardctl scan --auth` against a real Postfix with
// smtpd_sasl_type = dovecot and a real Dovecot auth server (tests/support/sasl_lab.h), from the
// untrusted source 127.0.0.9, in the MTA sandbox: plaintext AUTH, and AUTH only after STARTTLS
// (smtpd_tls_auth_only).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "agent/auth/smtp_auth_probe.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/postfix_tls.h"
#include "tests/support/sasl_lab.h"
#include "tests/support/wait.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::DovecotAuth;
using ::relayguard::testing::kSmokeUser;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::RunCommand;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using namespace std::chrono_literals;

const std::vector<BogusAuth> kAllBogus = {BogusAuth::kWrongPassword, BogusAuth::kUnknownUser,
                                          BogusAuth::kRandomPlainBlob, BogusAuth::kMalformedPlain,
                                          BogusAuth::kUnsupportedMech};

// A started Postfix that relays only for SASL-authenticated clients, against `dovecot`.
void ConfigureSasl(const PostfixLab& lab, const DovecotAuth& dovecot) {
  std::string out;
  ASSERT_EQ(RunCommand({"/usr/sbin/postconf", "-c", lab.config_dir(), "-e",
                        "mynetworks = 127.0.0.1/32", "smtpd_sasl_auth_enable = yes",
                        "smtpd_sasl_type = dovecot", "smtpd_sasl_path = " + dovecot.socket_path(),
                        "smtpd_relay_restrictions = permit_sasl_authenticated, "
                        "reject_unauth_destination"},
                       &out),
            0)
      << out;
}

class SmtpAuthProbeIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::relayguard::testing::RequireSaslSandbox();
    dovecot_.Start();
    ConfigureSasl(lab_, dovecot_);
  }
  AuthProbeRequest Request() const {
    AuthProbeRequest r;
    r.sender = "probe@lab.test";
    r.foreign_recipient = "victim@example.net";
    SmokeCredential c;
    c.username = kSmokeUser;
    c.password = Secret(password_);
    c.source = "(test)";
    r.credential = std::move(c);
    r.bogus = kAllBogus;
    return r;
  }
  ProbeOptions Options() const {
    ProbeOptions o;
    o.source = *ParseIpAddress("127.0.0.9");
    o.timeout = 10s;
    return o;
  }
  SmtpEndpoint Endpoint() const {
    return {*ParseIpAddress("127.0.0.1"), static_cast<uint16_t>(lab_.port())};
  }
  void ExpectNoSecret(const AuthProbeReport& r) const {
    std::string all = r.error;
    auto add = [&](const std::vector<SmtpExchange>& xs) {
      for (const SmtpExchange& x : xs) all += x.command + "\n" + x.reply + "\n";
    };
    add(r.exchanges);
    if (r.smoke.has_value()) {
      add(r.smoke->exchanges);
      all += r.smoke->detail;
    }
    for (const AuthAttempt& a : r.bogus) {
      add(a.exchanges);
      all += a.detail;
    }
    const std::string plain = std::string(1, '\0') + kSmokeUser + '\0' + password_;
    for (const std::string& form :
         {password_, absl::Base64Escape(password_), absl::Base64Escape(plain)}) {
      EXPECT_TRUE(all.find(form) == std::string::npos) << "a form of the password leaked";
    }
  }

  const std::string password_ = ::relayguard::testing::RandomPassword();
  DovecotAuth dovecot_{kSmokeUser, password_};
  PostfixLab lab_{"127.0.0.1/32"};
};

TEST_F(SmtpAuthProbeIntegrationTest, SmokeRelaysEveryBogusAuthIsRefusedInOneFailureDelay) {
  lab_.Start();
  const auto t0 = std::chrono::steady_clock::now();
  AuthProbeReport r = RunAuthProbe(Endpoint(), Request(), Options());
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r.inconclusive) << r.error;
  EXPECT_THAT(r.mechanisms_plain, ElementsAre("PLAIN", "LOGIN"));
  ASSERT_TRUE(r.smoke.has_value());
  EXPECT_TRUE(r.smoke->authenticated) << r.smoke->detail;
  EXPECT_TRUE(r.smoke->relayed) << r.smoke->detail;
  for (const AuthAttempt& a : r.bogus) {
    EXPECT_FALSE(a.authenticated) << a.name << ": " << a.detail;
    EXPECT_FALSE(a.relayed) << a.name << ": " << a.detail;
    EXPECT_FALSE(a.inconclusive) << a.name << ": " << a.detail;
  }
  EXPECT_THAT(r.bogus[0].detail, HasSubstr("535 5.7.8"));
  EXPECT_THAT(r.bogus[0].detail, HasSubstr("Relay access denied"));
  EXPECT_FALSE(AcceptsBogusAuth(r));
  AuthSettings auth;
  auth.tls_only = false;
  EXPECT_THAT(AuthProblems(auth, r), IsEmpty());
  auth.tls_only = true;
  EXPECT_THAT(absl::StrJoin(AuthProblems(auth, r), "\n"), HasSubstr("before STARTTLS"));
  // Dovecot's 2 s failure delay is paid once for all five, not five times (one after another,
  // each with the 4 s per-IP penalty of the one before: over 15 s). Usually about 1.5 s; on a
  // loaded machine one attempt's AUTH may reach Dovecot after another's failure and pay the
  // penalty once (5.5 s).
  std::string timings = "smoke " + std::to_string(r.smoke->elapsed.count()) + " ms";
  for (const AuthAttempt& a : r.bogus) {
    timings += ", " + a.name + " " + std::to_string(a.elapsed.count()) + " ms";
  }
  EXPECT_LT(elapsed, 8s) << timings;
  ExpectNoSecret(r);

  // The smoke with LOGIN too (the penalty from the bogus attempts may slow it: 4 s).
  AuthProbeRequest login = Request();
  login.smoke_mechanism = AuthMechanism::kLogin;
  login.bogus.clear();
  r = RunAuthProbe(Endpoint(), login, Options());
  ASSERT_TRUE(r.smoke.has_value());
  EXPECT_TRUE(r.smoke->relayed) << r.smoke->detail;
  ExpectNoSecret(r);
}

TEST_F(SmtpAuthProbeIntegrationTest, TlsOnlyOffersAuthAfterStartTls) {
  lab_.Start();
  ASSERT_EQ(::relayguard::testing::EnablePostfixStartTls(lab_, {"smtpd_tls_auth_only = yes"}),
            "");
  AuthProbeReport r;
  ASSERT_TRUE(::relayguard::testing::WaitFor(
      [&] {
        r = RunAuthProbe(Endpoint(), Request(), Options());
        return r.starttls_offered && !r.mechanisms_tls.empty();
      },
      20s))
      << r.error;
  EXPECT_THAT(r.mechanisms_plain, IsEmpty());
  EXPECT_THAT(r.mechanisms_tls, ElementsAre("PLAIN", "LOGIN"));
  ASSERT_TRUE(r.smoke.has_value());
  EXPECT_TRUE(r.smoke->tls);
  EXPECT_TRUE(r.smoke->authenticated) << r.smoke->detail;
  EXPECT_TRUE(r.smoke->relayed) << r.smoke->detail;
  for (const AuthAttempt& a : r.bogus) {
    EXPECT_TRUE(a.tls) << a.name;
    EXPECT_FALSE(a.authenticated || a.relayed) << a.name << ": " << a.detail;
  }
  AuthSettings auth;  // tls_only by default
  EXPECT_THAT(AuthProblems(auth, r), IsEmpty());
  ExpectNoSecret(r);

  // Without STARTTLS the same server has no AUTH for the smoke credential: a problem.
  AuthProbeRequest plain = Request();
  plain.prefer_tls = false;
  plain.bogus.clear();
  r = RunAuthProbe(Endpoint(), plain, Options());
  ASSERT_TRUE(r.smoke.has_value());
  EXPECT_FALSE(r.smoke->authenticated);
  EXPECT_THAT(r.smoke->detail, HasSubstr("503 5.5.1"));
}

const std::string kCtl = std::string(RG_BINARY_DIR) + "/controller/relayguardctl";

TEST_F(SmtpAuthProbeIntegrationTest, ScanAuthFindsPostfixWithDovecotClosed) {
  // SetUp configured SASL against Dovecot: relaying only after AUTH.
  lab_.Start();
  const std::string target = "127.0.0.1:" + std::to_string(lab_.port());
  std::string json;
  int rc = RunCommand({kCtl, "scan", "--auth", "--from", "127.0.0.9", "--json", target}, &json);
  EXPECT_EQ(rc, 0) << json;
  EXPECT_THAT(json, HasSubstr("\"verdict\":\"refused\""));
  for (const char* name : {"bogus-auth-unknown-user", "bogus-auth-malformed-plain",
                           "bogus-auth-unsupported-mechanism"}) {
    EXPECT_THAT(json, HasSubstr(std::string("\"name\":\"") + name + "\"")) << name;
  }
  EXPECT_THAT(json, HasSubstr("535 5.7.8 Error: authentication failed"));
  EXPECT_THAT(json, Not(HasSubstr("accepts bogus AUTH")));
  EXPECT_EQ(json.find("\"command\":\"DATA\""), std::string::npos) << "DATA is never sent";
}

}  // namespace
}  // namespace relayguard::agent
