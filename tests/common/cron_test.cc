#include "common/cron.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "tests/common/schedule_test_util.h"

namespace relayguard {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::Instant;
using testing::Local;
using testing::MustParse;
using testing::Utc;
using testing::Zone;

// The first `n` firings after the local civil time `from`, as local times.
std::vector<std::string> Firings(const std::string& expression, const std::string& zone,
                                 const std::string& from, int n) {
  const Schedule s = MustParse(expression, zone);
  std::vector<std::string> out;
  int64_t t = Instant(from, zone);
  for (int i = 0; i < n; ++i) {
    t = s.NextAfter(t);
    out.push_back(Local(t, zone));
  }
  return out;
}

// ---- NextAfter, table-driven ----------------------------------------------------------------

struct NextCase {
  std::string expression;
  std::string zone;
  std::string from;  // local civil time
  std::string want;  // local time of the first firing strictly after `from`
};

void PrintTo(const NextCase& c, std::ostream* os) {
  *os << '"' << c.expression << "\" in " << c.zone << " after " << c.from;
}

class ScheduleNextAfterTest : public ::testing::TestWithParam<NextCase> {};

TEST_P(ScheduleNextAfterTest, FiresFirstAtTheExpectedLocalTime) {
  const NextCase& c = GetParam();
  const Schedule s = MustParse(c.expression, c.zone);
  const int64_t from = Instant(c.from, c.zone);
  const int64_t next = s.NextAfter(from);
  EXPECT_GT(next, from);
  EXPECT_EQ(Local(next, c.zone), c.want);
}

// 2026-01-01 is a Thursday.
INSTANTIATE_TEST_SUITE_P(
    Syntax, ScheduleNextAfterTest,
    ::testing::Values(
        NextCase{"* * * * *", "UTC", "2026-01-01T00:00:00", "2026-01-01 00:01:00 +00:00"},
        NextCase{"* * * * *", "UTC", "2026-01-01T00:00:30", "2026-01-01 00:01:00 +00:00"},
        NextCase{"0 3 * * *", "UTC", "2026-01-01T00:00:00", "2026-01-01 03:00:00 +00:00"},
        NextCase{"0 3 * * *", "UTC", "2026-01-01T03:00:00", "2026-01-02 03:00:00 +00:00"},
        NextCase{"30 2 * * *", "UTC", "2026-01-01T03:00:00", "2026-01-02 02:30:00 +00:00"},
        NextCase{"*/15 * * * *", "UTC", "2026-01-01T00:07:00", "2026-01-01 00:15:00 +00:00"},
        NextCase{"*/15 * * * *", "UTC", "2026-01-01T00:45:00", "2026-01-01 01:00:00 +00:00"},
        NextCase{"5-10 * * * *", "UTC", "2026-01-01T00:07:00", "2026-01-01 00:08:00 +00:00"},
        NextCase{"5-10 * * * *", "UTC", "2026-01-01T00:10:00", "2026-01-01 01:05:00 +00:00"},
        NextCase{"10-30/10 * * * *", "UTC", "2026-01-01T00:10:00", "2026-01-01 00:20:00 +00:00"},
        NextCase{"10-30/10 * * * *", "UTC", "2026-01-01T00:30:00", "2026-01-01 01:10:00 +00:00"},
        NextCase{"5/20 * * * *", "UTC", "2026-01-01T00:45:00", "2026-01-01 01:05:00 +00:00"},
        NextCase{"5/20 * * * *", "UTC", "2026-01-01T00:06:00", "2026-01-01 00:25:00 +00:00"},
        NextCase{"1,15,45 * * * *", "UTC", "2026-01-01T00:15:00", "2026-01-01 00:45:00 +00:00"},
        NextCase{"0 1-3,22 * * *", "UTC", "2026-01-01T03:00:00", "2026-01-01 22:00:00 +00:00"},
        NextCase{"0 */6 * * *", "UTC", "2026-01-01T13:00:00", "2026-01-01 18:00:00 +00:00"},
        NextCase{"0 0 */10 * *", "UTC", "2026-01-01T00:00:00", "2026-01-11 00:00:00 +00:00"},
        NextCase{"0 12 15 * *", "UTC", "2026-01-20T00:00:00", "2026-02-15 12:00:00 +00:00"}));

INSTANTIATE_TEST_SUITE_P(
    Names, ScheduleNextAfterTest,
    ::testing::Values(
        NextCase{"0 0 1 jun *", "UTC", "2026-01-01T00:00:00", "2026-06-01 00:00:00 +00:00"},
        NextCase{"0 0 1 JAN,Jul *", "UTC", "2026-01-01T00:00:00", "2026-07-01 00:00:00 +00:00"},
        NextCase{"0 0 1 mar-May *", "UTC", "2026-04-15T00:00:00", "2026-05-01 00:00:00 +00:00"},
        NextCase{"0 0 1 6 *", "UTC", "2026-01-01T00:00:00", "2026-06-01 00:00:00 +00:00"},
        NextCase{"0 9 * * mon-fri", "UTC", "2026-01-02T10:00:00", "2026-01-05 09:00:00 +00:00"},
        NextCase{"0 9 * * 1-5", "UTC", "2026-01-02T10:00:00", "2026-01-05 09:00:00 +00:00"},
        NextCase{"0 0 * * SUN", "UTC", "2026-01-01T00:00:00", "2026-01-04 00:00:00 +00:00"},
        NextCase{"0 0 * * 0", "UTC", "2026-01-01T00:00:00", "2026-01-04 00:00:00 +00:00"},
        NextCase{"0 0 * * 7", "UTC", "2026-01-01T00:00:00", "2026-01-04 00:00:00 +00:00"},
        NextCase{"0 0 * * sat-sun", "UTC", "2026-01-03T12:00:00", "2026-01-04 00:00:00 +00:00"},
        NextCase{"0 0 * * 5-7", "UTC", "2026-01-01T00:00:00", "2026-01-02 00:00:00 +00:00"},
        NextCase{"0 0 * * Tue,thu", "UTC", "2026-01-01T00:00:00", "2026-01-06 00:00:00 +00:00"}));

INSTANTIATE_TEST_SUITE_P(
    Rollover, ScheduleNextAfterTest,
    ::testing::Values(
        NextCase{"59 23 * * *", "UTC", "2026-12-31T23:59:00", "2027-01-01 23:59:00 +00:00"},
        NextCase{"0 0 1 1 *", "UTC", "2026-06-01T00:00:00", "2027-01-01 00:00:00 +00:00"},
        NextCase{"59 23 31 12 *", "UTC", "2026-12-31T23:59:00", "2027-12-31 23:59:00 +00:00"},
        // February and April have no 31st.
        NextCase{"0 0 31 * *", "UTC", "2026-01-31T00:00:00", "2026-03-31 00:00:00 +00:00"},
        NextCase{"0 0 31 * *", "UTC", "2026-03-31T00:00:00", "2026-05-31 00:00:00 +00:00"},
        NextCase{"0 0 30 * *", "UTC", "2026-01-30T00:00:00", "2026-03-30 00:00:00 +00:00"},
        // February 29 only in leap years, and 2100 is none.
        NextCase{"0 0 29 2 *", "UTC", "2026-01-01T00:00:00", "2028-02-29 00:00:00 +00:00"},
        NextCase{"0 0 29 2 *", "UTC", "2096-03-01T00:00:00", "2104-02-29 00:00:00 +00:00"},
        NextCase{"0 0 29 feb *", "UTC", "2028-02-28T00:00:00", "2028-02-29 00:00:00 +00:00"}));

INSTANTIATE_TEST_SUITE_P(
    Seconds, ScheduleNextAfterTest,
    ::testing::Values(
        NextCase{"*/5 * * * * *", "UTC", "2026-01-01T00:00:03", "2026-01-01 00:00:05 +00:00"},
        NextCase{"*/5 * * * * *", "UTC", "2026-01-01T00:00:55", "2026-01-01 00:01:00 +00:00"},
        NextCase{"30 0 12 * * *", "UTC", "2026-01-01T00:00:00", "2026-01-01 12:00:30 +00:00"},
        NextCase{"0-10/5 * * * * *", "UTC", "2026-01-01T00:00:10", "2026-01-01 00:01:00 +00:00"},
        NextCase{"* * * * * *", "UTC", "2026-01-01T23:59:59", "2026-01-02 00:00:00 +00:00"},
        NextCase{"15,45 30 9 * * mon", "UTC", "2026-01-05T09:30:15",
                 "2026-01-05 09:30:45 +00:00"}));

INSTANTIATE_TEST_SUITE_P(
    Macros, ScheduleNextAfterTest,
    ::testing::Values(
        NextCase{"@yearly", "UTC", "2026-03-01T00:00:00", "2027-01-01 00:00:00 +00:00"},
        NextCase{"@annually", "UTC", "2026-03-01T00:00:00", "2027-01-01 00:00:00 +00:00"},
        NextCase{"@monthly", "UTC", "2026-01-15T00:00:00", "2026-02-01 00:00:00 +00:00"},
        NextCase{"@weekly", "UTC", "2026-01-01T00:00:00", "2026-01-04 00:00:00 +00:00"},
        NextCase{"@daily", "UTC", "2026-01-01T00:00:00", "2026-01-02 00:00:00 +00:00"},
        NextCase{"@midnight", "UTC", "2026-01-01T13:00:00", "2026-01-02 00:00:00 +00:00"},
        NextCase{"@hourly", "UTC", "2026-01-01T00:30:00", "2026-01-01 01:00:00 +00:00"},
        NextCase{"@Daily", "UTC", "2026-01-01T00:00:00", "2026-01-02 00:00:00 +00:00"},
        NextCase{"  @daily  ", "UTC", "2026-01-01T00:00:00", "2026-01-02 00:00:00 +00:00"},
        NextCase{"@daily", "America/New_York", "2026-01-01T00:00:00",
                 "2026-01-02 00:00:00 -05:00"}));

INSTANTIATE_TEST_SUITE_P(
    TimeZones, ScheduleNextAfterTest,
    ::testing::Values(NextCase{"0 9 * * *", "America/New_York", "2026-01-01T00:00:00",
                               "2026-01-01 09:00:00 -05:00"},
                      NextCase{"0 9 * * *", "America/New_York", "2026-07-01T00:00:00",
                               "2026-07-01 09:00:00 -04:00"},
                      NextCase{"0 9 * * *", "Europe/Berlin", "2026-01-01T00:00:00",
                               "2026-01-01 09:00:00 +01:00"},
                      NextCase{"0 0 * * mon", "Asia/Tokyo", "2026-01-01T00:00:00",
                               "2026-01-05 00:00:00 +09:00"}));

// ---- Vixie day-of-month / day-of-week rule ---------------------------------------------------

TEST(ScheduleTest, RestrictedDayOfMonthAndDayOfWeekMatchEither) {
  // Friday 2 January comes before the 13th; Tuesday 13 January is not a Friday.
  EXPECT_THAT(Firings("0 0 13 * fri", "UTC", "2026-01-01T00:00:00", 4),
              ElementsAre("2026-01-02 00:00:00 +00:00", "2026-01-09 00:00:00 +00:00",
                          "2026-01-13 00:00:00 +00:00", "2026-01-16 00:00:00 +00:00"));
}

TEST(ScheduleTest, DayOfMonthStartingWithStarMustMatchTogetherWithDayOfWeek) {
  // "*/2" counts as unrestricted (Vixie: the field starts with '*'), so both must match: odd
  // days that are Mondays. Either-match would fire on Saturday 3 January.
  EXPECT_THAT(Firings("0 0 */2 * mon", "UTC", "2026-01-01T00:00:00", 2),
              ElementsAre("2026-01-05 00:00:00 +00:00", "2026-01-19 00:00:00 +00:00"));
}

TEST(ScheduleTest, DayOfWeekStartingWithStarMustMatchTogetherWithDayOfMonth) {
  // "*/7" is Sunday (0 and 7): the next 13th that is a Sunday is 13 September 2026.
  EXPECT_THAT(Firings("0 0 13 * */7", "UTC", "2026-01-01T00:00:00", 1),
              ElementsAre("2026-09-13 00:00:00 +00:00"));
}

TEST(ScheduleTest, UnrestrictedDayOfWeekLeavesDayOfMonthAlone) {
  EXPECT_THAT(Firings("0 0 13 * *", "UTC", "2026-01-01T00:00:00", 2),
              ElementsAre("2026-01-13 00:00:00 +00:00", "2026-02-13 00:00:00 +00:00"));
}

// ---- cross-check against a plain predicate, minute by minute ---------------------------------

struct PredicateCase {
  std::string expression;
  std::function<bool(const absl::CivilMinute&)> matches;
};

TEST(ScheduleTest, FiringsEqualEveryMatchingMinuteOfAYear) {
  const auto weekday = [](const absl::CivilMinute& m) {
    return absl::GetWeekday(absl::CivilDay(m));
  };
  const std::vector<PredicateCase> cases = {
      {"0 0 13 * fri",
       [&](const absl::CivilMinute& m) {
         return m.hour() == 0 && m.minute() == 0 &&
                (m.day() == 13 || weekday(m) == absl::Weekday::friday);
       }},
      {"*/20 9-17 * * mon-fri",
       [&](const absl::CivilMinute& m) {
         return m.minute() % 20 == 0 && m.hour() >= 9 && m.hour() <= 17 &&
                weekday(m) != absl::Weekday::saturday && weekday(m) != absl::Weekday::sunday;
       }},
      {"7 3 1,15 */3 *",
       [](const absl::CivilMinute& m) {
         return m.minute() == 7 && m.hour() == 3 && (m.day() == 1 || m.day() == 15) &&
                (m.month() - 1) % 3 == 0;
       }},
  };
  for (const PredicateCase& c : cases) {
    const Schedule s = MustParse(c.expression);
    std::vector<int64_t> want, got;
    const absl::CivilMinute begin(2026, 1, 1, 0, 0), end(2027, 1, 1, 0, 0);
    for (absl::CivilMinute m = begin + 1; m < end; ++m) {
      if (c.matches(m))
        want.push_back(absl::ToUnixSeconds(absl::FromCivil(m, absl::UTCTimeZone())));
    }
    const int64_t stop = absl::ToUnixSeconds(absl::FromCivil(end, absl::UTCTimeZone()));
    for (int64_t t = s.NextAfter(Utc("2026-01-01T00:00:00")); t < stop; t = s.NextAfter(t)) {
      got.push_back(t);
    }
    EXPECT_FALSE(want.empty()) << c.expression;
    EXPECT_EQ(got, want) << c.expression;
  }
}

// ---- @every ----------------------------------------------------------------------------------

TEST(ScheduleEveryTest, FiresAtMultiplesOfTheIntervalSinceTheEpoch) {
  const Schedule s = MustParse("@every 7m");
  EXPECT_EQ(s.NextAfter(0), 420);
  EXPECT_EQ(s.NextAfter(419), 420);
  EXPECT_EQ(s.NextAfter(420), 840);
  EXPECT_EQ(s.NextAfter(-1), 0);
  EXPECT_EQ(s.NextAfter(-420), 0);
  EXPECT_EQ(s.NextAfter(-421), -420);
  const int64_t t = Utc("2026-01-01T00:00:00") + 5;
  EXPECT_EQ(s.NextAfter(t) % 420, 0);
  EXPECT_GT(s.NextAfter(t), t);
  EXPECT_LE(s.NextAfter(t) - t, 420);
}

TEST(ScheduleEveryTest, UnitsScaleTheInterval) {
  const int64_t t = Utc("2026-01-01T00:07:00");
  EXPECT_EQ(Local(MustParse("@every 15m").NextAfter(t), "UTC"), "2026-01-01 00:15:00 +00:00");
  EXPECT_EQ(Local(MustParse("@every 90s").NextAfter(t), "UTC"), "2026-01-01 00:07:30 +00:00");
  EXPECT_EQ(Local(MustParse("@every 2h").NextAfter(t), "UTC"), "2026-01-01 02:00:00 +00:00");
  EXPECT_EQ(MustParse("@every 1s").NextAfter(t), t + 1);
  EXPECT_EQ(Local(MustParse("@every 24h").NextAfter(t), "UTC"), "2026-01-02 00:00:00 +00:00");
  EXPECT_EQ(Local(MustParse("@EVERY 1h").NextAfter(t), "UTC"), "2026-01-01 01:00:00 +00:00");
}

TEST(ScheduleEveryTest, TimeZoneDoesNotMoveTheFirings) {
  const Schedule utc = MustParse("@every 1h", "UTC");
  const Schedule new_york = MustParse("@every 1h", "America/New_York");
  const Schedule kolkata = MustParse("@every 1h", "Asia/Kolkata");  // +05:30
  for (int64_t t = Utc("2026-03-07T00:00:00"); t < Utc("2026-03-10T00:00:00"); t += 1237) {
    EXPECT_EQ(new_york.NextAfter(t), utc.NextAfter(t));
    EXPECT_EQ(kolkata.NextAfter(t), utc.NextAfter(t));
  }
  EXPECT_EQ(Local(kolkata.NextAfter(Utc("2026-01-01T00:10:00")), "Asia/Kolkata"),
            "2026-01-01 06:30:00 +05:30");
}

TEST(ScheduleEveryTest, KeepsAccessorsOfWhatWasParsed) {
  const Schedule s = MustParse("@every 5m", "Europe/Berlin");
  EXPECT_EQ(s.expression(), "@every 5m");
  EXPECT_EQ(s.time_zone_name(), "Europe/Berlin");
}

// ---- time zones and DST ----------------------------------------------------------------------

TEST(ScheduleTimeZoneTest, SameLocalTimeIsADifferentInstantPerZone) {
  const int64_t from = Utc("2026-01-01T00:00:00");
  const int64_t utc = MustParse("0 9 * * *", "UTC").NextAfter(from);
  const int64_t new_york = MustParse("0 9 * * *", "America/New_York").NextAfter(from);
  EXPECT_EQ(utc, Utc("2026-01-01T09:00:00"));
  EXPECT_EQ(new_york, Utc("2026-01-01T14:00:00"));  // 09:00 EST = UTC-5
  const int64_t summer =
      MustParse("0 9 * * *", "America/New_York").NextAfter(Utc("2026-07-01T00:00:00"));
  EXPECT_EQ(summer, Utc("2026-07-01T13:00:00"));  // 09:00 EDT = UTC-4
}

TEST(ScheduleDstTest, SkippedLocalTimeFiresAtTheSpringForwardTransition) {
  // Europe/Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 never happens.
  const Schedule s = MustParse("30 2 * * *", "Europe/Berlin");
  const int64_t fired = s.NextAfter(Instant("2026-03-28T03:00:00", "Europe/Berlin"));
  EXPECT_EQ(fired, Utc("2026-03-29T01:00:00"));
  EXPECT_EQ(Local(fired, "Europe/Berlin"), "2026-03-29 03:00:00 +02:00");
  EXPECT_EQ(Local(s.NextAfter(fired), "Europe/Berlin"), "2026-03-30 02:30:00 +02:00");
}

TEST(ScheduleDstTest, ManySkippedTimesFireOnceAtTheTransition) {
  EXPECT_THAT(Firings("*/10 2 * * *", "Europe/Berlin", "2026-03-28T02:55:00", 3),
              ElementsAre("2026-03-29 03:00:00 +02:00", "2026-03-30 02:00:00 +02:00",
                          "2026-03-30 02:10:00 +02:00"));
}

TEST(ScheduleDstTest, SkippedLocalTimeInNewYork) {
  // America/New_York 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
  const Schedule s = MustParse("0 2 * * *", "America/New_York");
  EXPECT_EQ(s.NextAfter(Instant("2026-03-07T12:00:00", "America/New_York")),
            Utc("2026-03-08T07:00:00"));
}

TEST(ScheduleDstTest, RepeatedLocalTimeFiresOnlyAtItsFirstOccurrence) {
  // Europe/Berlin 2026-10-25: 03:00 CEST goes back to 02:00 CET (01:00 UTC); 02:30 happens at
  // 00:30 UTC (CEST) and again at 01:30 UTC (CET).
  const Schedule s = MustParse("30 2 * * *", "Europe/Berlin");
  const int64_t fired = s.NextAfter(Instant("2026-10-24T12:00:00", "Europe/Berlin"));
  EXPECT_EQ(fired, Utc("2026-10-25T00:30:00"));
  EXPECT_EQ(Local(fired, "Europe/Berlin"), "2026-10-25 02:30:00 +02:00");
  const int64_t next = s.NextAfter(fired);
  EXPECT_NE(next, Utc("2026-10-25T01:30:00"));
  EXPECT_EQ(Local(next, "Europe/Berlin"), "2026-10-26 02:30:00 +01:00");
}

TEST(ScheduleDstTest, DuringTheRepeatedHourTheAlreadyFiredTimeIsNotRepeated) {
  const Schedule s = MustParse("30 2 * * *", "Europe/Berlin");
  // 01:10 UTC is 02:10 CET, the second pass through 02:xx.
  EXPECT_EQ(Local(s.NextAfter(Utc("2026-10-25T01:10:00")), "Europe/Berlin"),
            "2026-10-26 02:30:00 +01:00");
  // 00:10 UTC is 02:10 CEST, the first pass: 02:30 CEST is still ahead.
  EXPECT_EQ(s.NextAfter(Utc("2026-10-25T00:10:00")), Utc("2026-10-25T00:30:00"));
}

TEST(ScheduleDstTest, FrequentScheduleSkipsTheSecondPassOfTheRepeatedHour) {
  EXPECT_THAT(Firings("*/30 * * * *", "Europe/Berlin", "2026-10-25T01:00:00", 5),
              ElementsAre("2026-10-25 01:30:00 +02:00", "2026-10-25 02:00:00 +02:00",
                          "2026-10-25 02:30:00 +02:00", "2026-10-25 03:00:00 +01:00",
                          "2026-10-25 03:30:00 +01:00"));
  // Per-second schedule from inside the second pass: next is the end of the repeated hour.
  const Schedule every_second = MustParse("* * * * * *", "Europe/Berlin");
  EXPECT_EQ(every_second.NextAfter(Utc("2026-10-25T01:20:00")), Utc("2026-10-25T02:00:00"));
}

TEST(ScheduleDstTest, NextAfterAlwaysMovesForwardAcrossTransitions) {
  for (const std::string expression : {"*/7 * * * *", "30 2 * * *", "0 1-3 * * *", "@hourly"}) {
    const Schedule s = MustParse(expression, "Europe/Berlin");
    int64_t t = Utc("2026-03-28T20:00:00");
    int count = 0;
    while (t < Utc("2026-03-30T00:00:00")) {
      const int64_t next = s.NextAfter(t);
      ASSERT_GT(next, t) << expression << " after " << Local(t, "Europe/Berlin");
      t = next;
      ++count;
    }
    t = Utc("2026-10-24T20:00:00");
    while (t < Utc("2026-10-26T00:00:00")) {
      const int64_t next = s.NextAfter(t);
      ASSERT_GT(next, t) << expression << " after " << Local(t, "Europe/Berlin");
      t = next;
      ++count;
    }
    EXPECT_GT(count, 1) << expression;
  }
}

// ---- errors ----------------------------------------------------------------------------------

struct ErrorCase {
  std::string expression;
  std::string zone;
  std::string message;  // a substring of the error
};

void PrintTo(const ErrorCase& c, std::ostream* os) {
  *os << '"' << c.expression << "\" in \"" << c.zone << '"';
}

class ScheduleErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ScheduleErrorTest, IsRefusedWithASpecificMessage) {
  const ErrorCase& c = GetParam();
  absl::StatusOr<Schedule> s = Schedule::Parse(c.expression, c.zone);
  ASSERT_FALSE(s.ok()) << c.expression;
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr(c.message));
  EXPECT_THAT(s.status().message(), Not(HasSubstr("\n")));
  EXPECT_THAT(s.status().message(), Not(HasSubstr("schedule.cc")));
  // The policy loader blames the time_zone key when the message mentions a time zone.
  const bool zone_error = c.message.find("time zone") != std::string::npos;
  EXPECT_EQ(std::string(s.status().message()).find("time zone") != std::string::npos, zone_error);
}

