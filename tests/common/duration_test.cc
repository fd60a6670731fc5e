// ParseDurationSeconds and ParseSince (common/duration.cc), table-driven.
#include "common/duration.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace relayguard {
namespace {

using ::testing::HasSubstr;

TEST(DurationTest, ParsesAWholeNumberAndOneUnit) {
  EXPECT_EQ(*ParseDurationSeconds("90s"), 90);
  EXPECT_EQ(*ParseDurationSeconds("10m"), 600);
  EXPECT_EQ(*ParseDurationSeconds("24h"), 86400);
  EXPECT_EQ(*ParseDurationSeconds("7d"), 7 * 86400);
  EXPECT_EQ(*ParseDurationSeconds("0s"), 0);
}

TEST(DurationTest, RefusesWhatIsNoDurationSayingWhy) {
  struct Case {
    const char* text;
    const char* why;
  };
  for (const Case& c :
       {Case{"", "does not start with a number"}, Case{"h", "does not start with a number"},
        Case{"10", "has no unit"}, Case{"10w", "unknown unit \"w\""},
        Case{"10mm", "unknown unit \"mm\""}, Case{"-5m", "does not start with a number"},
        Case{"99999999999d", "longer than ten years"}, Case{"4000d", "longer than ten years"}}) {
    absl::StatusOr<int64_t> d = ParseDurationSeconds(c.text);
    ASSERT_FALSE(d.ok()) << c.text;
    EXPECT_THAT(d.status().message(), HasSubstr(c.why)) << c.text;
    EXPECT_THAT(d.status().message(), HasSubstr("e.g. 90s, 10m, 24h, 7d"));
  }
}

TEST(DurationTest, SinceIsADurationBackFromNowOrAnRfc3339Time) {
  const int64_t now = 1764928800;  // 2025-12-05T10:00:00Z
  EXPECT_EQ(*ParseSince("10m", now), now - 600);
  EXPECT_EQ(*ParseSince("7d", now), now - 7 * 86400);
  EXPECT_EQ(*ParseSince("2025-12-05T09:00:00Z", now), now - 3600);
  EXPECT_EQ(*ParseSince("2025-12-05T10:00:00+01:00", now), now - 3600);
  for (const char* bad : {"yesterday", "2025-12-05", "2025-12-05 09:00:00", "10x"}) {
    absl::StatusOr<int64_t> at = ParseSince(bad, now);
    ASSERT_FALSE(at.ok()) << bad;
  }
  EXPECT_THAT(ParseSince("yesterday", now).status().message(),
              HasSubstr("neither a duration back from now (10m, 24h, 7d) nor an RFC 3339 time"));
}

}  // namespace
}  // namespace relayguard
