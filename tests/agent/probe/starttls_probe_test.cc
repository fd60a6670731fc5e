// STARTTLS in the relay probe and its SMTP client, against a loopback SMTP server that does a
// real TLS handshake (tests/support/starttls_smtp_server.h) and relays only after TLS.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "agent/probe/relay_probe.h"
#include "agent/probe/smtp_client.h"
#include "tests/support/starttls_smtp_server.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::StartTlsScript;
using ::relayguard::testing::StartTlsSmtpServer;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

ProbeOptions Options(StartTls mode, std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
  ProbeOptions o;
  o.source = *ParseIpAddress("127.0.0.9");
  o.helo_name = "probe.test";
  o.timeout = timeout;
  o.starttls = mode;
  return o;
}

std::vector<RelayTest> Tests() { return BasicRelayTests("a@example.org", "relay-test@example.net"); }

std::vector<std::string> Commands(const RelayTestResult& result) {
  std::vector<std::string> out;
  for (const SmtpExchange& e : result.exchanges) out.push_back(e.command);
  return out;
}

// Which pass relayed: "plaintext", "tls", "both" or "none".
std::string RelayedIn(const ProbeReport& r) {
  bool plain = false, tls = false;
  for (const RelayTestResult& t : r.tests) {
    if (t.verdict != ProbeVerdict::kRelayAccepted) continue;
    (t.tls ? tls : plain) = true;
  }
  return plain && tls ? "both" : plain ? "plaintext" : tls ? "tls" : "none";
}

TEST(StartTlsOptionsTest, NamesParseBackAndTheDefaultTestsBothWays) {
  for (StartTls mode : {StartTls::kOff, StartTls::kWhenOffered, StartTls::kBoth}) {
    absl::StatusOr<StartTls> parsed = ParseStartTls(StartTlsName(mode));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, mode);
  }
  EXPECT_STREQ(StartTlsName(StartTls::kWhenOffered), "when-offered");
  absl::StatusOr<StartTls> bad = ParseStartTls("yes");
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_THAT(bad.status().message(), HasSubstr("off, when-offered, both"));
  EXPECT_EQ(ProbeOptions{}.starttls, StartTls::kBoth);
}

TEST(StartTlsProbeTest, BothFindsARelayThatOpensOnlyAfterStartTls) {
  StartTlsSmtpServer server(StartTlsScript{});
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options(StartTls::kBoth));
  EXPECT_EQ(r.verdict, ProbeVerdict::kRelayAccepted);
  EXPECT_EQ(RelayedIn(r), "tls");
  EXPECT_TRUE(r.starttls_offered);
  EXPECT_EQ(r.tls_failure, "");
  ASSERT_EQ(r.tests.size(), 4u);  // the two tests in plaintext, then again over TLS
  for (int i : {0, 1}) {
    EXPECT_FALSE(r.tests[i].tls);
    EXPECT_EQ(r.tests[i].verdict, ProbeVerdict::kRefused) << r.tests[i].detail;
    EXPECT_THAT(r.tests[i].detail, HasSubstr("Relay access denied"));
    EXPECT_EQ(r.tests[i].tls_session.protocol, "");
  }
  for (int i : {2, 3}) {
    const RelayTestResult& t = r.tests[i];
    EXPECT_TRUE(t.tls);
    EXPECT_EQ(t.verdict, ProbeVerdict::kRelayAccepted) << t.detail;
    EXPECT_EQ(t.detail, "RCPT accepted with 250 2.1.5 Ok");
    EXPECT_EQ(t.tls_session.protocol, "TLSv1.3");
    EXPECT_FALSE(t.tls_session.cipher.empty());
    EXPECT_EQ(t.tls_session.peer_subject, StartTlsSmtpServer::kSubject);
  }
  EXPECT_EQ(r.tests[2].test.name, "plain-third-party");
  // STARTTLS and its reply are recorded, the handshake with what it negotiated, then EHLO again.
  const RelayTestResult& first_tls = r.tests[2];
  EXPECT_THAT(Commands(first_tls),
              ElementsAre("(connect)", "EHLO probe.test", "STARTTLS", "(tls-handshake)",
                          "EHLO probe.test", "MAIL FROM:<a@example.org>",
                          "RCPT TO:<relay-test@example.net>", "RSET"));
  EXPECT_EQ(first_tls.exchanges[1].reply, "250-starttls.test\n250-STARTTLS\n250 8BITMIME");
  EXPECT_EQ(first_tls.exchanges[2].reply, "220 2.0.0 Ready to start TLS");
  EXPECT_EQ(first_tls.exchanges[2].code, 220);
  EXPECT_THAT(first_tls.exchanges[3].reply, HasSubstr("TLSv1.3 "));
  EXPECT_THAT(first_tls.exchanges[3].reply, HasSubstr("peer CN=starttls.test"));
  EXPECT_EQ(first_tls.exchanges[4].reply, "250-starttls.test\n250 8BITMIME");
  // The server saw the whole TLS session encrypted, starting with the new EHLO; no DATA.
  const std::vector<std::string> seen = server.commands();
  EXPECT_THAT(seen, Contains("tls: EHLO probe.test"));
  EXPECT_THAT(seen, Contains("tls: RCPT TO:<relay-test@example.net>"));
  EXPECT_THAT(seen, Contains("tls: QUIT"));
  EXPECT_THAT(seen, Not(Contains(HasSubstr("DATA"))));
  EXPECT_EQ(server.connections(), 2);
}

