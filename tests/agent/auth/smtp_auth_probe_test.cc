// The SMTP AUTH probe against a scripted in-process SMTP server (tests/support/auth_smtp_server.h)
// and the judgement of its report (AuthProblems, AcceptsBogusAuth).
#include "agent/auth/smtp_auth_probe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "tests/support/auth_smtp_server.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::AuthScript;
using ::relayguard::testing::AuthSmtpServer;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr char kPassword[] = "Tr1cky-Unit-Pw";
const std::vector<BogusAuth> kAllBogus = {BogusAuth::kWrongPassword, BogusAuth::kUnknownUser,
                                          BogusAuth::kRandomPlainBlob, BogusAuth::kMalformedPlain,
                                          BogusAuth::kUnsupportedMech};

SmokeCredential Credential(const std::string& password = kPassword) {
  SmokeCredential c;
  c.username = "smoke@lab.test";
  c.password = Secret(password);
  c.source = "/etc/relayguard/smoke-auth";
  return c;
}

AuthScript Script() {
  AuthScript s;
  s.password = kPassword;
  return s;
}

AuthProbeRequest Request(std::vector<BogusAuth> bogus = kAllBogus) {
  AuthProbeRequest r;
  r.sender = "probe@relayguard.invalid";
  r.foreign_recipient = "relay-test@example.net";
  r.credential = Credential();
  r.bogus = std::move(bogus);
  return r;
}

ProbeOptions Options(std::chrono::milliseconds timeout = 5s) {
  ProbeOptions o;
  o.source = *ParseIpAddress("127.0.0.1");
  o.timeout = timeout;
  return o;
}

AuthSettings Auth(bool tls_only) {
  AuthSettings a;
  a.tls_only = tls_only;
  a.mechanisms = {AuthMechanism::kPlain, AuthMechanism::kLogin};
  return a;
}

std::string Problems(const AuthSettings& auth, const AuthProbeReport& report) {
  return absl::StrJoin(AuthProblems(auth, report), "\n");
}

TEST(SmtpAuthProbeTest, AdvertisedGoodSmokeRelaysAndEveryBogusAuthIsRefused) {
  AuthSmtpServer server(Script());
  AuthProbeReport r = RunAuthProbe(server.endpoint(), Request(), Options());
  ASSERT_FALSE(r.inconclusive) << r.error;
  EXPECT_THAT(r.mechanisms_plain, ElementsAre("PLAIN", "LOGIN"));
  EXPECT_THAT(r.mechanisms_tls, IsEmpty());
  EXPECT_FALSE(r.starttls_offered);
  ASSERT_TRUE(r.smoke.has_value());
  EXPECT_EQ(r.smoke->name, "smoke-PLAIN");
  EXPECT_TRUE(r.smoke->authenticated) << r.smoke->detail;
  EXPECT_TRUE(r.smoke->relayed) << r.smoke->detail;
  ASSERT_EQ(r.bogus.size(), kAllBogus.size());
  for (size_t i = 0; i < r.bogus.size(); ++i) {
    EXPECT_EQ(r.bogus[i].name, BogusAuthName(kAllBogus[i]));
    EXPECT_FALSE(r.bogus[i].authenticated) << r.bogus[i].detail;
    EXPECT_FALSE(r.bogus[i].relayed) << r.bogus[i].detail;
    EXPECT_FALSE(r.bogus[i].inconclusive) << r.bogus[i].detail;
    EXPECT_THAT(r.bogus[i].detail, HasSubstr("RCPT relay-test@example.net answered 554"));
  }
  EXPECT_FALSE(AcceptsBogusAuth(r));
  EXPECT_EQ(Problems(Auth(false), r), "");
  // Every RCPT is after an AUTH, never DATA.
  for (const std::string& c : server.commands()) EXPECT_NE(c, "DATA");
  EXPECT_EQ(server.connections(), 2 + static_cast<int>(kAllBogus.size()));
}

TEST(SmtpAuthProbeTest, OldAuthEqualsFormAndLoginSmoke) {
  AuthScript s = Script();
  s.auth_line = "AUTH=PLAIN LOGIN";
  AuthSmtpServer server(s);
  AuthProbeRequest req = Request({});
  req.smoke_mechanism = AuthMechanism::kLogin;
  AuthProbeReport r = RunAuthProbe(server.endpoint(), req, Options());
  EXPECT_THAT(r.mechanisms_plain, ElementsAre("PLAIN", "LOGIN"));
  ASSERT_TRUE(r.smoke.has_value());
  EXPECT_EQ(r.smoke->name, "smoke-LOGIN");
  EXPECT_TRUE(r.smoke->authenticated) << r.smoke->detail;
  EXPECT_TRUE(r.smoke->relayed);
  EXPECT_THAT(server.commands(), Contains("AUTH LOGIN"));
}

