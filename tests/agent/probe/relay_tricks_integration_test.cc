// Every relay trick (agent/probe/relay_tricks.h) against real Postfix instances on loopback
// (tests/support/postfix_lab.h), probed from 127.0.0.9: an open relay must take at least the
// plain third-party trick; one that trusts only 127.0.0.1 must refuse every trick. The probe
// never sends DATA and the instances deliver nothing, so the foreign addresses stay strings.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <iostream>
#include <string>
#include <vector>

#include "agent/probe/relay_probe.h"
#include "agent/probe/relay_tricks.h"
#include "tests/support/postfix_lab.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::RunCommand;

constexpr char kSource[] = "127.0.0.9";

class RelayTricksIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access("/usr/sbin/postfix", X_OK), 0)
        << "Postfix is not installed: these tests need a real Postfix (apt-get install postfix)";
    ASSERT_EQ(geteuid(), 0u) << "the Postfix lab instances must be started as root";
  }

  // Trusts only 127.0.0.1 and rejects relaying for good: the lab's default
  // defer_unauth_destination answers 454, which proves nothing either way.
  static void MakeClosed(const PostfixLab& lab) {
    std::string out;
    ASSERT_EQ(
        RunCommand({"/usr/sbin/postconf", "-c", lab.config_dir(), "-e",
                    "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"},
                   &out),
        0)
        << out;
  }

  static SmtpEndpoint Endpoint(const PostfixLab& lab) {
    return {*ParseIpAddress("127.0.0.1"), static_cast<uint16_t>(lab.port())};
  }

  static ProbeOptions Options() {
    ProbeOptions options;
    options.source = *ParseIpAddress(kSource);
    options.timeout = std::chrono::seconds(10);  // Postfix sleeps after errors
    return options;
  }

  // The tricks for `lab`: its myhostname is "<dir name>.lab.test" (postfix-instance.sh).
  static std::vector<RelayTest> Tricks(const PostfixLab& lab) {
    RelayTrickDomains domains;
    domains.target_host = lab.dir().substr(lab.dir().rfind('/') + 1) + ".lab.test";
    domains.target_ip = "127.0.0.1";
    EXPECT_TRUE(ValidateRelayTrickDomains(domains).ok());
    return AllRelayTricks(domains);
  }

  // Every trick on its own connection, all at once, merged into one report with the probe's
  // verdict rule. On one connection Postfix sleeps 1 s per error past smtpd_soft_error_limit
  // (10) and drops the client at smtpd_hard_error_limit (20): 20 tricks took 31 s there.
  static ProbeReport ProbeEachInParallel(const PostfixLab& lab) {
    std::vector<std::future<ProbeReport>> runs;
    for (const RelayTest& trick : Tricks(lab)) {
      runs.push_back(std::async(std::launch::async, [&lab, trick] {
        return RunRelayProbe(Endpoint(lab), {trick}, Options());
      }));
    }
    ProbeReport merged;
    merged.endpoint = Endpoint(lab);
    merged.source = Options().source;
    bool any_accepted = false;
    bool all_refused = !runs.empty();
    for (std::future<ProbeReport>& run : runs) {
      ProbeReport one = run.get();
      for (RelayTestResult& result : one.tests) {
        any_accepted |= result.verdict == ProbeVerdict::kRelayAccepted;
        all_refused &= result.verdict == ProbeVerdict::kRefused;
        merged.tests.push_back(std::move(result));
      }
    }
    merged.verdict = any_accepted  ? ProbeVerdict::kRelayAccepted
                     : all_refused ? ProbeVerdict::kRefused
                                   : ProbeVerdict::kInconclusive;
    return merged;
  }
};

// One line per trick, for the test log.
void PrintVerdicts(const std::string& title, const ProbeReport& report,
                   std::chrono::steady_clock::duration took) {
  std::cout << title << ": " << ProbeVerdictName(report.verdict) << " in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
  for (const RelayTestResult& t : report.tests) {
    std::cout << "  " << t.test.name << " <" << t.test.mail_from << "> -> <" << t.test.rcpt_to
              << ">: " << ProbeVerdictName(t.verdict) << " (" << t.detail << ")\n";
  }
}

void ExpectNoData(const ProbeReport& report) {
  for (const RelayTestResult& t : report.tests) {
    for (const SmtpExchange& e : t.exchanges) EXPECT_NE(e.command.rfind("DATA", 0), 0u);
  }
}

TEST_F(RelayTricksIntegrationTest, OpenRelayTakesThePlainThirdPartyTrick) {
  PostfixLab lab("0.0.0.0/0");
  lab.Start();
  const auto start = std::chrono::steady_clock::now();
  ProbeReport report = RunRelayProbe(Endpoint(lab), Tricks(lab), Options());
  PrintVerdicts("open, one connection", report, std::chrono::steady_clock::now() - start);

  ASSERT_EQ(report.tests.size(), Tricks(lab).size());
  EXPECT_EQ(report.verdict, ProbeVerdict::kRelayAccepted);
  for (const RelayTestResult& t : report.tests) {
    if (t.test.name == "nmap-02-plain-third-party") {
      EXPECT_EQ(t.verdict, ProbeVerdict::kRelayAccepted) << t.detail;
    }
  }
  ExpectNoData(report);
}

void ExpectEveryTrickRefused(const ProbeReport& report, size_t tricks) {
  ASSERT_EQ(report.tests.size(), tricks);
  for (const RelayTestResult& t : report.tests) {
    // Relay denied (554) or a syntax reject (501/553): all refusals.
    EXPECT_EQ(t.verdict, ProbeVerdict::kRefused) << t.test.name << ": " << t.detail;
  }
  EXPECT_EQ(report.verdict, ProbeVerdict::kRefused);
  ExpectNoData(report);
}

TEST_F(RelayTricksIntegrationTest, ClosedInstanceRefusesEveryTrick) {
  PostfixLab closed("127.0.0.1/32");
  ASSERT_NO_FATAL_FAILURE(MakeClosed(closed));
  closed.Start();
  const auto start = std::chrono::steady_clock::now();
  ProbeReport report = ProbeEachInParallel(closed);
  PrintVerdicts("closed, one connection per trick", report,
                std::chrono::steady_clock::now() - start);
  ExpectEveryTrickRefused(report, Tricks(closed).size());
}

}  // namespace
}  // namespace relayguard::agent