TEST(StartTlsProbeTest, OffNeverSaysStartTlsAndSeesOnlyTheClosedPlaintextSide) {
  StartTlsSmtpServer server(StartTlsScript{});
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options(StartTls::kOff));
  EXPECT_EQ(r.verdict, ProbeVerdict::kRefused);
  EXPECT_EQ(RelayedIn(r), "none");
  ASSERT_EQ(r.tests.size(), 2u);
  for (const RelayTestResult& t : r.tests) EXPECT_FALSE(t.tls);
  EXPECT_TRUE(r.starttls_offered);  // seen, not used
  EXPECT_THAT(server.commands(), Not(Contains("STARTTLS")));
  EXPECT_EQ(server.connections(), 1);
}

TEST(StartTlsProbeTest, WhenOfferedRunsTheTestsOnlyOverTls) {
  StartTlsSmtpServer server(StartTlsScript{});
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options(StartTls::kWhenOffered));
  EXPECT_EQ(r.verdict, ProbeVerdict::kRelayAccepted);
  ASSERT_EQ(r.tests.size(), 2u);
  for (const RelayTestResult& t : r.tests) {
    EXPECT_TRUE(t.tls);
    EXPECT_EQ(t.verdict, ProbeVerdict::kRelayAccepted) << t.detail;
    EXPECT_EQ(t.tls_session.peer_subject, StartTlsSmtpServer::kSubject);
  }
  EXPECT_THAT(server.commands(), Not(Contains("RCPT TO:<relay-test@example.net>")));
  EXPECT_EQ(server.connections(), 1);
}

TEST(StartTlsProbeTest, NotOfferedMeansThePlaintextProbeAlone) {
  StartTlsScript script;
  script.offer_starttls = false;
  StartTlsSmtpServer server(script);
  for (StartTls mode : {StartTls::kBoth, StartTls::kWhenOffered}) {
    ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options(mode));
    EXPECT_EQ(r.verdict, ProbeVerdict::kRefused) << StartTlsName(mode);
    EXPECT_FALSE(r.starttls_offered);
    ASSERT_EQ(r.tests.size(), 2u) << StartTlsName(mode);
    for (const RelayTestResult& t : r.tests) EXPECT_FALSE(t.tls);
  }
  EXPECT_THAT(server.commands(), Not(Contains("STARTTLS")));
  EXPECT_EQ(server.connections(), 2);
}

