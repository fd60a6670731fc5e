// The log monitor's attempt reports in the real SQLite store (controller/store/
// sqlite_store_attempts.cc), on a fresh file per test: round trip, re-sends, sums per host and
// source over a time range, retention.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/controller/store/store_test_fixture.h"

namespace relayguard::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A sample with NUL, a byte that is not UTF-8 and the list encoding's separator.
constexpr char kOddBytes[] = "bytes \x00\xff: and 12:34";

SourceAttemptsRecord Source(const std::string& address, uint64_t refused, int64_t first,
                            int64_t last) {
  SourceAttemptsRecord s;
  s.source = address;
  s.refused = refused;
  s.recipients = refused / 2 + 1;
  s.sasl_failures = refused % 3;
  s.relayed = 0;
  s.first_seen = first;
  s.last_seen = last;
  s.samples = {"Dec  5 10:00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[" + address +
                   "]: 554 5.7.1 <a@b.example>: Relay access denied",
               std::string(kOddBytes, sizeof(kOddBytes) - 1), ""};
  return s;
}

// A report of `host` for the 5 minutes ending at `end`.
AttemptReportRecord Report(const std::string& host, uint64_t seq, int64_t end,
                           std::vector<SourceAttemptsRecord> sources) {
  AttemptReportRecord r;
  r.host = host;
  r.seq = seq;
  r.period_start = end - 300;
  r.period_end = end;
  r.received_at = end + 2;
  for (const SourceAttemptsRecord& s : sources) {
    r.refused += s.refused;
    r.sasl_failures += s.sasl_failures;
    r.relayed += s.relayed;
  }
  r.refused += 1;  // one from an unlisted source
  r.other_sources = 1;
  r.sources = std::move(sources);
  r.lines = 1000 + seq;
  r.unknown_lines = seq;
  r.log_source = "file /var/log/mail.log";
  r.warnings = {"127.0.0.9: 40 refused in 10 minutes (threshold 20)"};
  return r;
}

using SqliteStoreAttemptsTest = SqliteStoreTest;

TEST_F(SqliteStoreAttemptsTest, ReportsRoundTripExactlyAndAReSendIsKeptOnce) {
  AttemptReportRecord r = Report(
      "mx1", 1, 1000, {Source("127.0.0.9", 7, 710, 990), Source("2001:db8::9", 2, 800, 801)});
  r.sources[1].over_threshold = true;
  r.sources[1].relayed = 1;
  r.sources[1].samples.clear();
  r.warnings.clear();
  ASSERT_EQ(*store_->AddAttemptReport(r), true);
  AttemptReportRecord again = r;
  again.refused = 999;
  EXPECT_EQ(*store_->AddAttemptReport(again), false);
  Reopen();
  EXPECT_THAT(*store_->AttemptReports("mx1", 0, 10), ElementsAre(r));
  EXPECT_THAT(*store_->AttemptReports("mx2", 0, 10), IsEmpty());
}

