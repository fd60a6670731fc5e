#include "agent/probe/relay_scan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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
            "target,verdict,trick,mail_from,rcpt_to,trick_verdict,rcpt_reply\n"
            "127.0.0.1:2525,relay-accepted,nmap-07-quoted-address,relaytest@[127.0.0.1],"
            "\"\"\"relay-test@example.net\"\"\",relay-accepted,\"250 2.1.5 Ok, \"\"queued\"\"\"\n");
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
