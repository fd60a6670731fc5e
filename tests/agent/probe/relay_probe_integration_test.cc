// The relay probe against real Postfix instances (deploy/lab/postfix-instance.sh): one open
// relay, one that trusts only 127.0.0.1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/probe/relay_probe.h"
#include "tests/support/postfix_lab.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::RunCommand;
using ::testing::HasSubstr;

ProbeReport Probe(const PostfixLab& lab, const std::string& source) {
  ProbeOptions options;
  options.source = *ParseIpAddress(source);
  options.timeout = std::chrono::seconds(5);
  return RunRelayProbe({*ParseIpAddress("127.0.0.1"), static_cast<uint16_t>(lab.port())},
                       BasicRelayTests("probe@example.org", "relay-test@example.net"), options);
}

TEST(RelayProbeIntegrationTest, OpenPostfixRelaysForAnUntrustedAddress) {
  PostfixLab lab("0.0.0.0/0");
  lab.Start();
  ProbeReport r = Probe(lab, "127.0.0.9");
  EXPECT_EQ(r.verdict, ProbeVerdict::kRelayAccepted);
  for (const RelayTestResult& t : r.tests) {
    EXPECT_EQ(t.verdict, ProbeVerdict::kRelayAccepted) << t.test.name << ": " << t.detail;
    EXPECT_THAT(t.detail, HasSubstr("250 2.1.5 Ok"));
  }
  EXPECT_EQ(r.tests[0].exchanges[0].code, 220);
}

TEST(RelayProbeIntegrationTest, DeferringPostfixIsInconclusiveNotRefused) {
  // Postfix's default defer_unauth_destination answers 454: a 4xx proves nothing either way.
  PostfixLab lab("127.0.0.1/32");
  lab.Start();
  ProbeReport r = Probe(lab, "127.0.0.9");
  EXPECT_EQ(r.verdict, ProbeVerdict::kInconclusive);
  EXPECT_THAT(r.tests[0].detail, HasSubstr("454 4.7.1"));
}

TEST(RelayProbeIntegrationTest, ClosedPostfixRefusesStrangersAndRelaysForTrusted) {
  PostfixLab lab("127.0.0.1/32");
  std::string out;
  ASSERT_EQ(RunCommand({"/usr/sbin/postconf", "-c", lab.config_dir(), "-e",
                        "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"},
                       &out),
            0)
      << out;
  lab.Start();
  ProbeReport untrusted = Probe(lab, "127.0.0.9");
  EXPECT_EQ(untrusted.verdict, ProbeVerdict::kRefused);
  for (const RelayTestResult& t : untrusted.tests) {
    EXPECT_THAT(t.detail, HasSubstr("554 5.7.1")) << t.test.name;
    EXPECT_THAT(t.detail, HasSubstr("Relay access denied")) << t.test.name;
  }
  EXPECT_EQ(Probe(lab, "127.0.0.1").verdict, ProbeVerdict::kRelayAccepted);
  ProbeOptions options;
  options.source = *ParseIpAddress("127.0.0.9");
  EXPECT_TRUE(CheckSmtpGreeting({*ParseIpAddress("127.0.0.1"), static_cast<uint16_t>(lab.port())},
                                options).ok());
}

TEST(RelayProbeIntegrationTest, StoppedPostfixIsInconclusive) {
  PostfixLab lab("0.0.0.0/0");
  ProbeReport r = Probe(lab, "127.0.0.9");
  EXPECT_EQ(r.verdict, ProbeVerdict::kInconclusive);
  EXPECT_THAT(r.tests[0].detail, HasSubstr("Connection refused"));
}

}  // namespace
}  // namespace relayguard::agent