TEST_F(SqliteStoreAttemptsTest, SumsPerHostAndSourceOverTheRangeMostRefusedFirst) {
  ASSERT_TRUE(
      store_->AddAttemptReport(Report("mx1", 1, 1000, {Source("127.0.0.9", 4, 710, 990)})).ok());
  SourceAttemptsRecord later = Source("127.0.0.9", 10, 1010, 1290);
  later.samples = {"the newest line"};
  later.over_threshold = true;
  ASSERT_TRUE(
      store_->AddAttemptReport(Report("mx1", 2, 1300, {later, Source("127.0.0.10", 1, 1100, 1100)}))
          .ok());
  ASSERT_TRUE(
      store_->AddAttemptReport(Report("mx2", 1, 1300, {Source("127.0.0.9", 6, 1200, 1250)})).ok());
  // Before the range: not counted.
  ASSERT_TRUE(
      store_->AddAttemptReport(Report("mx2", 0, 500, {Source("127.0.0.9", 50, 210, 490)})).ok());

  absl::StatusOr<std::vector<SourceAttemptsSummary>> rows = store_->AttemptsSince("", 900, 10);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 3u);
  const SourceAttemptsSummary& top = (*rows)[0];
  EXPECT_EQ(top.host, "mx1");
  EXPECT_EQ(top.source, "127.0.0.9");
  EXPECT_EQ(top.refused, 14u);
  EXPECT_EQ(top.recipients, 6u);     // the most of one period (10/2+1), not a sum
  EXPECT_EQ(top.sasl_failures, 2u);  // 4%3 + 10%3
  EXPECT_EQ(top.first_seen, 710);
  EXPECT_EQ(top.last_seen, 1290);
  EXPECT_THAT(top.samples, ElementsAre("the newest line"));
  EXPECT_TRUE(top.over_threshold);
  EXPECT_EQ((*rows)[1].host, "mx2");
  EXPECT_EQ((*rows)[1].refused, 6u);
  EXPECT_FALSE((*rows)[1].over_threshold);
  EXPECT_EQ((*rows)[2].source, "127.0.0.10");

  EXPECT_EQ(store_->AttemptsSince("mx2", 900, 10)->size(), 1u);
  EXPECT_EQ(store_->AttemptsSince("", 900, 1)->size(), 1u);
  EXPECT_EQ(store_->AttemptsSince("", 0, 10)->front().refused, 56u);  // mx2 with the old one

  absl::StatusOr<std::vector<HostAttemptTotals>> totals = store_->AttemptTotalsSince("", 900);
  ASSERT_TRUE(totals.ok()) << totals.status();
  ASSERT_EQ(totals->size(), 2u);
  EXPECT_EQ((*totals)[0].host, "mx1");
  EXPECT_EQ((*totals)[0].reports, 2u);
  EXPECT_EQ((*totals)[0].refused, 4u + 1u + 10u + 1u + 1u);  // with the unlisted sources
  EXPECT_EQ((*totals)[0].lines, 1001u + 1002u);
  EXPECT_EQ((*totals)[0].last_period_end, 1300);
  EXPECT_EQ((*totals)[0].log_source, "file /var/log/mail.log");
  EXPECT_EQ((*totals)[1].host, "mx2");
  EXPECT_EQ((*totals)[1].refused, 7u);
}

TEST_F(SqliteStoreAttemptsTest, OldReportsAndReportsBeyondTheBoundGoWithTheirSources) {
  store_->set_attempt_retention(/*max_age_s=*/10000, /*per_host=*/50);
  const int64_t day = 86400;
  // mx1: 100 reports, one per 300 s up to seq 100 (the prune runs at seq 100).
  for (uint64_t seq = 1; seq <= 100; ++seq) {
    ASSERT_TRUE(store_
                    ->AddAttemptReport(Report("mx1", seq, day + 300 * static_cast<int64_t>(seq),
                                              {Source("127.0.0.9", 1, 0, 0)}))
                    .ok());
  }
  // mx2's old report is not touched by mx1's prune.
  ASSERT_TRUE(store_->AddAttemptReport(Report("mx2", 1, 10, {Source("127.0.0.9", 1, 0, 0)})).ok());
  std::vector<AttemptReportRecord> kept = *store_->AttemptReports("mx1", 0, 1000);
  // Within 10000 s of the newest (seq 100 ends at day + 30000): seqs 67..100 (34 reports).
  ASSERT_EQ(kept.size(), 34u);
  EXPECT_EQ(kept.front().seq, 100u);
  EXPECT_EQ(kept.back().seq, 67u);
  EXPECT_EQ(store_->AttemptReports("mx2", 0, 10)->size(), 1u);
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("SELECT COUNT(*) FROM attempts WHERE host = 'mx1'"), "34");
}

TEST_F(SqliteStoreAttemptsTest, ReportsBeyondTheCountBoundGo) {
  store_->set_attempt_retention(/*max_age_s=*/1000000, /*per_host=*/10);
  for (uint64_t seq = 91; seq <= 100; ++seq) {
    ASSERT_TRUE(
        store_->AddAttemptReport(Report("mx1", seq, 1000 + static_cast<int64_t>(seq), {})).ok());
  }
  for (uint64_t seq = 1; seq <= 5; ++seq) {  // older than all, added late
    ASSERT_TRUE(store_->AddAttemptReport(Report("mx1", seq, static_cast<int64_t>(seq), {})).ok());
  }
  ASSERT_TRUE(store_->AddAttemptReport(Report("mx1", 200, 5000, {})).ok());
  std::vector<AttemptReportRecord> kept = *store_->AttemptReports("mx1", 0, 1000);
  ASSERT_EQ(kept.size(), 10u);
  EXPECT_EQ(kept.front().seq, 200u);
  EXPECT_EQ(kept.back().seq, 92u);
}

}  // namespace
}  // namespace relayguard::controller