INSTANTIATE_TEST_SUITE_P(
    Fields, ScheduleErrorTest,
    ::testing::Values(
        ErrorCase{"0 25 * * *", "UTC", "field 2 (hour): 25 is out of range 0..23"},
        ErrorCase{"60 * * * *", "UTC", "field 1 (minute): 60 is out of range 0..59"},
        ErrorCase{"0 0 0 * *", "UTC", "field 3 (day of month): 0 is out of range 1..31"},
        ErrorCase{"0 0 32 * *", "UTC", "field 3 (day of month): 32 is out of range 1..31"},
        ErrorCase{"0 0 * 13 *", "UTC", "field 4 (month): 13 is out of range 1..12"},
        ErrorCase{"0 0 * 0 *", "UTC", "field 4 (month): 0 is out of range 1..12"},
        ErrorCase{"0 0 * * 8", "UTC", "field 5 (day of week): 8 is out of range 0..7"},
        ErrorCase{"0 0 1-99999 * *", "UTC", "field 3 (day of month): 99999 is out of range"},
        ErrorCase{"60 * * * * *", "UTC", "field 1 (second): 60 is out of range 0..59"},
        ErrorCase{"0 0 25 * * *", "UTC", "field 3 (hour): 25 is out of range 0..23"},
        ErrorCase{"0 60 * * * *", "UTC", "field 2 (minute): 60 is out of range 0..59"},
        ErrorCase{"*/0 * * * *", "UTC", "field 1 (minute): step 0 in \"*/0\" must be at least 1"},
        ErrorCase{"0 1-5/0 * * *", "UTC", "field 2 (hour): step 0"},
        ErrorCase{"*/61 * * * *", "UTC", "field 1 (minute): step 61 is larger than the range"},
        ErrorCase{"0 */24 * * *", "UTC", "field 2 (hour): step 24 is larger than the range"},
        ErrorCase{"*/ * * * *", "UTC", "field 1 (minute): \"*/\" has no step"},
        ErrorCase{"*/x * * * *", "UTC", "field 1 (minute): step \"x\" is not a number"},
        ErrorCase{"1/2/3 * * * *", "UTC", "field 1 (minute): more than one \"/\""},
        ErrorCase{"/5 * * * *", "UTC", "field 1 (minute): a step needs a start"},
        ErrorCase{"1,,2 * * * *", "UTC", "field 1 (minute): empty item in the list \"1,,2\""},
        ErrorCase{"0 0 * * ,", "UTC", "field 5 (day of week): empty item"},
        ErrorCase{"0 0 1, * *", "UTC", "field 3 (day of month): empty item"},
        ErrorCase{"x * * * *", "UTC", "field 1 (minute): \"x\" is not a number"},
        ErrorCase{"0 0 L * *", "UTC", "field 3 (day of month): \"L\" is not a number"},
        ErrorCase{"5; * * * *", "UTC", "field 1 (minute): \"5;\" is not a number"},
        ErrorCase{"0 0 * * ?", "UTC", "field 5 (day of week): \"?\" is not a day of the week"},
        ErrorCase{"0 0 * foo *", "UTC", "field 4 (month): \"foo\" is not a month (1..12 or jan"},
        ErrorCase{"0 0 * * funday", "UTC", "field 5 (day of week): \"funday\" is not a day"},
        ErrorCase{"0 0 * * mon#2", "UTC", "field 5 (day of week): \"mon#2\" is not a day"},
        ErrorCase{"0 mon * * *", "UTC", "field 2 (hour): \"mon\" is not a number"},
        ErrorCase{"0 0 * * \xc3\xa9", "UTC", "field 5 (day of week): \"\\xc3\\xa9\" is not"},
        ErrorCase{"5-1 * * * *", "UTC", "field 1 (minute): range \"5-1\" runs backwards"},
        ErrorCase{"0 0 * * fri-mon", "UTC", "field 5 (day of week): range \"fri-mon\" runs"},
        ErrorCase{"5- * * * *", "UTC", "field 1 (minute): range \"5-\" has no end"},
        ErrorCase{"-5 * * * *", "UTC", "field 1 (minute): range \"-5\" has no start"},
        ErrorCase{"1-2-3 * * * *", "UTC", "field 1 (minute): \"1-2-3\" is not a range"}));