TEST(SmtpAuthProbeTest, NotAdvertised) {
  AuthScript s = Script();
  s.auth_before_tls = false;
  AuthSmtpServer server(s);
  AuthProbeReport r = RunAuthProbe(server.endpoint(), Request(), Options());
  EXPECT_THAT(r.mechanisms_plain, IsEmpty());
  ASSERT_TRUE(r.smoke.has_value());
  EXPECT_FALSE(r.smoke->authenticated);
  EXPECT_THAT(r.smoke->detail, HasSubstr("503"));
  EXPECT_THAT(Problems(Auth(false), r), HasSubstr("AUTH is not advertised"));
  EXPECT_THAT(Problems(Auth(false), r), HasSubstr("the smoke credential did not authenticate"));
  EXPECT_THAT(Problems(Auth(true), r), HasSubstr("STARTTLS is not offered"));
  EXPECT_FALSE(AcceptsBogusAuth(r));
}

TEST(SmtpAuthProbeTest, TlsOnlyServerAuthenticatesAfterStartTls) {
  AuthScript s = Script();
  s.offer_starttls = true;
  s.auth_before_tls = false;
  AuthSmtpServer server(s);
  AuthProbeReport r = RunAuthProbe(server.endpoint(), Request(), Options());
  ASSERT_FALSE(r.inconclusive) << r.error;
  EXPECT_TRUE(r.starttls_offered);
  EXPECT_THAT(r.mechanisms_plain, IsEmpty());
  EXPECT_THAT(r.mechanisms_tls, ElementsAre("PLAIN", "LOGIN"));
  ASSERT_TRUE(r.smoke.has_value());
  EXPECT_TRUE(r.smoke->tls);
  EXPECT_TRUE(r.smoke->authenticated) << r.smoke->detail;
  EXPECT_TRUE(r.smoke->relayed);
  for (const AuthAttempt& a : r.bogus) EXPECT_TRUE(a.tls) << a.name;
  EXPECT_EQ(Problems(Auth(true), r), "");
  EXPECT_THAT(server.commands(), Contains(HasSubstr("tls: AUTH PLAIN")));
}

TEST(SmtpAuthProbeTest, AuthBeforeStartTlsIsAProblemWhenTlsOnly) {
  AuthScript s = Script();
  s.offer_starttls = true;
  AuthSmtpServer server(s);
  AuthProbeReport r = RunAuthProbe(server.endpoint(), Request({}), Options());
  EXPECT_THAT(r.mechanisms_plain, ElementsAre("PLAIN", "LOGIN"));
  EXPECT_THAT(Problems(Auth(true), r), HasSubstr("advertised before STARTTLS although "
                                                 "auth.tls_only is set"));
  EXPECT_EQ(Problems(Auth(false), r), "");
}

TEST(SmtpAuthProbeTest, ImplicitTlsListener) {
  AuthScript s = Script();
  s.tls_on_connect = true;
  AuthSmtpServer server(s);
  ProbeOptions o = Options();
  o.tls_on_connect = true;
  AuthProbeReport r = RunAuthProbe(server.endpoint(), Request(), o);
  ASSERT_FALSE(r.inconclusive) << r.error;
  EXPECT_TRUE(r.tls_on_connect);
  EXPECT_THAT(r.mechanisms_tls, ElementsAre("PLAIN", "LOGIN"));
  ASSERT_TRUE(r.smoke.has_value());
  EXPECT_TRUE(r.smoke->tls);
  EXPECT_TRUE(r.smoke->relayed);
  EXPECT_EQ(Problems(Auth(true), r), "");
}

TEST(SmtpAuthProbeTest, WrongSmokePasswordIsAProblem) {
  AuthScript s = Script();
  s.password = "the-servers-idea";
  AuthSmtpServer server(s);
  AuthProbeReport r = RunAuthProbe(server.endpoint(), Request({}), Options());
  ASSERT_TRUE(r.smoke.has_value());
  EXPECT_FALSE(r.smoke->authenticated);
  EXPECT_FALSE(r.smoke->relayed);
  EXPECT_THAT(Problems(Auth(false), r),
              AllOf(HasSubstr("smoke credential did not authenticate"), HasSubstr("535")));
}

