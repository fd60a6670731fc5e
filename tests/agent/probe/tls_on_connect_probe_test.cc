// TLS on connect (implicit TLS, port 465) in the relay probe, against a loopback SMTP server
// that does a real TLS handshake before its greeting (tests/support/starttls_smtp_server.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "agent/probe/relay_probe.h"
#include "tests/support/starttls_smtp_server.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::StartTlsScript;
using ::relayguard::testing::StartTlsSmtpServer;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;

ProbeOptions ImplicitTls(bool on, std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
  ProbeOptions o;
  o.source = *ParseIpAddress("127.0.0.9");
  o.helo_name = "probe.test";
  o.timeout = timeout;
  o.tls_on_connect = on;
  return o;
}

std::vector<RelayTest> Tests() {
  return BasicRelayTests("a@example.org", "relay-test@example.net");
}

StartTlsScript ImplicitTlsServer(const std::string& rcpt) {
  StartTlsScript script;
  script.tls_on_connect = true;
  script.tls_rcpt = rcpt;
  return script;
}

TEST(TlsOnConnectProbeTest, EveryTestRunsOverTlsFromTheFirstByte) {
  StartTlsSmtpServer server(ImplicitTlsServer("250 2.1.5 Ok\r\n"));
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), ImplicitTls(true));
  EXPECT_EQ(r.verdict, ProbeVerdict::kRelayAccepted);
  EXPECT_TRUE(r.tls_on_connect);
  EXPECT_FALSE(r.starttls_offered);
  ASSERT_EQ(r.tests.size(), 2u);  // one pass: no second pass "after STARTTLS" on port 465
  EXPECT_THAT(r.tests, Each(Field(&RelayTestResult::tls, true)));
  EXPECT_EQ(r.tests[0].tls_session.peer_subject, StartTlsSmtpServer::kSubject);
  ASSERT_GE(r.tests[0].exchanges.size(), 2u);
  EXPECT_EQ(r.tests[0].exchanges[0].command, "(tls-handshake)");
  EXPECT_EQ(r.tests[0].exchanges[1].command, "(connect)");
  EXPECT_EQ(r.tests[0].exchanges[1].code, 220);
  // Every command the server saw came over TLS.
  for (const std::string& c : server.commands()) EXPECT_THAT(c, ::testing::StartsWith("tls: "));
}

TEST(TlsOnConnectProbeTest, AnImplicitTlsListenerThatRefusesIsRefused) {
  StartTlsSmtpServer server(
      ImplicitTlsServer("554 5.7.1 <relay-test@example.net>: Relay access denied\r\n"));
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), ImplicitTls(true));
  EXPECT_EQ(r.verdict, ProbeVerdict::kRefused);
  EXPECT_EQ(server.connections(), 1);
}

TEST(TlsOnConnectProbeTest, APlaintextProbeOfAnImplicitTlsPortIsInconclusiveNeverRefused) {
  StartTlsSmtpServer server(ImplicitTlsServer("250 2.1.5 Ok\r\n"));
  ProbeReport r =
      RunRelayProbe(server.endpoint(), Tests(), ImplicitTls(false, std::chrono::milliseconds(300)));
  EXPECT_EQ(r.verdict, ProbeVerdict::kInconclusive);
  EXPECT_THAT(r.tests[0].detail, HasSubstr("no greeting"));
}

TEST(TlsOnConnectProbeTest, TlsOnConnectToAPlaintextServerIsInconclusiveWithTheReason) {
  StartTlsSmtpServer server(StartTlsScript{});  // greets in plaintext
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), ImplicitTls(true));
  EXPECT_EQ(r.verdict, ProbeVerdict::kInconclusive);
  EXPECT_THAT(r.tests[0].detail,
              HasSubstr("TLS on connect to " + server.endpoint().ToString() + " failed"));
  EXPECT_THAT(r.tests[0].detail, HasSubstr("relaying was not tested"));
}

TEST(TlsOnConnectProbeTest, TheGreetingCheckDoesTheHandshakeFirst) {
  StartTlsSmtpServer server(ImplicitTlsServer("250 2.1.5 Ok\r\n"));
  EXPECT_TRUE(CheckSmtpGreeting(server.endpoint(), ImplicitTls(true)).ok());
  absl::Status plain =
      CheckSmtpGreeting(server.endpoint(), ImplicitTls(false, std::chrono::milliseconds(300)));
  EXPECT_TRUE(absl::IsUnavailable(plain)) << plain;
}

}  // namespace
}  // namespace relayguard::agent
