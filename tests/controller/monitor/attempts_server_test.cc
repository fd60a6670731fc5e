// The log monitor's reports through the controller's gRPC layer, served in-process on loopback
// over the real parts: the agent stream stores and acks attempt reports (re-sends acked again,
// stored once; refused ones not acked), a relay-seen compliance report makes the host
// relay-open with its evidence; ListAttempts on the operator API; relayguardctl attempts and
// compliance (the real binary) against that server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ctime>

#include "absl/strings/str_split.h"
#include "tests/controller/server/server_fixture.h"
#include "tests/support/ctl.h"

namespace relayguard::controller {
namespace {

using ::relayguard::testing::RunCtl;
using ::testing::HasSubstr;
using ::testing::Not;

pb::AgentMessage Attempts(uint64_t seq, int64_t end, uint64_t refused) {
  pb::AgentMessage m;
  pb::AttemptReport* r = m.mutable_attempts();
  r->set_seq(seq);
  r->set_period_start(end - 300);
  r->set_period_end(end);
  pb::SourceAttempts* s = r->add_sources();
  s->set_source("127.0.0.9");
  s->set_refused(refused);
  s->set_recipients(2);
  s->set_sasl_failures(1);
  s->set_first_seen(end - 250);
  s->set_last_seen(end - 5);
  s->add_samples("NOQUEUE: reject: RCPT from unknown[127.0.0.9]: 554 5.7.1 Relay access denied");
  s->set_over_threshold(refused > 20);
  pb::SourceAttempts* other = r->add_sources();
  other->set_source("127.0.0.10");
  other->set_refused(1);
  other->set_first_seen(end - 100);
  other->set_last_seen(end - 100);
  r->set_refused(refused + 1);
  r->set_sasl_failures(1);
  r->set_lines(500);
  r->set_log_source("file /var/log/mail.log");
  return m;
}

pb::AgentMessage RelaySeenReport(uint64_t seq, int64_t at) {
  pb::AgentMessage m;
  pb::ComplianceReport* r = m.mutable_compliance();
  r->set_seq(seq);
  r->set_policy_name("no-open-relay");
  r->set_policy_version(2);
  r->set_mode(pb::COMPLIANCE_MODE_ENFORCE);
  r->set_status(pb::COMPLIANCE_STATUS_RELAY_OPEN);
  r->set_enforcement(pb::ENFORCEMENT_NONE);
  r->set_checked_at(at);
  r->set_trigger("relay-seen");
  r->set_summary("the log shows a relay for 127.0.0.9");
  pb::RelaySeen* seen = r->mutable_relay_seen();
  seen->set_client_address("127.0.0.9");
  seen->set_client_name("untrusted.lab.test");
  seen->set_sender("spammer@example.net");
  seen->add_recipients("victim@foreign.example");
  seen->set_queue_id("4QxYzA1b2c");
  seen->set_seen_at(at);
  seen->add_lines("postfix/smtpd[42]: 4QxYzA1b2c: client=untrusted.lab.test[127.0.0.9]");
  seen->add_lines("postfix/smtp[43]: 4QxYzA1b2c: to=<victim@foreign.example>, status=sent");
  seen->set_log_source("file /var/log/mail.log");
  return m;
}

class AttemptsServerTest : public ServerTest {
 protected:
  int64_t now() { return parts_.clock.wall; }
};

TEST_F(AttemptsServerTest, StoresAnAttemptReportOnceAndAcksEveryCopy) {
  std::unique_ptr<WireAgent> agent = Connected("mx1");
  for (int copy = 0; copy < 2; ++copy) {
    ASSERT_TRUE(agent->Write(Attempts(4, now() - 10, 30)));
    std::optional<pb::ControllerMessage> ack = agent->Next();
    ASSERT_TRUE(ack.has_value() && ack->has_attempt_ack()) << copy;
    EXPECT_EQ(ack->attempt_ack().seq(), 4u);
  }
  std::vector<AttemptReportRecord> stored = *parts_.store->AttemptReports("mx1", 0, 10);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].refused, 31u);
  ASSERT_EQ(stored[0].sources.size(), 2u);
  EXPECT_EQ(stored[0].sources[0].source, "127.0.0.9");
  EXPECT_TRUE(stored[0].sources[0].over_threshold);
}

