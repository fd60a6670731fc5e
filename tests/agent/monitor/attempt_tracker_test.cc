#include "agent/monitor/attempt_tracker.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace relayguard::agent {
namespace {

class FakeClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return {}; }
  int64_t WallSeconds() override { return wall; }
  void SleepFor(std::chrono::milliseconds d) override { wall += d.count() / 1000; }
  int64_t wall = 1796464800;
};

MonitorEvent Refused(const std::string& source, int64_t t, const std::string& rcpt) {
  MonitorEvent event;
  event.kind = MonitorEventKind::kRefusedRelay;
  event.time_s = t;
  event.client_address = source;
  event.recipients = {rcpt};
  event.lines = {absl::StrCat("refused line for ", rcpt)};
  return event;
}

MonitorEvent Sasl(const std::string& source, int64_t t) {
  MonitorEvent event = Refused(source, t, "");
  event.kind = MonitorEventKind::kSaslFailure;
  event.recipients.clear();
  return event;
}

MonitorEvent Relayed(const std::string& source, int64_t t, const std::string& qid,
                     const std::string& rcpt) {
  MonitorEvent event = Refused(source, t, rcpt);
  event.kind = MonitorEventKind::kRelayed;
  event.queue_id = qid;
  return event;
}

class AttemptTrackerTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  const int64_t t0_ = 1796464800;
};

TEST_F(AttemptTrackerTest, ReportsPerSourceCountsAndTotals) {
  AttemptTracker tracker({}, clock_);
  tracker.Record(Refused("127.0.0.9", t0_ + 5, "a@example.net"));
  tracker.Record(Refused("127.0.0.9", t0_ + 1, "A@example.net"));  // same recipient
  tracker.Record(Refused("127.0.0.9", t0_ + 9, "b@example.net"));
  tracker.Record(Sasl("127.0.0.9", t0_ + 9));
  tracker.Record(Sasl("198.51.100.7", t0_ + 20));
  tracker.Record(Relayed("203.0.113.5", t0_ + 30, "Q1", "x@example.com"));
  tracker.Record(Relayed("203.0.113.5", t0_ + 30, "Q1", "y@example.com"));  // same message
  tracker.Record(Relayed("203.0.113.5", t0_ + 31, "Q2", "x@example.com"));
  tracker.CountLines(100, 40);
  relayguard::v1::AttemptReport report = tracker.TakeReport(t0_ + 60);

  EXPECT_EQ(report.period_start(), clock_.wall);
  EXPECT_EQ(report.period_end(), t0_ + 60);
  EXPECT_EQ(report.refused(), 3u);
  EXPECT_EQ(report.sasl_failures(), 2u);
  EXPECT_EQ(report.relayed(), 2u);
  EXPECT_EQ(report.lines(), 100u);
  EXPECT_EQ(report.unknown_lines(), 40u);
  EXPECT_EQ(report.other_sources(), 0u);
  ASSERT_EQ(report.sources_size(), 3);
  // Relayed-for sources first, then by refused.
  EXPECT_EQ(report.sources(0).source(), "203.0.113.5");
  EXPECT_EQ(report.sources(0).relayed(), 2u);
  const auto& probe = report.sources(1);
  EXPECT_EQ(probe.source(), "127.0.0.9");
  EXPECT_EQ(probe.refused(), 3u);
  EXPECT_EQ(probe.recipients(), 2u);
  EXPECT_EQ(probe.sasl_failures(), 1u);
  EXPECT_EQ(probe.first_seen(), t0_ + 1);
  EXPECT_EQ(probe.last_seen(), t0_ + 9);
  EXPECT_EQ(probe.samples_size(), 3);
  EXPECT_FALSE(probe.over_threshold());
  EXPECT_EQ(report.sources(2).source(), "198.51.100.7");

  // The next period starts empty.
  relayguard::v1::AttemptReport next = tracker.TakeReport(t0_ + 120);
  EXPECT_EQ(next.period_start(), t0_ + 60);
  EXPECT_EQ(next.sources_size(), 0);
  EXPECT_EQ(next.refused(), 0u);
  EXPECT_EQ(next.lines(), 0u);
}

TEST_F(AttemptTrackerTest, BoundsRecipientsAndSamples) {
  AttemptTrackerOptions options;
  options.refused_per_source = 0;
  AttemptTracker tracker(options, clock_);
  for (int i = 0; i < 500; ++i) {
    MonitorEvent event = Refused("127.0.0.9", t0_, absl::StrCat("v", i, "@example.net"));
    event.lines = {std::string(5000, 'x')};
    tracker.Record(event);
  }
  relayguard::v1::AttemptReport report = tracker.TakeReport(t0_ + 1);
  ASSERT_EQ(report.sources_size(), 1);
  EXPECT_EQ(report.sources(0).refused(), 500u);
  EXPECT_EQ(report.sources(0).recipients(), 64u);
  ASSERT_EQ(report.sources(0).samples_size(), 3);
  for (const std::string& sample : report.sources(0).samples()) EXPECT_EQ(sample.size(), 1024u);
}

