// STARTTLS in the relay probe against real Postfix 3.7 instances (tests/support/postfix_lab.h)
// with TLS turned on at run time (tests/support/postfix_tls.h: smtpd_tls_security_level = may,
// a self-signed certificate made by the openssl command for the test), on loopback ports chosen
// at run time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "agent/probe/relay_probe.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/postfix_tls.h"
#include "tests/support/wait.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::RunCommand;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class StartTlsIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access("/usr/sbin/postfix", X_OK), 0)
        << "Postfix is not installed: these tests need a real Postfix 3.7";
    ASSERT_EQ(access("/usr/bin/openssl", X_OK), 0) << "the openssl command is needed";
    ASSERT_EQ(geteuid(), 0u) << "the Postfix lab instances must be started as root";
  }
  void TearDown() override { labs_.clear(); }

  // A started instance with `settings` (postconf -e lines) and TLS on
  // (tests/support/postfix_tls.h).
  PostfixLab& StartWithTls(const std::string& mynetworks,
                           const std::vector<std::string>& settings) {
    labs_.push_back(std::make_unique<PostfixLab>(mynetworks));
    PostfixLab& lab = *labs_.back();
    lab.Start();
    EXPECT_EQ(::relayguard::testing::EnablePostfixStartTls(lab, settings), "");
    // The reload is asynchronous: wait until new sessions offer STARTTLS.
    EXPECT_TRUE(::relayguard::testing::WaitFor(
        [&] { return Probe(lab, StartTls::kOff).starttls_offered; }, std::chrono::seconds(20)))
        << "Postfix did not offer STARTTLS after the reload";
    return lab;
  }

  static ProbeReport Probe(const PostfixLab& lab, StartTls mode) {
    ProbeOptions options;
    options.source = *ParseIpAddress("127.0.0.9");
    options.timeout = std::chrono::seconds(5);
    options.starttls = mode;
    return RunRelayProbe({*ParseIpAddress("127.0.0.1"), static_cast<uint16_t>(lab.port())},
                         BasicRelayTests("probe@example.org", "relay-test@example.net"), options);
  }

  static std::string Maillog(const PostfixLab& lab) {
    std::ifstream in(lab.dir() + "/maillog");
    std::stringstream log;
    log << in.rdbuf();
    return log.str();
  }

  // Checks that the tests over TLS really ran on a negotiated session with the lab's
  // certificate, after STARTTLS and a second EHLO.
  static void ExpectNegotiated(const ProbeReport& r) {
    ASSERT_EQ(r.tests.size(), 4u);
    EXPECT_TRUE(r.starttls_offered);
    EXPECT_EQ(r.tls_failure, "");
    for (int i : {0, 1}) EXPECT_FALSE(r.tests[i].tls) << i;
    for (int i : {2, 3}) {
      const RelayTestResult& t = r.tests[i];
      EXPECT_TRUE(t.tls) << i;
      EXPECT_THAT(t.tls_session.protocol, StartsWith("TLSv1.")) << i;
      EXPECT_FALSE(t.tls_session.cipher.empty()) << i;
      EXPECT_EQ(t.tls_session.peer_subject, "CN=mx.lab.test") << i;
    }
    const std::vector<SmtpExchange>& e = r.tests[2].exchanges;
    ASSERT_GE(e.size(), 5u);
    EXPECT_EQ(e[2].command, "STARTTLS");
    EXPECT_EQ(e[2].code, 220);
    EXPECT_THAT(e[2].reply, HasSubstr("Ready to start TLS"));
    EXPECT_EQ(e[3].command, "(tls-handshake)");
    EXPECT_THAT(e[3].reply, HasSubstr("peer CN=mx.lab.test"));
    EXPECT_EQ(e[4].command, "EHLO relayguard-probe.invalid");
    EXPECT_EQ(e[4].code, 250);
    EXPECT_THAT(e[1].reply, HasSubstr("STARTTLS"));
    EXPECT_THAT(e[4].reply, ::testing::Not(HasSubstr("STARTTLS"))) << "EHLO after TLS";
    for (const RelayTestResult& t : r.tests) {
      for (const SmtpExchange& x : t.exchanges) EXPECT_NE(x.command.rfind("DATA", 0), 0u);
    }
  }

 private:
  std::vector<std::unique_ptr<PostfixLab>> labs_;
};

