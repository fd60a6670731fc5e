// AttemptTracker (controller/monitor/attempt_tracker.cc) over the real parts (SqliteStore in a
// temp dir): bounds checked before anything is stored, re-sends stored once and counted once,
// the view's default range and its errors. And CheckAttemptReport's bounds, table-driven.
#include "controller/monitor/attempt_tracker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "tests/support/controller_parts.h"

namespace relayguard::controller {
namespace {

using ::testing::HasSubstr;

class RecordingEvents : public ControllerEvents {
 public:
  void CommandSent(const AgentCommand&, bool) override {}
  void AgentAnswered(bool, ApplyOutcome) override {}
  void StoreCall(std::chrono::nanoseconds) override {}
  void AttemptsReported(uint64_t r, uint64_t s) override {
    refused += r;
    sasl_failures += s;
  }
  void RelaySeen() override { ++relays_seen; }
  uint64_t refused = 0, sasl_failures = 0;
  int relays_seen = 0;
};

AttemptReportRecord Report(uint64_t seq, int64_t end) {
  AttemptReportRecord r;
  r.host = "mx1";
  r.seq = seq;
  r.period_start = end - 300;
  r.period_end = end;
  SourceAttemptsRecord s;
  s.source = "127.0.0.9";
  s.refused = 12;
  s.recipients = 3;
  s.sasl_failures = 2;
  s.first_seen = end - 200;
  s.last_seen = end - 10;
  s.samples = {"a log line"};
  r.sources = {s};
  r.refused = 12;
  r.sasl_failures = 2;
  r.log_source = "file /var/log/mail.log";
  return r;
}

class AttemptTrackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HostRecord mx1;
    mx1.name = "mx1";
    mx1.mta = "postfix";
    mx1.mta_version = "3.7.11";
    ASSERT_TRUE(parts_.facade->RecordHost(mx1).ok());
  }
  ControllerParts parts_;
  RecordingEvents events_;
  AttemptTracker tracker_{*parts_.facade, parts_.clock, events_};
};

TEST_F(AttemptTrackerTest, StoresANewReportOnceAndCountsItOnce) {
  const int64_t now = parts_.clock.wall;
  EXPECT_EQ(*tracker_.Record(Report(1, now - 60)), true);
  EXPECT_EQ(*tracker_.Record(Report(1, now - 60)), false);
  EXPECT_EQ(events_.refused, 12u);
  EXPECT_EQ(events_.sasl_failures, 2u);
  std::vector<AttemptReportRecord> stored = *parts_.store->AttemptReports("mx1", 0, 10);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].received_at, now);
}

TEST_F(AttemptTrackerTest, AReportOverABoundIsRefusedAndNothingIsStored) {
  AttemptReportRecord r = Report(1, parts_.clock.wall);
  r.sources.resize(201, r.sources[0]);
  absl::StatusOr<bool> added = tracker_.Record(r);
  ASSERT_TRUE(absl::IsInvalidArgument(added.status())) << added.status();
  EXPECT_THAT(added.status().message(), HasSubstr("attempt report 1 of mx1: 201 sources"));
  EXPECT_THAT(added.status().message(), HasSubstr("not stored"));
  EXPECT_TRUE(parts_.store->AttemptReports("", 0, 10)->empty());
  EXPECT_EQ(events_.refused, 0u);
}

TEST_F(AttemptTrackerTest, TheViewCoversTheLast24HoursUnlessToldOtherwise) {
  const int64_t now = parts_.clock.wall;
  ASSERT_TRUE(tracker_.Record(Report(1, now - 25 * 3600)).ok());
  ASSERT_TRUE(tracker_.Record(Report(2, now - 3600)).ok());
  absl::StatusOr<AttemptView> view = tracker_.View(AttemptQuery{});
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->since, now - 24 * 3600);
  ASSERT_EQ(view->sources.size(), 1u);
  EXPECT_EQ(view->sources[0].refused, 12u);
  view = tracker_.View(AttemptQuery{"mx1", now - 48 * 3600, 10});
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->sources[0].refused, 24u);
  EXPECT_EQ(*tracker_.RefusedPerHost(), (std::map<std::string, uint64_t>{{"mx1", 12}}));

  EXPECT_TRUE(absl::IsNotFound(tracker_.View(AttemptQuery{"mx9"}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(tracker_.View(AttemptQuery{"", now + 60}).status()));
}

TEST_F(AttemptTrackerTest, ARelaySeenIsCounted) {
  tracker_.RelaySeen("mx1", "127.0.0.9", "spammer@example.net", "4ABC");
  EXPECT_EQ(events_.relays_seen, 1);
}

TEST(AttemptReportLimitsTest, EachBoundIsCheckedAndNamed) {
  const AttemptReportRecord ok = Report(3, 1000);
  EXPECT_TRUE(CheckAttemptReport(ok).ok());
  struct Case {
    std::function<void(AttemptReportRecord&)> spoil;
    std::string names;
  };
  for (const Case& c : std::vector<Case>{
           {[](auto& r) { r.period_end = r.period_start - 1; }, "ends (699) before it starts"},
           {[](auto& r) { r.sources.resize(201, r.sources[0]); }, "201 sources"},
           {[](auto& r) { r.log_source = std::string(1025, 'x'); }, "log source is 1025 bytes"},
           {[](auto& r) { r.warnings.resize(51); }, "51 warnings"},
           {[](auto& r) { r.warnings = {std::string(2049, 'w')}; }, "warning of 2049 bytes"},
           {[](auto& r) { r.sources[0].source = ""; }, "source address of 0 bytes"},
           {[](auto& r) { r.sources[0].source = std::string(65, '1'); }, "of 65 bytes"},
           {[](auto& r) { r.sources[0].last_seen = r.sources[0].first_seen - 1; },
            "last seen before it was first seen"},
           {[](auto& r) { r.sources[0].samples.resize(11); }, "11 sample lines"},
           {[](auto& r) { r.sources[0].samples = {std::string(8193, 's')}; },
            "sample line of 8193 bytes"},
       }) {
    AttemptReportRecord r = ok;
    c.spoil(r);
    absl::Status s = CheckAttemptReport(r);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << c.names;
    EXPECT_THAT(s.message(), HasSubstr(c.names));
    EXPECT_THAT(s.message(), HasSubstr("attempt report 3 of mx1"));
  }
}

}  // namespace
}  // namespace relayguard::controller