TEST(StartTlsProbeTest, StartTls454MakesOnlyTheTlsPassInconclusive) {
  StartTlsScript script;
  script.starttls_reply = "454 4.7.0 TLS not available due to local problem\r\n";
  StartTlsSmtpServer server(script);
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options(StartTls::kBoth));
  ASSERT_EQ(r.tests.size(), 4u);
  EXPECT_EQ(r.tests[0].verdict, ProbeVerdict::kRefused);
  EXPECT_EQ(r.tests[1].verdict, ProbeVerdict::kRefused);
  for (int i : {2, 3}) {
    const RelayTestResult& t = r.tests[i];
    EXPECT_TRUE(t.tls);
    EXPECT_EQ(t.verdict, ProbeVerdict::kInconclusive);
    EXPECT_EQ(t.detail,
              "STARTTLS was offered but answered 454 4.7.0 TLS not available due to local "
              "problem; relaying over TLS was not tested");
    EXPECT_EQ(t.tls_session.protocol, "");
  }
  EXPECT_EQ(r.tests[2].exchanges[2].command, "STARTTLS");
  EXPECT_EQ(r.tests[2].exchanges[2].code, 454);
  EXPECT_TRUE(r.tests[3].exchanges.empty()) << "STARTTLS is not tried again for each test";
  EXPECT_THAT(r.tls_failure, HasSubstr("454 4.7.0"));
  // Nobody can relay over a TLS session that cannot be had: the plaintext verdict stands.
  EXPECT_EQ(r.verdict, ProbeVerdict::kRefused);
  EXPECT_EQ(server.connections(), 2);
  EXPECT_THAT(server.commands(), Not(Contains(HasSubstr("tls: "))));
}

TEST(StartTlsProbeTest, WhenOfferedFallsBackToPlaintextAfterA454) {
  StartTlsScript script;
  script.starttls_reply = "454 4.7.0 TLS not available\r\n";
  StartTlsSmtpServer server(script);
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options(StartTls::kWhenOffered));
  EXPECT_EQ(r.verdict, ProbeVerdict::kRefused);
  ASSERT_EQ(r.tests.size(), 2u);
  for (const RelayTestResult& t : r.tests) {
    EXPECT_FALSE(t.tls);
    EXPECT_EQ(t.verdict, ProbeVerdict::kRefused) << t.detail;
  }
  EXPECT_THAT(r.tls_failure, HasSubstr("454 4.7.0 TLS not available"));
  EXPECT_THAT(Commands(r.tests[0]), ElementsAre("(connect)", "EHLO probe.test", "STARTTLS",
                                                "(connect)", "EHLO probe.test",
                                                "MAIL FROM:<a@example.org>",
                                                "RCPT TO:<relay-test@example.net>", "RSET"));
}

TEST(StartTlsProbeTest, ServerClosingAfter220IsAFailedHandshakeNotAFailedProbe) {
  StartTlsScript script;
  script.after = StartTlsScript::After::kClose;
  StartTlsSmtpServer server(script);
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options(StartTls::kBoth));
  ASSERT_EQ(r.tests.size(), 4u);
  EXPECT_EQ(r.verdict, ProbeVerdict::kRefused);
  const RelayTestResult& t = r.tests[2];
  EXPECT_EQ(t.verdict, ProbeVerdict::kInconclusive);
  EXPECT_EQ(t.detail,
            "STARTTLS was offered and accepted, but the TLS handshake failed: the server closed "
            "the connection; relaying over TLS was not tested");
  ASSERT_GE(t.exchanges.size(), 4u);
  EXPECT_EQ(t.exchanges[3].command, "(tls-handshake)");
  EXPECT_EQ(t.exchanges[3].reply, "(TLS handshake failed: the server closed the connection)");
  EXPECT_EQ(r.tests[3].verdict, ProbeVerdict::kInconclusive);
  EXPECT_EQ(r.tests[3].detail, t.detail);
}