TEST(SmtpAuthProbeTest, ServerThatAcceptsAnyAuthAcceptsBogusAuth) {
  AuthScript s = Script();
  s.accept_any = true;
  AuthSmtpServer server(s);
  AuthProbeReport r = RunAuthProbe(server.endpoint(), Request(), Options());
  for (const AuthAttempt& a : r.bogus) {
    EXPECT_TRUE(a.authenticated) << a.name << ": " << a.detail;
    EXPECT_TRUE(a.relayed) << a.name;
  }
  EXPECT_TRUE(AcceptsBogusAuth(r));
  EXPECT_THAT(Problems(Auth(false), r), HasSubstr("accepts bogus AUTH (unknown-user)"));
}

TEST(SmtpAuthProbeTest, RelayingAfterARefusedAuthCounts) {
  AuthScript s = Script();
  s.relay_after_failed_auth = true;
  AuthSmtpServer server(s);
  AuthProbeReport r = RunAuthProbe(server.endpoint(), Request({BogusAuth::kWrongPassword}),
                                   Options());
  ASSERT_EQ(r.bogus.size(), 1u);
  EXPECT_FALSE(r.bogus[0].authenticated);
  EXPECT_TRUE(r.bogus[0].relayed);
  EXPECT_TRUE(AcceptsBogusAuth(r));
  EXPECT_THAT(Problems(Auth(false), r),
              HasSubstr("relays after a refused bogus AUTH (wrong-password)"));
}

TEST(SmtpAuthProbeTest, NoCredentialMeansNoSmokeAndNoWrongPassword) {
  AuthSmtpServer server(Script());
  AuthProbeRequest req = Request();
  req.credential.reset();
  AuthProbeReport r = RunAuthProbe(server.endpoint(), req, Options());
  EXPECT_FALSE(r.smoke.has_value());
  ASSERT_EQ(r.bogus.size(), kAllBogus.size() - 1);
  EXPECT_EQ(r.bogus[0].name, "unknown-user");
}

TEST(SmtpAuthProbeTest, RunSmokeFalseRunsOnlyTheBogusAttempts) {
  AuthSmtpServer server(Script());
  AuthProbeRequest req = Request({BogusAuth::kWrongPassword});
  req.run_smoke = false;
  AuthProbeReport r = RunAuthProbe(server.endpoint(), req, Options());
  EXPECT_FALSE(r.smoke.has_value());
  ASSERT_EQ(r.bogus.size(), 1u);
  EXPECT_EQ(r.bogus[0].name, "wrong-password");
  EXPECT_FALSE(r.bogus[0].authenticated);
  EXPECT_EQ(Problems(Auth(false), r), "");
}

TEST(SmtpAuthProbeTest, BogusAttemptsRunConcurrentlyAfterTheSmoke) {
  AuthScript s = Script();
  s.auth_delay = 600ms;  // Dovecot's failure delay, shortened
  AuthSmtpServer server(s);
  const auto t0 = std::chrono::steady_clock::now();
  AuthProbeReport r = RunAuthProbe(server.endpoint(), Request(), Options());
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  // Smoke (600 ms) then five bogus at once (600 ms); one after another would be 3.6 s.
  EXPECT_LT(elapsed, 2s);
  EXPECT_GE(elapsed, 1200ms);
  ASSERT_TRUE(r.smoke.has_value());
  EXPECT_TRUE(r.smoke->relayed);
  // The smoke AUTH came first of all AUTH commands.
  std::vector<std::string> auths;
  for (const std::string& c : server.commands()) {
    if (c.rfind("AUTH", 0) == 0) auths.push_back(c);
  }
  ASSERT_FALSE(auths.empty());
  EXPECT_EQ(auths[0], "AUTH PLAIN " + absl::Base64Escape(std::string("\0smoke@lab.test\0", 16) +
                                                         kPassword));
}

// Dovecot counts an AUTH refused on sight (not base64, unknown mechanism) as a failure for its
// per-IP penalty: those go only after the password-checked ones were answered.
TEST(SmtpAuthProbeTest, AttemptsRefusedOnSightGoAfterThePasswordCheckedOnes) {
  AuthScript s = Script();
  s.auth_delay = 300ms;
  AuthSmtpServer server(s);
  AuthProbeRequest req = Request({BogusAuth::kMalformedPlain, BogusAuth::kWrongPassword,
                                  BogusAuth::kUnsupportedMech, BogusAuth::kUnknownUser});
  req.run_smoke = false;
  AuthProbeReport r = RunAuthProbe(server.endpoint(), req, Options());
  ASSERT_EQ(r.bogus.size(), 4u);
  EXPECT_EQ(r.bogus[0].name, "malformed-plain");  // in the order asked for
  EXPECT_EQ(r.bogus[1].name, "wrong-password");
  EXPECT_GE(r.bogus[1].elapsed, 300ms);
  std::vector<std::string> auths;
  for (const std::string& c : server.commands()) {
    if (c.rfind("AUTH", 0) == 0) auths.push_back(c.substr(0, c.find(' ', 5)));
  }
  ASSERT_EQ(auths.size(), 4u);
  EXPECT_EQ(auths[0], "AUTH PLAIN");
  EXPECT_EQ(auths[1], "AUTH PLAIN");
  EXPECT_THAT(std::vector<std::string>(auths.begin() + 2, auths.end()),
              ::testing::UnorderedElementsAre("AUTH PLAIN", "AUTH CRAM-MD5"));
}

