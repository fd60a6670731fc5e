// The log monitor's lab (tests/support/monitor_lab.h), proven with the real MTAs: for Postfix,
// Exim and Sendmail, a relay attempt from the untrusted 127.0.0.9 is refused and logged within
// 5 s in the file the monitor will follow, and after the relay is re-opened by hand a real
// message from 127.0.0.9 is relayed and logged as delivered (Postfix's discard transport, Exim's
// :blackhole: router, Sendmail's smart host) or queued (the lab's queue-only Sendmail); failed
// and successful SMTP AUTH are logged too. Sendmail logs through the sandbox's /dev/log to
// rg-syslog-sink. The agent's monitor is not run here yet. Runs inside tests/support/mta_sandbox.sh.
#include <chrono>
#include <optional>
#include <regex>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/monitor_lab.h"
#include "tests/support/mta_lab.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/sasl_lab.h"

namespace relayguard::testing {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kSeen{5000};  // the issue's bound: a line is seen within 5 s

// The token of `line` ending just before `suffix` (a queue id before ": to=" and the like).
std::string TokenBefore(const std::string& line, const std::string& suffix) {
  const size_t end = line.find(suffix);
  if (end == std::string::npos || end == 0) return "";
  const size_t begin = line.rfind(' ', end - 1);
  return begin == std::string::npos ? "" : line.substr(begin + 1, end - begin - 1);
}

// What a failure shows: the lines the watch saw (log lines hold no secrets).
std::string Seen(const LogWatch& log) {
  std::string text = "lines of " + log.path() + ":\n";
  for (const std::string& line : log.NewLines()) text += "  " + line + "\n";
  return text;
}

// Debian 12 rsyslog's default line: "2026-12-05T10:43:52.454300+00:00 HOST TAG[PID]: ".
bool IsRfc3339SyslogLine(const std::string& line, const std::string& tag) {
  static const std::regex kHead(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d \S+ )");
  return std::regex_search(line, kHead) && line.find(" " + tag + "[") != std::string::npos;
}

TEST(MtaLogsIntegrationTest, PostfixLogsRefusedAttemptAndHandOpenedRelay) {
  PostfixLab postfix("127.0.0.1/32");
  postfix.Start();
  LogWatch log(postfix.dir() + "/maillog");

  SmtpSession attempt = SendRelayAttempt(postfix.port());
  EXPECT_NE(attempt.transcript.find("454 4.7.1 <victim@example.net>: Relay access denied"),
            std::string::npos)
      << attempt.transcript;
  std::optional<std::string> refused = log.WaitForLine(
      {"NOQUEUE: reject: RCPT from unknown[127.0.0.9]: 454 4.7.1 <victim@example.net>: Relay "
       "access denied; from=<probe@example.org> to=<victim@example.net>"},
      kSeen);
  ASSERT_TRUE(refused.has_value()) << Seen(log);

  OpenRelayByHand(postfix);
  SmtpSession relayed = SendMessage(postfix.port());
  EXPECT_EQ(relayed.exit_code, 0) << relayed.transcript;
  std::optional<std::string> client = log.WaitForLine({": client=unknown[127.0.0.9]"}, kSeen);
  ASSERT_TRUE(client.has_value()) << Seen(log);
  const std::string queue_id = TokenBefore(*client, ": client=");
  ASSERT_FALSE(queue_id.empty()) << *client;
  std::optional<std::string> delivered = log.WaitForLine(
      {queue_id + ": to=<victim@example.net>, relay=none", "status=sent (relayguard-lab)"}, kSeen);
  EXPECT_TRUE(delivered.has_value()) << "no delivery of " << queue_id << "; " << Seen(log);
  EXPECT_TRUE(log.WaitForLine({queue_id + ": from=<probe@example.org>"}, kSeen).has_value());
}

TEST(MtaLogsIntegrationTest, EximLogsRefusedAttemptAndHandOpenedRelay) {
  EximLab exim("127.0.0.1");
  exim.Start();
  LogWatch log(EximLogFile(exim));

  SmtpSession attempt = SendRelayAttempt(exim.port());
  EXPECT_NE(attempt.transcript.find("550 relay not permitted"), std::string::npos)
      << attempt.transcript;
  EXPECT_TRUE(log.WaitForLine({"H=(client.lab.test) [127.0.0.9] F=<probe@example.org> rejected "
                               "RCPT <victim@example.net>: relay not permitted"},
                              kSeen)
                  .has_value())
      << Seen(log);

  OpenRelayByHand(exim);
  SmtpSession relayed = SendMessage(exim.port());
  EXPECT_EQ(relayed.exit_code, 0) << relayed.transcript;
  std::optional<std::string> received =
      log.WaitForLine({" <= probe@example.org H=(client.lab.test) [127.0.0.9] P=esmtp "}, kSeen);
  ASSERT_TRUE(received.has_value()) << Seen(log);
  EXPECT_EQ(received->find(" A="), std::string::npos) << "not authenticated: " << *received;
  const std::string id = TokenBefore(*received, " <= ");
  ASSERT_FALSE(id.empty()) << *received;
  EXPECT_TRUE(log.WaitForLine({id + " => :blackhole: <victim@example.net> R=remote_blackhole"},
                              kSeen)
                  .has_value())
      << "no delivery of " << id << "; " << Seen(log);
  EXPECT_TRUE(log.WaitForLine({id + " Completed"}, kSeen).has_value());
}

TEST(MtaLogsIntegrationTest, SendmailLogsThroughTheSyslogSink) {
  SyslogSink sink;
  SendmailLab sendmail(/*open=*/false);
  sendmail.Start();
  LogWatch log(sink.log_file());
  LogWatch traditional(sink.traditional_log_file());

  SmtpSession attempt = SendRelayAttempt(sendmail.port());
  EXPECT_NE(attempt.transcript.find("550 5.7.1 <victim@example.net>... Relaying denied"),
            std::string::npos)
      << attempt.transcript;
  std::optional<std::string> refused = log.WaitForLine(
      {"ruleset=check_rcpt, arg1=<victim@example.net>, relay=untrusted.lab.test [127.0.0.9], "
       "reject=550 5.7.1 <victim@example.net>... Relaying denied"},
      kSeen);
  ASSERT_TRUE(refused.has_value()) << Seen(log);
  EXPECT_TRUE(IsRfc3339SyslogLine(*refused, "sm-mta")) << *refused;

  OpenRelayByHand(sendmail);
  SmtpSession relayed = SendMessage(sendmail.port());
  EXPECT_EQ(relayed.exit_code, 0) << relayed.transcript;
  std::optional<std::string> from = log.WaitForLine(
      {"from=<probe@example.org>", "nrcpts=1", "relay=untrusted.lab.test [127.0.0.9]"}, kSeen);
  ASSERT_TRUE(from.has_value()) << Seen(log);
  const std::string queue_id = TokenBefore(*from, ": from=");
  ASSERT_FALSE(queue_id.empty()) << *from;
  EXPECT_TRUE(log.WaitForLine({queue_id + ": to=<victim@example.net>", "stat=queued"}, kSeen)
                  .has_value())
      << Seen(log);
  // The traditional file holds the same messages: "Dec  5 10:43:52 HOST sm-mta[PID]: ...".
  std::optional<std::string> old = traditional.WaitForLine({queue_id + ": from="}, kSeen);
  ASSERT_TRUE(old.has_value());
  EXPECT_TRUE(std::regex_search(*old, std::regex(R"(^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ sm-mta\[\d+\]: )")))
      << *old;
  EXPECT_EQ(log.NewLines().size(), traditional.NewLines().size());
}

TEST(MtaLogsIntegrationTest, SendmailDeliversAHandOpenedRelayThroughASmartHost) {
  SyslogSink sink;
  PostfixLab smart_host("127.0.0.1/32");  // trusts Sendmail's 127.0.0.1, discards everything
  SendmailLab sendmail(/*open=*/false);
  DeliverThroughSmartHost(sendmail, smart_host);
  smart_host.Start();
  sendmail.Start();
  OpenRelayByHand(sendmail);
  LogWatch log(sink.log_file());

  SmtpSession relayed = SendMessage(sendmail.port());
  EXPECT_EQ(relayed.exit_code, 0) << relayed.transcript;
  std::optional<std::string> from =
      log.WaitForLine({"from=<probe@example.org>", "relay=untrusted.lab.test [127.0.0.9]"}, kSeen);
  ASSERT_TRUE(from.has_value()) << Seen(log);
  const std::string queue_id = TokenBefore(*from, ": from=");
  std::optional<std::string> sent = log.WaitForLine(
      {queue_id + ": to=<victim@example.net>", "mailer=relay", "relay=[127.0.0.1] [127.0.0.1]",
       "stat=Sent (Ok: queued as "},
      kSeen);
  EXPECT_TRUE(sent.has_value()) << "no delivery of " << queue_id << "; " << Seen(log);
}

// SMTP AUTH through the lab's backends: a wrong password and a right one (then a relayed message,
// which the monitor must tell apart from an open relay) from 127.0.0.9.
TEST(MtaLogsIntegrationTest, PostfixLogsFailedAndSuccessfulAuth) {
  const std::string password = RandomPassword();
  DovecotAuth auth(kSmokeUser, password);
  auth.Start();
  {
    PostfixLab postfix("127.0.0.1/32");
    EnableSaslAuth(postfix, auth.socket_path());
    postfix.Start();
    LogWatch log(postfix.dir() + "/maillog");
    SmtpSession good = SendAuthenticated(postfix.port(), kSmokeUser, password, true);
    // swaks --auth-hide-password: the transcript (printed on failure) never holds it.
    EXPECT_TRUE(good.transcript.find(password) == std::string::npos);
    EXPECT_EQ(good.exit_code, 0) << good.transcript;
    EXPECT_TRUE(log.WaitForLine({"client=unknown[127.0.0.9], sasl_method=PLAIN, "
                                 "sasl_username=smoke@lab.test"},
                                kSeen)
                    .has_value())
        << Seen(log);
    SmtpSession bad = SendAuthenticated(postfix.port(), kSmokeUser, RandomPassword(), false);
    EXPECT_NE(bad.exit_code, 0) << bad.transcript;
    EXPECT_TRUE(log.WaitForLine({"warning: unknown[127.0.0.9]: SASL PLAIN authentication failed",
                                 "sasl_username=smoke@lab.test"},
                                kSeen)
                    .has_value())
        << Seen(log);
    postfix.Stop();  // before Dovecot (sasl_lab.h)
  }
  auth.Stop();
}

TEST(MtaLogsIntegrationTest, EximLogsFailedAndSuccessfulAuth) {
  LabTempDir dir;
  const std::string password = RandomPassword();
  const std::string password_file = dir.path() + "/exim-passwd";
  MakeEximPasswordFile(password_file, kSmokeUser, password);
  EximLab exim("127.0.0.1");
  EnableSaslAuth(exim, password_file);
  exim.Start();
  LogWatch log(EximLogFile(exim));
  SmtpSession good = SendAuthenticated(exim.port(), kSmokeUser, password, true);
  // swaks --auth-hide-password: the transcript (printed on failure) never holds it.
  EXPECT_TRUE(good.transcript.find(password) == std::string::npos);
  EXPECT_EQ(good.exit_code, 0) << good.transcript;
  EXPECT_TRUE(log.WaitForLine({"<= probe@example.org H=(client.lab.test) [127.0.0.9] P=esmtpa "
                               "A=plain_server:smoke@lab.test"},
                              kSeen)
                  .has_value())
      << Seen(log);
  SmtpSession bad = SendAuthenticated(exim.port(), kSmokeUser, RandomPassword(), false);
  EXPECT_NE(bad.exit_code, 0) << bad.transcript;
  EXPECT_TRUE(log.WaitForLine({"plain_server authenticator failed for (client.lab.test) "
                               "[127.0.0.9]: 535 Incorrect authentication data "
                               "(set_id=smoke@lab.test)"},
                              kSeen)
                  .has_value())
      << Seen(log);
}

TEST(MtaLogsIntegrationTest, SendmailLogsFailedAndSuccessfulAuth) {
  RequireSaslSandbox();
  LabTempDir dir;
  const std::string password = RandomPassword();
  const std::string sasldb = dir.path() + "/sasldb2";
  MakeSasldb(sasldb, "smoke", "lab.test", password);
  SyslogSink sink;
  SendmailLab sendmail(/*open=*/false);
  EnableSaslAuth(sendmail, sasldb);
  sendmail.Start();
  LogWatch log(sink.log_file());
  SmtpSession good = SendAuthenticated(sendmail.port(), kSmokeUser, password, true);
  // swaks --auth-hide-password: the transcript (printed on failure) never holds it.
  EXPECT_TRUE(good.transcript.find(password) == std::string::npos);
  EXPECT_EQ(good.exit_code, 0) << good.transcript;
  EXPECT_TRUE(log.WaitForLine({"AUTH=server, relay=untrusted.lab.test [127.0.0.9], "
                               "authid=smoke@lab.test, mech=PLAIN"},
                              kSeen)
                  .has_value())
      << Seen(log);
  EXPECT_TRUE(log.WaitForLine({"proto=ESMTPA", "relay=untrusted.lab.test [127.0.0.9]"}, kSeen)
                  .has_value());
  SmtpSession bad = SendAuthenticated(sendmail.port(), kSmokeUser, RandomPassword(), false);
  EXPECT_NE(bad.exit_code, 0) << bad.transcript;
  EXPECT_TRUE(log.WaitForLine({"AUTH failure (PLAIN): authentication failure",
                               "user=smoke@lab.test, relay=untrusted.lab.test [127.0.0.9]"},
                              kSeen)
                  .has_value())
      << Seen(log);
}

}  // namespace
}  // namespace relayguard::testing
