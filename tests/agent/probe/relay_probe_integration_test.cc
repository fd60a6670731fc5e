// The relay probe against real Postfix 3.7 instances (deploy/lab/postfix-instance.sh through
// tests/support/postfix_lab.h) on loopback ports chosen at run time: one open relay, one that
// trusts only 127.0.0.1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/probe/relay_probe.h"
#include "tests/support/postfix_lab.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::RunCommand;
using ::testing::HasSubstr;

class RelayProbeIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access("/usr/sbin/postfix", X_OK), 0)
        << "Postfix is not installed: these tests need a real Postfix 3.7 (apt-get install "
           "postfix; the system instance need not run)";
    ASSERT_EQ(geteuid(), 0u) << "the Postfix lab instances must be started as root";
  }
  // Stops every instance and removes its temp dir.
  void TearDown() override { labs_.clear(); }

  // A sandboxed instance on a free loopback port, created but not started.
  PostfixLab& NewLab(const std::string& mynetworks) {
    labs_.push_back(std::make_unique<PostfixLab>(mynetworks));
    return *labs_.back();
  }

  static SmtpEndpoint Endpoint(const PostfixLab& lab) {
    return {*ParseIpAddress("127.0.0.1"), static_cast<uint16_t>(lab.port())};
  }

  static ProbeOptions Options(const std::string& source) {
    ProbeOptions options;
    options.source = *ParseIpAddress(source);
    options.timeout = std::chrono::seconds(5);
    return options;
  }

  static ProbeReport Probe(const PostfixLab& lab, const std::string& source) {
    return RunRelayProbe(Endpoint(lab),
                         BasicRelayTests("probe@example.org", "relay-test@example.net"),
                         Options(source));
  }

  // Waits (up to 3 s) for `text` in the instance's maillog; postlogd writes asynchronously.
  static bool MaillogMentions(const PostfixLab& lab, const std::string& text) {
    for (int i = 0; i < 60; ++i) {
      std::ifstream in(lab.dir() + "/maillog");
      std::stringstream log;
      log << in.rdbuf();
      if (log.str().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

 private:
  std::vector<std::unique_ptr<PostfixLab>> labs_;
};

void ExpectNoData(const ProbeReport& report) {
  for (const RelayTestResult& t : report.tests) {
    for (const SmtpExchange& e : t.exchanges) EXPECT_NE(e.command.rfind("DATA", 0), 0u);
  }
}

TEST_F(RelayProbeIntegrationTest, OpenPostfixRelaysForAnUntrustedAddress) {
  PostfixLab& lab = NewLab("0.0.0.0/0");
  lab.Start();
  ProbeReport r = Probe(lab, "127.0.0.9");
  EXPECT_EQ(r.verdict, ProbeVerdict::kRelayAccepted);
  ASSERT_EQ(r.tests.size(), 2u);
  for (const RelayTestResult& t : r.tests) {
    EXPECT_EQ(t.verdict, ProbeVerdict::kRelayAccepted) << t.test.name << ": " << t.detail;
    EXPECT_EQ(t.detail, "RCPT accepted with 250 2.1.5 Ok") << t.test.name;
  }
  EXPECT_EQ(r.tests[0].exchanges[0].command, "(connect)");
  EXPECT_EQ(r.tests[0].exchanges[0].code, 220);
  EXPECT_EQ(r.tests[0].exchanges[1].code, 250);  // EHLO, multi-line
  EXPECT_THAT(r.tests[0].exchanges[1].reply, HasSubstr("\n250 "));
  EXPECT_EQ(r.tests[1].exchanges.back().command, "QUIT");
  EXPECT_EQ(r.tests[1].exchanges.back().code, 221);
  ExpectNoData(r);
  // Postfix saw the probe come from the bound source address.
  EXPECT_TRUE(MaillogMentions(lab, "connect from unknown[127.0.0.9]"));
  EXPECT_TRUE(CheckSmtpGreeting(Endpoint(lab), Options("127.0.0.9")).ok());
}

TEST_F(RelayProbeIntegrationTest, ClosedPostfixRefusesStrangersAndRelaysForTrusted) {
  PostfixLab& lab = NewLab("127.0.0.1/32");
  std::string out;
  // The lab starts with defer_unauth_destination (454); a closed relay rejects for good.
  ASSERT_EQ(RunCommand({"/usr/sbin/postconf", "-c", lab.config_dir(), "-e",
                        "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"},
                       &out),
            0)
      << out;
  lab.Start();
  ProbeReport untrusted = Probe(lab, "127.0.0.9");
  EXPECT_EQ(untrusted.verdict, ProbeVerdict::kRefused);
  for (const RelayTestResult& t : untrusted.tests) {
    EXPECT_EQ(t.verdict, ProbeVerdict::kRefused) << t.test.name << ": " << t.detail;
    EXPECT_THAT(t.detail, HasSubstr("RCPT refused with 554 5.7.1")) << t.test.name;
    EXPECT_THAT(t.detail, HasSubstr("Relay access denied")) << t.test.name;
  }
  ExpectNoData(untrusted);
  ProbeReport trusted = Probe(lab, "127.0.0.1");
  EXPECT_EQ(trusted.verdict, ProbeVerdict::kRelayAccepted);
  for (const RelayTestResult& t : trusted.tests) {
    EXPECT_EQ(t.detail, "RCPT accepted with 250 2.1.5 Ok") << t.test.name;
  }
  EXPECT_TRUE(CheckSmtpGreeting(Endpoint(lab), Options("127.0.0.9")).ok());
}

TEST_F(RelayProbeIntegrationTest, DeferringPostfixIsInconclusiveNotRefused) {
  // The lab's defer_unauth_destination answers 454: a 4xx proves nothing either way.
  PostfixLab& lab = NewLab("127.0.0.1/32");
  lab.Start();
  ProbeReport r = Probe(lab, "127.0.0.9");
  EXPECT_EQ(r.verdict, ProbeVerdict::kInconclusive);
  EXPECT_THAT(r.tests[0].detail, HasSubstr("454 4.7.1"));
  EXPECT_EQ(Probe(lab, "127.0.0.1").verdict, ProbeVerdict::kRelayAccepted);
}

TEST_F(RelayProbeIntegrationTest, TwoInstancesAtOnceAnswerEachForItsOwnPolicy) {
  PostfixLab& open = NewLab("0.0.0.0/0");
  PostfixLab& closed = NewLab("127.0.0.1/32");
  ASSERT_NE(open.port(), closed.port());
  std::string out;
  ASSERT_EQ(RunCommand({"/usr/sbin/postconf", "-c", closed.config_dir(), "-e",
                        "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"},
                       &out),
            0)
      << out;
  open.Start();
  closed.Start();
  EXPECT_EQ(Probe(open, "127.0.0.9").verdict, ProbeVerdict::kRelayAccepted);
  EXPECT_EQ(Probe(closed, "127.0.0.9").verdict, ProbeVerdict::kRefused);
  EXPECT_EQ(Probe(closed, "127.0.0.1").verdict, ProbeVerdict::kRelayAccepted);
}

TEST_F(RelayProbeIntegrationTest, StoppedPostfixIsInconclusiveAndFailsTheGreetingCheck) {
  PostfixLab& lab = NewLab("0.0.0.0/0");  // created, never started
  ProbeReport r = Probe(lab, "127.0.0.9");
  EXPECT_EQ(r.verdict, ProbeVerdict::kInconclusive);
  EXPECT_THAT(r.tests[0].detail, HasSubstr("Connection refused"));
  absl::Status greeting = CheckSmtpGreeting(Endpoint(lab), Options("127.0.0.9"));
  EXPECT_TRUE(absl::IsUnavailable(greeting)) << greeting;
}

}  // namespace
}  // namespace relayguard::agent
