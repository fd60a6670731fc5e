// RelayMonitor with a real log file, the real follower, Postfix parser, tracker and report
// queue (files in a temp dir): what goes into the attempt reports, the relay alarm (once per
// gap, with the position saved so that a restart does not raise it again), a restart that
// neither loses nor repeats a line, no relay without a policy, and the agent's own probes left
// out while an attack from the same address is counted.
#include "agent/monitor/relay_monitor.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/monitor/file_follower.h"
#include "common/cidr.h"
#include "relayguard/v1/agent_stream.pb.h"
#include "tests/support/apply_fakes.h"

namespace relayguard::agent {
namespace {

namespace pb = ::relayguard::v1;

std::string Refused(const std::string& ip, const std::string& rcpt) {
  return "Dec  5 10:00:01 mx1 postfix/smtpd[42]: NOQUEUE: reject: RCPT from unknown[" + ip +
         "]: 554 5.7.1 <" + rcpt + ">: Relay access denied; from=<s@example.org> to=<" + rcpt +
         "> proto=ESMTP helo=<x>\n";
}

// A message from `ip` relayed to victim@example.net (queue id `qid`), as Postfix logs it.
std::string Relayed(const std::string& ip, const std::string& qid) {
  return "Dec  5 10:00:02 mx1 postfix/smtpd[42]: " + qid + ": client=unknown[" + ip + "]\n" +
         "Dec  5 10:00:02 mx1 postfix/qmgr[9]: " + qid +
         ": from=<spam@example.org>, size=445, nrcpt=1 (queue active)\n" +
         "Dec  5 10:00:02 mx1 postfix/smtp[43]: " + qid +
         ": to=<victim@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=0.1, "
         "delays=0/0/0/0.1, dsn=2.0.0, status=sent (250 ok)\n" +
         "Dec  5 10:00:02 mx1 postfix/qmgr[9]: " + qid + ": removed\n";
}

std::string SaslFailure(const std::string& ip) {
  return "Dec  5 10:00:03 mx1 postfix/smtpd[42]: warning: unknown[" + ip +
         "]: SASL PLAIN authentication failed: (reason unavailable)\n";
}

class RelayMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-relay-monitor.XXXXXX";
    dir_ = mkdtemp(tmpl);
    log_ = dir_ + "/mail.log";
    Append("Dec  5 09:59:59 mx1 postfix/master[1]: daemon started\n");
    queue_ = std::move(ComplianceQueue::Open(fs_, dir_ + "/attempt-queue")).value();
    clock_.wall = 1796464800;  // 2026-12-05T10:00:00Z
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Append(const std::string& text) {
    std::ofstream(log_, std::ios::app) << text;
  }
  std::unique_ptr<RelayMonitor> Make(bool with_policy = true) {
    RelayMonitorHooks hooks;
    if (with_policy) {
      hooks.context = [] {
        RelayContext c;
        c.trusted.push_back(*ParseCidr("127.0.0.1/32"));
        c.local_domains = {"mx1.example.org"};
        return std::optional<RelayContext>(c);
      };
      hooks.own_probes = [] {
        return std::vector<OwnProbe>{OwnProbe{{"127.0.0.9"}, "relay-test", "example.net"}};
      };
    }
    hooks.on_relay = [this](const MonitorEvent& e, const std::string& source) {
      alarms_.push_back(e);
      alarm_source_ = source;
    };
    hooks.on_warning = [this](const std::string& counter, const std::string&) {
      warnings_.push_back(counter);
    };
    AttemptTrackerOptions options;
    options.refused_per_source = 3;
    auto m = std::make_unique<RelayMonitor>(
        std::make_unique<FileFollower>(FileFollowerOptions{log_, dir_ + "/position"}, fs_),
        std::make_unique<MtaLogParser>(LogMta::kPostfix, RelayContext{}, clock_),
        std::make_unique<AttemptTracker>(options, clock_), *queue_, clock_,
        std::chrono::seconds(60), hooks);
    m->Poll();  // the first read starts at the end of the file
    return m;
  }
  std::vector<pb::AttemptReport> Reports() {
    std::vector<pb::AttemptReport> out;
    for (auto& [seq, bytes] : queue_->PendingAfter(0, 100)) {
      pb::AttemptReport r;
      EXPECT_TRUE(r.ParseFromString(bytes));
      EXPECT_EQ(r.seq(), seq);
      out.push_back(r);
    }
    return out;
  }
  const pb::SourceAttempts* SourceIn(const pb::AttemptReport& r, const std::string& ip) {
    for (const pb::SourceAttempts& s : r.sources()) {
      if (s.source() == ip) return &s;
    }
    return nullptr;
  }

