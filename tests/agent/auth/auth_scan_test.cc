// `scan --auth`'s bogus AUTH tests as extra tests of the relay scan, against scripted servers.
#include "agent/auth/auth_scan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/auth_smtp_server.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::AuthScript;
using ::relayguard::testing::AuthSmtpServer;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

ScanOptions Options() {
  ScanOptions o;
  o.probe.source = *ParseIpAddress("127.0.0.1");
  o.probe.timeout = 5s;
  o.extra_tests = BogusAuthScanTests("relaytest@example.org", "relay-test@example.net");
  return o;
}

std::vector<const RelayTestResult*> BogusRows(const ScanResult& r) {
  std::vector<const RelayTestResult*> rows;
  for (const RelayTestResult& t : r.tests) {
    if (t.test.name.rfind("bogus-auth-", 0) == 0) rows.push_back(&t);
  }
  return rows;
}

TEST(AuthScanTest, ServerThatAcceptsAnyAuthRelaysWithTheReason) {
  AuthScript s;
  s.accept_any = true;
  AuthSmtpServer server(s);
  std::vector<ScanResult> results = RunRelayScan({server.endpoint()}, Options());
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].verdict, ProbeVerdict::kRelayAccepted);
  EXPECT_EQ(results[0].reason, "accepts bogus AUTH (unknown-user)");
  std::vector<const RelayTestResult*> rows = BogusRows(results[0]);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]->test.name, "bogus-auth-unknown-user");
  EXPECT_EQ(rows[1]->test.name, "bogus-auth-malformed-plain");
  EXPECT_EQ(rows[2]->test.name, "bogus-auth-unsupported-mechanism");
  for (const RelayTestResult* t : rows) {
    EXPECT_EQ(t->verdict, ProbeVerdict::kRelayAccepted) << t->test.name << ": " << t->detail;
    EXPECT_THAT(t->detail, HasSubstr("accepts bogus AUTH ("));
  }
  // The tricks themselves (no AUTH) were refused: the verdict comes from AUTH alone.
  for (const RelayTestResult& t : results[0].tests) {
    if (t.test.name.rfind("bogus-auth-", 0) != 0) {
      EXPECT_EQ(t.verdict, ProbeVerdict::kRefused) << t.test.name;
    }
  }
  EXPECT_THAT(ScanTable(results), HasSubstr("accepts bogus AUTH (unknown-user)"));
  EXPECT_THAT(ScanJson(results), HasSubstr("\"reason\":\"accepts bogus AUTH (unknown-user)\""));
  EXPECT_THAT(ScanJson(results), HasSubstr("\"name\":\"bogus-auth-malformed-plain\""));
}

TEST(AuthScanTest, RelayingAfterARefusedAuthIsRelaying) {
  AuthScript s;
  s.password = "nobody-knows";
  s.relay_after_failed_auth = true;
  AuthSmtpServer server(s);
  std::vector<ScanResult> results = RunRelayScan({server.endpoint()}, Options());
  EXPECT_EQ(results[0].verdict, ProbeVerdict::kRelayAccepted);
  EXPECT_THAT(results[0].reason, HasSubstr("accepts bogus AUTH ("));
}

TEST(AuthScanTest, ClosedServerStaysRefusedAndNoAuthMeansNoExtraRows) {
  AuthScript s;
  s.password = "nobody-knows";
  s.offer_starttls = true;
  s.auth_before_tls = false;
  AuthSmtpServer server(s);
  std::vector<ScanResult> results = RunRelayScan({server.endpoint()}, Options());
  EXPECT_EQ(results[0].verdict, ProbeVerdict::kRefused);
  EXPECT_EQ(results[0].reason, "");
  std::vector<const RelayTestResult*> rows = BogusRows(results[0]);
  ASSERT_EQ(rows.size(), 3u);
  for (const RelayTestResult* t : rows) {
    EXPECT_EQ(t->verdict, ProbeVerdict::kRefused) << t->detail;
    EXPECT_TRUE(t->tls) << t->test.name;  // after STARTTLS, where AUTH is offered
  }
  EXPECT_THAT(ScanJson(results), Not(HasSubstr("\"reason\"")));

  ScanOptions plain = Options();
  plain.extra_tests = nullptr;
  results = RunRelayScan({server.endpoint()}, plain);
  EXPECT_TRUE(BogusRows(results[0]).empty());
}

TEST(AuthScanTest, UnreachableProbeGivesInconclusiveRows) {
  AuthProbeReport report;
  report.inconclusive = true;
  report.error = "127.0.0.1:1: connection refused";
  std::vector<ScanExtraTest> rows = BogusAuthScanResults(report, "a@b.c", "d@e.f");
  ASSERT_EQ(rows.size(), 3u);
  for (const ScanExtraTest& e : rows) {
    EXPECT_EQ(e.result.verdict, ProbeVerdict::kInconclusive);
    EXPECT_EQ(e.result.detail, report.error);
    EXPECT_EQ(e.reason, "");
  }
}

}  // namespace
}  // namespace relayguard::agent
