// What relayguardctl attempts prints (controller/cli/attempts_output.cc), from responses built
// here.
#include "controller/cli/attempts_output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_split.h"

namespace relayguard::controller {
namespace {

namespace pb = ::relayguard::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

void AddRow(pb::ListAttemptsResponse& r, const std::string& host, const std::string& source,
            uint64_t refused, bool over = false) {
  pb::AttemptRow* row = r.add_rows();
  row->set_host(host);
  row->set_source(source);
  row->set_refused(refused);
  row->set_recipients(refused / 2);
  row->set_sasl_failures(1);
  row->set_first_seen(1767323000);  // 2026-01-02T03:03:20Z
  row->set_last_seen(1767326600);
  row->set_over_threshold(over);
}

TEST(AttemptsOutputTest, TableIsSortedByRefusedWithTotalsPerHost) {
  pb::ListAttemptsResponse r;
  r.set_since(1767240000);
  AddRow(r, "mx2", "127.0.0.10", 3);
  AddRow(r, "mx1", "127.0.0.9", 40, /*over=*/true);
  pb::HostAttempts* h = r.add_hosts();
  h->set_host("mx1");
  h->set_refused(41);
  h->set_sasl_failures(2);
  h->set_reports(1);
  h->set_log_source("journal postfix.service");
  std::vector<std::string> lines = absl::StrSplit(AttemptsTable(r), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_THAT(lines[0], MatchesRegex("HOST +SOURCE +REFUSED +RECIPIENTS +SASL-FAILURES +RELAYED "
                                     "+FIRST-SEEN +LAST-SEEN"));
  EXPECT_THAT(lines[1], MatchesRegex("mx1 +127\\.0\\.0\\.9 ! +40 +20 +1 +0 +2026-01-02T03:03:20Z "
                                     "+2026-01-02T04:03:20Z"));
  EXPECT_THAT(lines[2], StartsWith("mx2 "));
  EXPECT_EQ(lines[3],
            "mx1: 41 refused, 2 failed logins, 0 relayed in 1 report since "
            "2026-01-01T04:00:00Z (journal postfix.service)");
  EXPECT_EQ(lines[4], "!: passed the monitor's thresholds");
}

TEST(AttemptsOutputTest, NoReportsSaySince) {
  pb::ListAttemptsResponse r;
  r.set_since(1767240000);
  EXPECT_EQ(AttemptsTable(r), "no attempt reports since 2026-01-01T04:00:00Z\n");
}

}  // namespace
}  // namespace relayguard::controller