TEST(StartTlsProbeTest, AHandshakeThatNeverCompletesEndsWithinTheTimeout) {
  StartTlsScript script;
  script.after = StartTlsScript::After::kStall;
  StartTlsSmtpServer server(script);
  const auto start = std::chrono::steady_clock::now();
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(),
                                Options(StartTls::kBoth, std::chrono::milliseconds(300)));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(r.tests.size(), 4u);
  EXPECT_EQ(r.tests[2].verdict, ProbeVerdict::kInconclusive);
  EXPECT_EQ(r.tests[2].detail,
            "STARTTLS was offered and accepted, but the TLS handshake did not complete within "
            "300 ms; relaying over TLS was not tested");
  EXPECT_EQ(r.verdict, ProbeVerdict::kRefused);
  // One handshake waited for (not one per test), and not much longer than its timeout.
  EXPECT_GE(took, std::chrono::milliseconds(290));
  EXPECT_LT(took, std::chrono::milliseconds(1500));
}

TEST(SmtpClientStartTlsTest, RefusesPlaintextSentAfterThe220) {
  // Bytes the server sends right behind its 220 would pass for TLS-protected (RFC 3207 sec. 6).
  StartTlsScript script;
  script.starttls_reply = "220 2.0.0 go ahead\r\n250 injected\r\n";
  StartTlsSmtpServer server(script);
  SmtpClient client;
  const auto timeout = std::chrono::milliseconds(1000);
  ASSERT_TRUE(client.Connect(server.endpoint(), *ParseIpAddress("127.0.0.1"), timeout).ok());
  ASSERT_EQ(client.ReadReply(timeout)->code, 220);
  ASSERT_TRUE(client.SendCommand("STARTTLS").ok());
  ASSERT_EQ(client.ReadReply(timeout)->code, 220);
  absl::StatusOr<TlsSessionInfo> session = client.StartTls(timeout);
  EXPECT_TRUE(absl::IsFailedPrecondition(session.status())) << session.status();
  EXPECT_THAT(session.status().message(), HasSubstr("before the TLS handshake"));
  EXPECT_FALSE(client.tls());
}

TEST(SmtpClientStartTlsTest, TalksSmtpOverTheUpgradedConnection) {
  StartTlsSmtpServer server(StartTlsScript{});
  SmtpClient client;
  const auto timeout = std::chrono::milliseconds(1000);
  EXPECT_TRUE(absl::IsFailedPrecondition(client.StartTls(timeout).status()));
  ASSERT_TRUE(client.Connect(server.endpoint(), *ParseIpAddress("127.0.0.1"), timeout).ok());
  ASSERT_EQ(client.ReadReply(timeout)->code, 220);
  ASSERT_TRUE(client.SendCommand("STARTTLS").ok());
  ASSERT_EQ(client.ReadReply(timeout)->code, 220);
  absl::StatusOr<TlsSessionInfo> session = client.StartTls(timeout);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_TRUE(client.tls());
  EXPECT_EQ(session->peer_subject, StartTlsSmtpServer::kSubject);
  EXPECT_TRUE(absl::IsFailedPrecondition(client.StartTls(timeout).status()));
  ASSERT_TRUE(client.SendCommand("EHLO x").ok());
  absl::StatusOr<SmtpReply> ehlo = client.ReadReply(timeout);
  ASSERT_TRUE(ehlo.ok()) << ehlo.status();
  EXPECT_EQ(ehlo->text, "250-starttls.test\n250 8BITMIME");
  ASSERT_TRUE(client.SendCommand("QUIT").ok());
  EXPECT_EQ(client.ReadReply(timeout)->code, 221);
  EXPECT_TRUE(absl::IsUnavailable(client.ReadReply(timeout).status()));
  EXPECT_THAT(server.commands(), ElementsAre("STARTTLS", "tls: EHLO x", "tls: QUIT"));
}

}  // namespace
}  // namespace relayguard::agent