TEST(SmtpAuthProbeTest, AuthThatNeverAnswersIsInconclusiveInTime) {
  AuthScript s = Script();
  s.never_answer_auth = true;
  AuthSmtpServer server(s);
  const auto t0 = std::chrono::steady_clock::now();
  AuthProbeReport r = RunAuthProbe(server.endpoint(), Request(), Options(400ms));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  ASSERT_TRUE(r.smoke.has_value());
  EXPECT_TRUE(r.smoke->inconclusive);
  EXPECT_THAT(r.smoke->detail, HasSubstr("AUTH PLAIN"));
  for (const AuthAttempt& a : r.bogus) EXPECT_TRUE(a.inconclusive) << a.name;
  EXPECT_FALSE(AcceptsBogusAuth(r));
  EXPECT_THAT(Problems(Auth(false), r), HasSubstr("could not be tested"));
}

TEST(SmtpAuthProbeTest, UnreachableServerIsInconclusive) {
  uint16_t port;
  { AuthSmtpServer gone(Script()); port = gone.endpoint().port; }
  AuthProbeReport r =
      RunAuthProbe({*ParseIpAddress("127.0.0.1"), port}, Request(), Options(500ms));
  EXPECT_TRUE(r.inconclusive);
  EXPECT_FALSE(r.error.empty());
  EXPECT_FALSE(r.smoke.has_value());
  EXPECT_THAT(AuthProblems(Auth(false), r), ElementsAre(r.error));
}

// Every string in the report, for the secret search.
std::string Everything(const AuthProbeReport& r, const AuthSettings& auth) {
  std::string all = r.endpoint.ToString() + r.error + r.tls_failure;
  auto exchanges = [&](const std::vector<SmtpExchange>& xs) {
    for (const SmtpExchange& x : xs) all += "\n" + x.command + "\n" + x.reply;
  };
  auto attempt = [&](const AuthAttempt& a) {
    all += "\n" + a.name + "\n" + a.detail;
    exchanges(a.exchanges);
  };
  for (const std::string& m : r.mechanisms_plain) all += m;
  for (const std::string& m : r.mechanisms_tls) all += m;
  exchanges(r.exchanges);
  if (r.smoke.has_value()) attempt(*r.smoke);
  for (const AuthAttempt& a : r.bogus) attempt(a);
  for (const std::string& p : AuthProblems(auth, r)) all += "\n" + p;
  return all;
}

void ExpectNoSecret(const std::string& text) {
  const std::string plain = std::string("\0smoke@lab.test\0", 16) + kPassword;
  for (const std::string& form :
       {std::string(kPassword), absl::Base64Escape(kPassword), absl::Base64Escape(plain),
        absl::WebSafeBase64Escape(plain)}) {
    // Not the secret itself in the failure message: only which form leaked.
    EXPECT_EQ(text.find(form), std::string::npos)
        << "a form of the password (length " << form.size() << ") is in the report";
  }
}

TEST(SmtpAuthProbeTest, TheSecretNeverAppearsInTheReport) {
  for (AuthMechanism mechanism : {AuthMechanism::kPlain, AuthMechanism::kLogin}) {
    for (bool good : {true, false}) {
      AuthScript s = Script();
      s.echo_in_failure = true;  // a server that repeats what it was sent
      if (!good) s.password = "something-else";
      AuthSmtpServer server(s);
      AuthProbeRequest req = Request();
      req.smoke_mechanism = mechanism;
      AuthProbeReport r = RunAuthProbe(server.endpoint(), req, Options());
      ASSERT_TRUE(r.smoke.has_value());
      EXPECT_EQ(r.smoke->authenticated, good);
      const std::string all = Everything(r, Auth(true));
      ExpectNoSecret(all);
      EXPECT_THAT(all, HasSubstr("<secret>"));
      // The server did get the real thing.
      bool sent = false;
      for (const std::string& c : server.commands()) {
        sent |= c.find(absl::Base64Escape(kPassword)) != std::string::npos ||
                c.find(absl::Base64Escape(std::string("\0smoke@lab.test\0", 16) + kPassword)) !=
                    std::string::npos;
      }
      EXPECT_TRUE(sent);
    }
  }
}

}  // namespace
}  // namespace relayguard::agent