TEST_F(AttemptsServerTest, AReportOverTheBoundsIsNeitherStoredNorAcked) {
  std::unique_ptr<WireAgent> agent = Connected("mx1");
  pb::AgentMessage big = Attempts(5, now(), 3);
  for (int i = 0; i < 250; ++i) *big.mutable_attempts()->add_sources() = big.attempts().sources(1);
  ASSERT_TRUE(agent->Write(big));
  // A heartbeat after it: its echo proves the report was read and passed over.
  pb::AgentMessage beat;
  beat.mutable_heartbeat()->set_sent_at_ms(77);
  ASSERT_TRUE(agent->Write(beat));
  std::optional<pb::ControllerMessage> next = agent->Next();
  ASSERT_TRUE(next.has_value());
  EXPECT_TRUE(next->has_heartbeat()) << next->DebugString();
  EXPECT_TRUE(parts_.store->AttemptReports("", 0, 10)->empty());
}

TEST_F(AttemptsServerTest, ReportsOfARefusedAgentAreIgnored) {
  std::unique_ptr<WireAgent> agent = Agent();
  ASSERT_TRUE(agent->Hello("operator-eve"));  // not an agent's name: refused
  agent->Write(Attempts(1, now(), 3));
  EXPECT_FALSE(agent->Refused().ok());
  EXPECT_TRUE(parts_.store->AttemptReports("", 0, 10)->empty());
}

TEST_F(AttemptsServerTest, ARelaySeenReportMakesTheHostRelayOpenWithItsEvidence) {
  std::unique_ptr<WireAgent> agent = Connected("mx1");
  ASSERT_TRUE(agent->Write(RelaySeenReport(9, now() - 3)));
  std::optional<pb::ControllerMessage> ack = agent->Next();
  ASSERT_TRUE(ack.has_value() && ack->has_compliance_ack());
  ASSERT_TRUE(agent->Write(Attempts(1, now() - 60, 30)));
  ack = agent->Next();
  ASSERT_TRUE(ack.has_value() && ack->has_attempt_ack());

  grpc::ClientContext context;
  pb::ComplianceRequest request;
  pb::ComplianceResponse response;
  ASSERT_TRUE(operator_->Compliance(&context, request, &response).ok());
  ASSERT_EQ(response.hosts_size(), 1);
  const pb::HostCompliance& host = response.hosts(0);
  EXPECT_EQ(host.status(), pb::FLEET_HOST_STATUS_RELAY_OPEN);
  EXPECT_EQ(host.refused_24h(), 31u);
  EXPECT_EQ(host.last().report().relay_seen().queue_id(), "4QxYzA1b2c");
  EXPECT_EQ(response.compliant(), 0);

  std::string out = RunCtl(port_, {"compliance"});
  EXPECT_THAT(out, HasSubstr("REFUSED-24H"));
  EXPECT_THAT(out, HasSubstr("relay seen on mx1 at "));
  EXPECT_THAT(out, HasSubstr("client 127.0.0.9 (untrusted.lab.test), sender "
                             "<spammer@example.net>, to <victim@foreign.example>, queue id "
                             "4QxYzA1b2c (file /var/log/mail.log)"));
  EXPECT_THAT(out, HasSubstr("  | postfix/smtpd[42]: 4QxYzA1b2c: client="));
  int rc = 0;
  out = RunCtl(port_, {"compliance", "--json"}, &rc);
  EXPECT_EQ(rc, 4) << out;
  EXPECT_THAT(out, HasSubstr(R"("refused_24h":"31")"));
  EXPECT_THAT(out, HasSubstr(R"("relay_seen":{"client_address":"127.0.0.9")"));
}