INSTANTIATE_TEST_SUITE_P(
    Shape, ScheduleErrorTest,
    ::testing::Values(
        ErrorCase{"* * *", "UTC",
                  "expected 5 fields (MIN HOUR DOM MON DOW) or 6 (SEC MIN HOUR DOM MON DOW), "
                  "got 3"},
        ErrorCase{"* * * * * * *", "UTC", "got 7"}, ErrorCase{"", "UTC", "the schedule is empty"},
        ErrorCase{"   ", "UTC", "the schedule is empty"},
        ErrorCase{"0 0\n* * *", "UTC", "schedule \"0 0\\n* * *\" contains a line break"},
        ErrorCase{"0 0 * * *\r\n", "UTC", "contains a line break"},
        ErrorCase{"0\t0 * * *", "UTC", "contains a tab"},
        ErrorCase{std::string("0 0 * * *\0", 10), "UTC", "contains a control character"},
        ErrorCase{"0 0 * * *\x7f", "UTC", "contains a control character"},
        ErrorCase{"0 0 30 2 *", "UTC", "\"0 0 30 2 *\" never fires (February 30)"},
        ErrorCase{"0 0 31 feb *", "UTC", "never fires (February 31)"},
        ErrorCase{"0 0 31 4,6,9,11 *", "UTC",
                  "never fires (no day 31 in April, June, September, November)"},
        ErrorCase{"0 0 30,31 2 *", "UTC", "never fires (no day 30 or later in February)"},
        ErrorCase{"0 0 30 2 */2", "UTC", "never fires (February 30)"},
        ErrorCase{"@fortnightly", "UTC", "unknown macro \"@fortnightly\""},
        ErrorCase{"@reboot", "UTC", "unknown macro \"@reboot\""},
        ErrorCase{"@daily 3", "UTC", "\"@daily\" takes nothing after it"}));