TEST_F(StartTlsIntegrationTest, OpenPostfixRelaysInBothPassesOverANegotiatedSession) {
  PostfixLab& lab = StartWithTls("0.0.0.0/0", {});
  const auto start = std::chrono::steady_clock::now();
  ProbeReport r = Probe(lab, StartTls::kBoth);
  const auto both_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  ExpectNegotiated(r);
  EXPECT_EQ(r.verdict, ProbeVerdict::kRelayAccepted);
  for (const RelayTestResult& t : r.tests) {
    EXPECT_EQ(t.verdict, ProbeVerdict::kRelayAccepted) << t.test.name << " tls=" << t.tls;
    EXPECT_EQ(t.detail, "RCPT accepted with 250 2.1.5 Ok") << t.test.name;
  }
  // Postfix itself logged the TLS session of the probe's source address.
  EXPECT_TRUE(::relayguard::testing::WaitFor(
      [&] {
        return Maillog(lab).find("TLS connection established from unknown[127.0.0.9]") !=
               std::string::npos;
      },
      std::chrono::seconds(3)))
      << Maillog(lab);
  const auto plain_start = std::chrono::steady_clock::now();
  ProbeReport off = Probe(lab, StartTls::kOff);
  const auto off_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - plain_start);
  EXPECT_EQ(off.tests.size(), 2u);
  EXPECT_EQ(off.verdict, ProbeVerdict::kRelayAccepted);
  RecordProperty("probe_both_ms", static_cast<int>(both_ms.count()));
  RecordProperty("probe_off_ms", static_cast<int>(off_ms.count()));
  std::printf("probe against Postfix with TLS: both %lld ms, plaintext only %lld ms\n",
              static_cast<long long>(both_ms.count()), static_cast<long long>(off_ms.count()));
}

TEST_F(StartTlsIntegrationTest, ClosedPostfixRefusesInBothPasses) {
  PostfixLab& lab = StartWithTls(
      "127.0.0.1/32", {"smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"});
  ProbeReport r = Probe(lab, StartTls::kBoth);
  ExpectNegotiated(r);
  EXPECT_EQ(r.verdict, ProbeVerdict::kRefused);
  for (const RelayTestResult& t : r.tests) {
    EXPECT_EQ(t.verdict, ProbeVerdict::kRefused) << t.test.name << " tls=" << t.tls;
    EXPECT_THAT(t.detail, HasSubstr("RCPT refused with 554 5.7.1")) << t.test.name;
    EXPECT_THAT(t.detail, HasSubstr("Relay access denied")) << t.test.name;
  }
}

// A relay that opens only inside TLS: plaintext is rejected, then everyone may relay
// (check_client_access static:OK comes before reject_unauth_destination, which Postfix insists
// on seeing). The plaintext probe says closed; only the pass after STARTTLS finds it.
TEST_F(StartTlsIntegrationTest, PostfixThatRelaysOnlyAfterStartTlsIsFoundOnlyByTheTlsPass) {
  PostfixLab& lab = StartWithTls(
      "127.0.0.1/32", {"smtpd_relay_restrictions = reject_plaintext_session, "
                       "check_client_access static:OK, reject_unauth_destination",
                       "plaintext_reject_code = 554"});
  ProbeReport off = Probe(lab, StartTls::kOff);
  EXPECT_EQ(off.verdict, ProbeVerdict::kRefused);
  ProbeReport both = Probe(lab, StartTls::kBoth);
  ExpectNegotiated(both);
  EXPECT_EQ(both.verdict, ProbeVerdict::kRelayAccepted);
  for (const RelayTestResult& t : both.tests) {
    EXPECT_EQ(t.verdict, t.tls ? ProbeVerdict::kRelayAccepted : ProbeVerdict::kRefused)
        << t.test.name << " tls=" << t.tls << ": " << t.detail;
  }
  EXPECT_EQ(Probe(lab, StartTls::kWhenOffered).verdict, ProbeVerdict::kRelayAccepted);
}

}  // namespace
}  // namespace relayguard::agent