  std::string dir_, log_;
  RealFileSystem fs_;
  FakeClock clock_;
  std::unique_ptr<ComplianceQueue> queue_;
  std::vector<MonitorEvent> alarms_;
  std::string alarm_source_;
  std::vector<std::string> warnings_;
};

TEST_F(RelayMonitorTest, RefusedAttemptsAndAuthFailuresGoIntoTheReportWithAWarningOverTheThreshold) {
  auto m = Make();
  for (int i = 0; i < 4; ++i) Append(Refused("203.0.113.7", "v" + std::to_string(i) + "@example.net"));
  Append(SaslFailure("203.0.113.8"));
  EXPECT_EQ(m->Poll(), 5u);
  EXPECT_EQ(warnings_, std::vector<std::string>{"refused"});  // once, at the 3rd
  ASSERT_TRUE(m->Checkpoint().ok());
  std::vector<pb::AttemptReport> reports = Reports();
  ASSERT_EQ(reports.size(), 1u);
  const pb::AttemptReport& r = reports[0];
  EXPECT_EQ(r.refused(), 4u);
  EXPECT_EQ(r.sasl_failures(), 1u);
  EXPECT_EQ(r.lines(), 5u);
  EXPECT_EQ(r.log_source(), "file " + log_);
  const pb::SourceAttempts* a = SourceIn(r, "203.0.113.7");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->refused(), 4u);
  EXPECT_EQ(a->recipients(), 4u);
  EXPECT_TRUE(a->over_threshold());
  EXPECT_THAT(a->samples(0), ::testing::HasSubstr("Relay access denied"));
  EXPECT_TRUE(alarms_.empty());
  // A period with nothing in it sends nothing.
  ASSERT_TRUE(m->Checkpoint().ok());
  EXPECT_EQ(Reports().size(), 1u);
}

TEST_F(RelayMonitorTest, ARestartResumesAtTheSavedPositionWithoutLosingOrRepeatingALine) {
  {
    auto m = Make();
    Append(Refused("203.0.113.7", "a@example.net"));
    m->Poll();
    ASSERT_TRUE(m->Checkpoint().ok());
    Append(Refused("203.0.113.7", "b@example.net"));  // read, but not reported before the stop
    m->Poll();
  }
  Append(Refused("203.0.113.7", "c@example.net"));  // written while the agent was down
  auto m = Make();  // its first Poll reads b and c
  ASSERT_TRUE(m->Checkpoint().ok());
  std::vector<pb::AttemptReport> reports = Reports();
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].refused(), 1u);
  EXPECT_EQ(reports[1].refused(), 2u);
  EXPECT_EQ(reports[1].lines(), 2u);
}

TEST_F(RelayMonitorTest, ARelayForAnUntrustedClientIsAlarmedOncePerGapAndSavedWithTheAlarm) {
  auto m = Make();
  Append(Relayed("203.0.113.9", "AAA111"));
  m->Poll();
  ASSERT_EQ(alarms_.size(), 1u);
  EXPECT_EQ(alarms_[0].client_address, "203.0.113.9");
  EXPECT_EQ(alarms_[0].queue_id, "AAA111");
  EXPECT_THAT(alarms_[0].recipients, ::testing::ElementsAre("victim@example.net"));
  EXPECT_FALSE(alarms_[0].lines.empty());
  EXPECT_EQ(alarm_source_, "file " + log_);
  EXPECT_EQ(Reports().size(), 1u);  // checkpointed with the alarm
  Append(Relayed("203.0.113.9", "BBB222"));
  m->Poll();
  EXPECT_EQ(alarms_.size(), 1u);  // within the gap: counted, not alarmed again
  clock_.SleepFor(kRelayAlarmGap + std::chrono::seconds(1));
  Append(Relayed("203.0.113.9", "CCC333"));
  m->Poll();
  EXPECT_EQ(alarms_.size(), 2u);
  // A restart does not raise the alarms again: the position was saved with them.
  m.reset();
  alarms_.clear();
  auto again = Make();
  again->Poll();
  EXPECT_TRUE(alarms_.empty());
  uint64_t relayed = 0;
  for (const pb::AttemptReport& r : Reports()) relayed += r.relayed();
  EXPECT_GE(relayed, 2u);
  // A trusted client's delivery is no relay.
  Append(Relayed("127.0.0.1", "DDD444"));
  again->Poll();
  EXPECT_TRUE(alarms_.empty());
}

TEST_F(RelayMonitorTest, WithoutAPolicyNothingIsARelay) {
  auto m = Make(/*with_policy=*/false);
  Append(Relayed("203.0.113.9", "AAA111"));
  Append(Refused("203.0.113.7", "a@example.net"));
  m->Poll();
  EXPECT_TRUE(alarms_.empty());
  ASSERT_TRUE(m->Checkpoint().ok());
  std::vector<pb::AttemptReport> reports = Reports();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].refused(), 1u);
  EXPECT_EQ(reports[0].relayed(), 0u);
}

TEST_F(RelayMonitorTest, TheAgentsOwnProbesAreLeftOutButAnAttackFromTheSameAddressCounts) {
  auto m = Make();
  Append(Refused("127.0.0.9", "relay-test@example.net"));
  Append(Refused("127.0.0.9", "relay-test%example.net@mx1.example.org"));
  Append(Refused("127.0.0.9", "example.net!relay-test@mx1.example.org"));
  Append(SaslFailure("127.0.0.9"));
  Append(Refused("127.0.0.9", "victim@example.net"));
  m->Poll();
  ASSERT_TRUE(m->Checkpoint().ok());
  std::vector<pb::AttemptReport> reports = Reports();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].refused(), 1u);
  EXPECT_EQ(reports[0].sasl_failures(), 0u);
  const pb::SourceAttempts* a = SourceIn(reports[0], "127.0.0.9");
  ASSERT_NE(a, nullptr);
  EXPECT_THAT(a->samples(0), ::testing::HasSubstr("victim@example.net"));
  // A relay is never taken for a probe.
  MonitorEvent relay;
  relay.kind = MonitorEventKind::kRelayed;
  relay.client_address = "127.0.0.9";
  relay.recipients = {"relay-test@example.net"};
  EXPECT_FALSE(IsOwnProbe(OwnProbe{{"127.0.0.9"}, "relay-test", "example.net"}, relay));
}

}  // namespace
}  // namespace relayguard::agent