INSTANTIATE_TEST_SUITE_P(
    Every, ScheduleErrorTest,
    ::testing::Values(ErrorCase{"@every 0s", "UTC", "\"@every\" interval 0s must be at least 1s"},
                      ErrorCase{"@every 0h", "UTC", "must be at least 1s"},
                      ErrorCase{"@every 5", "UTC",
                                "\"@every\" interval \"5\" has no unit; write 5s, 5m or 5h"},
                      ErrorCase{"@every 25h", "UTC", "\"@every\" interval 25h is longer than 24h"},
                      ErrorCase{"@every 1441m", "UTC", "is longer than 24h"},
                      ErrorCase{"@every 86401s", "UTC", "is longer than 24h"},
                      ErrorCase{"@every 99999999999999999999s", "UTC", "is longer than 24h"},
                      ErrorCase{"@every", "UTC", "\"@every\" needs an interval"},
                      ErrorCase{"@every 5x", "UTC", "has an unknown unit \"x\""},
                      ErrorCase{"@every 1h30m", "UTC", "has an unknown unit \"h30m\""},
                      ErrorCase{"@every -5m", "UTC", "is not a number followed by s, m or h"},
                      ErrorCase{"@every 1h 2h", "UTC", "takes one interval"}));

INSTANTIATE_TEST_SUITE_P(
    Zones, ScheduleErrorTest,
    ::testing::Values(ErrorCase{"0 3 * * *", "Mars/Base", "unknown time zone \"Mars/Base\""},
                      ErrorCase{"@every 1h", "Mars/Base", "unknown time zone \"Mars/Base\""},
                      ErrorCase{"0 3 * * *", "", "the time zone is empty"},
                      ErrorCase{"0 3 * * *", "/etc/localtime", "unknown time zone"},
                      ErrorCase{"0 3 * * *", "../../etc/passwd", "unknown time zone"},
                      ErrorCase{"0 3 * * *", "Europe/Berlin\n", "unknown time zone"}));

TEST(ScheduleTest, AcceptsEveryDocumentedForm) {
  for (const std::string expression :
       {"* * * * *",   "*/5 * * * * *", "0 0 * * 7",     "0 0 * * sat-sun", "0 0 1-31/2 * *",
        "0 0 29 2 *",  "0 0 31 1-12 *", "@yearly",       "@annually",       "@monthly",
        "@weekly",     "@daily",        "@midnight",     "@hourly",         "@every 1s",
        "@every 24h",  "@every 1440m",  "@every 86400s", "0 0 * * */7",     "59 23 31 dec *",
        "0 0 30 1-2 *"}) {
    EXPECT_TRUE(Schedule::Parse(expression, "Europe/Berlin").ok()) << expression;
  }
}

}  // namespace
}  // namespace relayguard