TEST_F(AttemptTrackerTest, EvictsTheLeastActiveSourceWhenFullAndCountsIt) {
  AttemptTrackerOptions options;
  options.max_sources = 10;
  options.report_sources = 5;
  AttemptTracker tracker(options, clock_);
  // One busy source, then a spray of one-shot sources.
  for (int i = 0; i < 5; ++i) tracker.Record(Refused("192.0.2.1", t0_, "v@example.net"));
  for (int i = 0; i < 100; ++i) {
    clock_.wall += 1;
    tracker.Record(Refused(absl::StrCat("10.0.0.", i), t0_, "v@example.net"));
    ASSERT_LE(tracker.sources(), 10u);
  }
  EXPECT_EQ(tracker.evicted_sources(), 91u);
  relayguard::v1::AttemptReport report = tracker.TakeReport(t0_ + 1);
  EXPECT_EQ(report.refused(), 105u);  // totals still count the evicted
  ASSERT_EQ(report.sources_size(), 5);
  EXPECT_EQ(report.sources(0).source(), "192.0.2.1");
  EXPECT_EQ(report.sources(0).refused(), 5u);
  EXPECT_EQ(report.other_sources(), 5u + 91u);
  ASSERT_GE(report.warnings_size(), 1);
  EXPECT_NE(report.warnings(report.warnings_size() - 1).find("91 sources were dropped"),
            std::string::npos);
}

TEST_F(AttemptTrackerTest, ForgetsIdleSources) {
  AttemptTrackerOptions options;
  options.idle_expiry_s = 600;
  AttemptTracker tracker(options, clock_);
  tracker.Record(Refused("127.0.0.9", t0_, "v@example.net"));
  tracker.TakeReport(t0_ + 10);
  EXPECT_EQ(tracker.sources(), 1u);  // its threshold window is still open
  clock_.wall += 601;
  tracker.TakeReport(t0_ + 700);
  EXPECT_EQ(tracker.sources(), 0u);
}

TEST_F(AttemptTrackerTest, WarnsOncePerSourcePerWindow) {
  AttemptTrackerOptions options;
  options.refused_per_source = 3;
  options.sasl_failures_per_source = 2;
  options.threshold_window_s = 600;
  AttemptTracker tracker(options, clock_);
  std::vector<ThresholdWarning> warnings;
  auto record = [&](const MonitorEvent& event) {
    if (auto warning = tracker.Record(event)) warnings.push_back(*warning);
  };
  record(Refused("127.0.0.9", t0_, "v@example.net"));
  record(Refused("127.0.0.9", t0_ + 10, "v@example.net"));
  EXPECT_TRUE(warnings.empty());
  record(Refused("127.0.0.9", t0_ + 20, "v@example.net"));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].source, "127.0.0.9");
  EXPECT_EQ(warnings[0].counter, "refused");
  EXPECT_EQ(warnings[0].count, 3u);
  EXPECT_EQ(warnings[0].text, "127.0.0.9: 3 refused relay attempts within 600 s");
  for (int i = 0; i < 50; ++i) record(Refused("127.0.0.9", t0_ + 30 + i, "v@example.net"));
  EXPECT_EQ(warnings.size(), 1u);  // not per line
  // Another source has its own window; SASL failures their own threshold.
  record(Sasl("198.51.100.7", t0_ + 100));
  record(Sasl("198.51.100.7", t0_ + 101));
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[1].counter, "sasl_failures");
  // A new window: warned again once the threshold is passed again.
  record(Refused("127.0.0.9", t0_ + 700, "v@example.net"));
  record(Refused("127.0.0.9", t0_ + 701, "v@example.net"));
  EXPECT_EQ(warnings.size(), 2u);
  record(Refused("127.0.0.9", t0_ + 702, "v@example.net"));
  EXPECT_EQ(warnings.size(), 3u);

  relayguard::v1::AttemptReport report = tracker.TakeReport(t0_ + 800);
  EXPECT_EQ(report.warnings_size(), 3);
  ASSERT_GE(report.sources_size(), 1);
  EXPECT_EQ(report.sources(0).source(), "127.0.0.9");
  EXPECT_TRUE(report.sources(0).over_threshold());
}

TEST_F(AttemptTrackerTest, SpreadOutAttemptsStayBelowTheThreshold) {
  AttemptTrackerOptions options;
  options.refused_per_source = 3;
  options.threshold_window_s = 600;
  AttemptTracker tracker(options, clock_);
  int warned = 0;
  for (int i = 0; i < 20; ++i) {
    if (tracker.Record(Refused("127.0.0.9", t0_ + i * 301, "v@example.net"))) ++warned;
  }
  EXPECT_EQ(warned, 0);
}

}  // namespace
}  // namespace relayguard::agent