TEST_F(AttemptsServerTest, ListAttemptsSumsPerSourceForViewers) {
  std::unique_ptr<WireAgent> agent = Connected("mx1");
  for (uint64_t seq = 1; seq <= 2; ++seq) {
    ASSERT_TRUE(agent->Write(Attempts(seq, now() - 600 + 300 * static_cast<int64_t>(seq), 10)));
    ASSERT_TRUE(agent->Next().has_value());
  }
  grpc::ClientContext context;
  pb::ListAttemptsRequest request;
  pb::ListAttemptsResponse response;
  ASSERT_TRUE(operator_->ListAttempts(&context, request, &response).ok());
  EXPECT_EQ(response.since(), now() - 24 * 3600);
  ASSERT_EQ(response.rows_size(), 2);
  EXPECT_EQ(response.rows(0).source(), "127.0.0.9");
  EXPECT_EQ(response.rows(0).refused(), 20u);
  EXPECT_EQ(response.rows(0).sasl_failures(), 2u);
  ASSERT_EQ(response.hosts_size(), 1);
  EXPECT_EQ(response.hosts(0).refused(), 22u);
  EXPECT_EQ(response.hosts(0).reports(), 2u);

  grpc::ClientContext unknown_context;
  request.set_host("mx9");
  EXPECT_EQ(operator_->ListAttempts(&unknown_context, request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext bad_context;
  request.set_host("");
  request.set_limit(-1);
  EXPECT_EQ(operator_->ListAttempts(&bad_context, request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AttemptsServerTest, CtlAttemptsPrintsATableMostRefusedFirstAndJson) {
  std::unique_ptr<WireAgent> agent = Connected("mx1");
  // The ctl computes --since from the real clock: the reports are placed by it.
  const int64_t real_now = static_cast<int64_t>(std::time(nullptr));
  parts_.clock.wall = real_now;
  ASSERT_TRUE(agent->Write(Attempts(1, real_now - 3 * 3600, 30)));
  ASSERT_TRUE(agent->Next().has_value());
  ASSERT_TRUE(agent->Write(Attempts(2, real_now - 60, 5)));
  ASSERT_TRUE(agent->Next().has_value());

  int rc = -1;
  std::string out = RunCtl(port_, {"attempts"}, &rc);
  EXPECT_EQ(rc, 0) << out;
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 4u) << out;
  for (const char* column : {"HOST", "SOURCE", "REFUSED", "RECIPIENTS", "SASL-FAILURES", "RELAYED",
                             "FIRST-SEEN", "LAST-SEEN"}) {
    EXPECT_THAT(lines[0], HasSubstr(column));
  }
  EXPECT_THAT(lines[1], ::testing::MatchesRegex("mx1 +127\\.0\\.0\\.9 ! +35 +2 +2 +0 .*"));
  EXPECT_THAT(lines[2], ::testing::MatchesRegex("mx1 +127\\.0\\.0\\.10 +2 .*"));
  EXPECT_THAT(out, HasSubstr("mx1: 37 refused, 2 failed logins, 0 relayed in 2 reports since "));

  out = RunCtl(port_, {"attempts", "--since", "1h", "--host", "mx1"}, &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, ::testing::ContainsRegex("mx1 +127\\.0\\.0\\.9 +5 "));

  out = RunCtl(port_, {"attempts", "--json", "--since", "2020-01-01T00:00:00Z"}, &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr(R"("since":"1577836800")"));
  EXPECT_THAT(out, HasSubstr(R"({"host":"mx1","source":"127.0.0.9","refused":"35")"));

  out = RunCtl(port_, {"attempts", "--since", "yesterday"}, &rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_THAT(out, HasSubstr("neither a duration"));
  out = RunCtl(port_, {"attempts", "--host", "mx9"}, &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("unknown host \"mx9\""));
}

}  // namespace
}  // namespace relayguard::controller
