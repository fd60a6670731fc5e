#include "agent/probe/relay_scan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/probe/relay_tricks.h"
#include "tests/support/starttls_smtp_server.h"

namespace relayguard::agent {
namespace {

using ::testing::HasSubstr;

std::vector<ScanResult> OneResult() {
  ScanResult r;
  r.endpoint = {*ParseIpAddress("127.0.0.1"), 2525};
  r.verdict = ProbeVerdict::kRelayAccepted;
  RelayTestResult t;
  t.test = {"nmap-07-quoted-address", "relaytest@[127.0.0.1]", "\"relay-test@example.net\""};
  t.verdict = ProbeVerdict::kRelayAccepted;
  t.exchanges = {{"RCPT TO:<\"relay-test@example.net\">", "250 2.1.5 Ok, \"queued\"", 250}};
  r.tests = {t};
  return {r};
}

TEST(RelayScanOutputTest, CsvQuotesFieldsWithCommasAndQuotes) {
  EXPECT_EQ(ScanCsv(OneResult()),
            "target,verdict,trick,mail_from,rcpt_to,trick_verdict,rcpt_reply,tls,tls_protocol\n"
            "127.0.0.1:2525,relay-accepted,nmap-07-quoted-address,relaytest@[127.0.0.1],"
            "\"\"\"relay-test@example.net\"\"\",relay-accepted,\"250 2.1.5 Ok, \"\"queued\"\"\",no,"
            "\n");
}

// The same trick refused in plaintext and relayed after STARTTLS, as a kBoth scan reports it.
std::vector<ScanResult> RelayOnlyOverTls() {
  std::vector<ScanResult> results = OneResult();
  RelayTestResult& plain = results[0].tests[0];
  plain.verdict = ProbeVerdict::kRefused;
  plain.exchanges = {{"RCPT TO:<\"relay-test@example.net\">", "554 5.7.1 denied", 554}};
  RelayTestResult tls = OneResult()[0].tests[0];
  tls.tls = true;
  tls.tls_session = {"TLSv1.3", "TLS_AES_256_GCM_SHA384", "CN=mx.lab.test"};
  results[0].tests.push_back(tls);
  return results;
}

TEST(RelayScanOutputTest, CsvAppendsTheTlsColumnsPerTrick) {
  const std::string csv = ScanCsv(RelayOnlyOverTls());
  EXPECT_THAT(csv, HasSubstr(",\"\"\"relay-test@example.net\"\"\",refused,554 5.7.1 denied,no,\n"));
  EXPECT_THAT(csv, HasSubstr(",relay-accepted,\"250 2.1.5 Ok, \"\"queued\"\"\",yes,TLSv1.3\n"));
}

TEST(RelayScanOutputTest, JsonAndTableSayWhichTrickRanOverTls) {
  const std::string json = ScanJson(RelayOnlyOverTls());
  EXPECT_THAT(json, HasSubstr("\"tls\":false}"));
  EXPECT_THAT(json, HasSubstr("\"tls\":true,\"tls_protocol\":\"TLSv1.3\","
                              "\"tls_cipher\":\"TLS_AES_256_GCM_SHA384\","
                              "\"tls_peer_subject\":\"CN=mx.lab.test\"}"));
  const std::string table = ScanTable(RelayOnlyOverTls());
  EXPECT_THAT(table, HasSubstr("FIRST ACCEPTED TRICK / REASON"));
  EXPECT_THAT(table, HasSubstr("  TLS\n"));
  EXPECT_THAT(table, HasSubstr("nmap-07-quoted-address (TLS)"));
  EXPECT_THAT(table, HasSubstr("  TLSv1.3\n"));
  // Without STARTTLS the last column says it was not tried.
  EXPECT_THAT(ScanTable(OneResult()), HasSubstr("  -\n"));
}

TEST(RelayScanTest, BothFindsARelayOnlyAfterStartTlsWithEveryTrickEachWay) {
  relayguard::testing::StartTlsSmtpServer server(relayguard::testing::StartTlsScript{});
  ScanOptions options;
  EXPECT_EQ(options.probe.starttls, StartTls::kBoth);
  options.probe.source = *ParseIpAddress("127.0.0.9");
  options.probe.timeout = std::chrono::seconds(2);
  options.concurrency = 2;
  std::vector<ScanResult> results = RunRelayScan({server.endpoint()}, options);
  ASSERT_EQ(results.size(), 1u);
  const ScanResult& r = results[0];
  EXPECT_EQ(r.verdict, ProbeVerdict::kRelayAccepted);
  RelayTrickDomains domains;
  domains.target_ip = "127.0.0.1";
  domains.target_host = "[127.0.0.1]";
  const std::vector<RelayTest> tricks = AllRelayTricks(domains);
  ASSERT_EQ(r.tests.size(), 2 * tricks.size());
  for (size_t i = 0; i < tricks.size(); ++i) {
    const RelayTestResult& plain = r.tests[i];
    const RelayTestResult& tls = r.tests[tricks.size() + i];
    EXPECT_EQ(plain.test.name, tricks[i].name);
    EXPECT_EQ(tls.test.name, tricks[i].name);
    EXPECT_FALSE(plain.tls);
    EXPECT_TRUE(tls.tls);
    // The server accepts every MAIL; it refuses every RCPT in plaintext, accepts it after TLS.
    EXPECT_EQ(plain.verdict, ProbeVerdict::kRefused) << plain.test.name << ": " << plain.detail;
    EXPECT_EQ(tls.verdict, ProbeVerdict::kRelayAccepted) << tls.test.name << ": " << tls.detail;
    EXPECT_EQ(tls.tls_session.protocol, "TLSv1.3") << tls.test.name;
  }
  EXPECT_THAT(ScanTable(results), HasSubstr("nmap-01-null-sender (TLS)"));
}

TEST(RelayScanTest, TargetsOnTlsOnConnectPortsAreScannedOverTlsFromTheFirstByte) {
  relayguard::testing::StartTlsScript script;
  script.tls_on_connect = true;  // an SMTPS port that relays for anyone
  relayguard::testing::StartTlsSmtpServer smtps(script);
  relayguard::testing::StartTlsSmtpServer plain(relayguard::testing::StartTlsScript{});
  ScanOptions options;
  options.probe.source = *ParseIpAddress("127.0.0.9");
  options.probe.timeout = std::chrono::seconds(2);
  options.probe.starttls = StartTls::kOff;
  options.tls_on_connect_ports = {smtps.endpoint().port};
  std::vector<ScanResult> results = RunRelayScan({smtps.endpoint(), plain.endpoint()}, options);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].tls_on_connect);
  EXPECT_EQ(results[0].verdict, ProbeVerdict::kRelayAccepted);
  for (const RelayTestResult& t : results[0].tests) {
    EXPECT_TRUE(t.tls) << t.test.name;
    EXPECT_EQ(t.tls_session.protocol, "TLSv1.3") << t.test.name;
  }
  // The plaintext target (STARTTLS off) refuses every RCPT: its port is not a TLS-on-connect one.
  EXPECT_FALSE(results[1].tls_on_connect);
  EXPECT_EQ(results[1].verdict, ProbeVerdict::kRefused);
  EXPECT_THAT(ScanJson(results), HasSubstr("\"tls_on_connect\":true}"));
  EXPECT_THAT(ScanJson(results), HasSubstr("\"tls_on_connect\":false}"));
}

TEST(RelayScanOutputTest, TableAndJsonNameTheTargetVerdictAndTrick) {
  EXPECT_THAT(ScanTable(OneResult()), HasSubstr("127.0.0.1:2525             relay-accepted"));
  EXPECT_THAT(ScanTable(OneResult()), HasSubstr("nmap-07-quoted-address"));
  const std::string json = ScanJson(OneResult());
  EXPECT_THAT(json, HasSubstr("\"target\":\"127.0.0.1:2525\""));
  EXPECT_THAT(json, HasSubstr("\"rcpt_to\":\"\\\"relay-test@example.net\\\"\""));
}

TEST(RelayScanTest, AnUnreachableTargetIsInconclusiveWithTheReason) {
  ScanOptions options;
  options.probe.source = *ParseIpAddress("127.0.0.1");
  options.probe.timeout = std::chrono::milliseconds(500);
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  std::vector<ScanResult> results = RunRelayScan({{*ParseIpAddress("127.0.0.1"), 1}}, options);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].verdict, ProbeVerdict::kInconclusive);
  ASSERT_FALSE(results[0].tests.empty());
  EXPECT_THAT(results[0].tests[0].detail, HasSubstr("127.0.0.1:1"));
}

}  // namespace
}  // namespace relayguard::agent
