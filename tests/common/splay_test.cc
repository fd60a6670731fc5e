#include "common/splay.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/common/schedule_test_util.h"

namespace relayguard {
namespace {

using testing::MustParse;
using testing::Utc;

TEST(SplayTest, IsZeroWithoutASplay) {
  EXPECT_EQ(SplayOffset("mx1.example.org", 0), 0);
  EXPECT_EQ(SplayOffset("mx1.example.org", -5), 0);
  EXPECT_EQ(SplayOffset("mx1.example.org", 1), 0);
}

TEST(SplayTest, IsTheSameOnEveryRunAndMachine) {
  // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c; these values must never change, or every host's
  // check time moves on upgrade.
  EXPECT_EQ(SplayOffset("a", 1000), 996);
  EXPECT_EQ(SplayOffset("mx1.example.org", 600), 407);
  EXPECT_EQ(SplayOffset("mx1.example.org", 3600), 1007);
  EXPECT_EQ(SplayOffset("mx1.example.org", 600), SplayOffset("mx1.example.org", 600));
}

TEST(SplayTest, StaysInRangeAndSpreadsAFleet) {
  std::set<int64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const int64_t offset = SplayOffset(absl::StrCat("host-", i, ".example.org"), 600);
    ASSERT_GE(offset, 0);
    ASSERT_LT(offset, 600);
    seen.insert(offset);
  }
  EXPECT_GT(seen.size(), 400u);  // 1000 hosts over 600 slots: ~500 distinct if spread evenly
}

TEST(NextCheckAfterTest, IsTheFiringPlusTheHostsOffset) {
  const Schedule hourly = MustParse("0 * * * *");
  const std::string host = "mx1.example.org";
  const int64_t offset = SplayOffset(host, 600);
  ASSERT_EQ(offset, 407);
  const int64_t hour = Utc("2026-01-01T10:00:00");
  EXPECT_EQ(NextCheckAfter(hourly, host, 600, hour), hour + offset);
  EXPECT_EQ(NextCheckAfter(hourly, host, 600, hour + offset - 1), hour + offset);
  EXPECT_EQ(NextCheckAfter(hourly, host, 600, hour + offset), hour + 3600 + offset);
  // 10:00 fired but its check (10:06:47) is still ahead at 10:05.
  EXPECT_EQ(NextCheckAfter(hourly, host, 600, hour + 300), hour + offset);
  EXPECT_EQ(NextCheckAfter(hourly, host, 0, hour), hourly.NextAfter(hour));
}

TEST(NextCheckAfterTest, NeverReturnsATimeAtOrBeforeAfter) {
  for (const std::string expression : {"*/5 * * * *", "0 * * * *", "@every 90s", "30 2 * * *"}) {
    const Schedule s = MustParse(expression, "Europe/Berlin");
    for (const std::string host : {"a", "mx1.example.org", "relay-42"}) {
      for (int64_t t = Utc("2026-03-28T22:00:00"); t < Utc("2026-03-29T04:00:00"); t += 97) {
        const int64_t next = NextCheckAfter(s, host, 3600, t);
        ASSERT_GT(next, t) << expression << " " << host << " after " << t;
        const int64_t offset = SplayOffset(host, 3600);
        // It is a firing plus the offset, and no other check comes between t and it.
        EXPECT_EQ(s.NextAfter(next - offset - 1), next - offset) << expression;
        EXPECT_EQ(NextCheckAfter(s, host, 3600, next - 1), next) << expression;
      }
    }
  }
}

}  // namespace
}  // namespace relayguard