#include "common/window.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/common/schedule_test_util.h"

namespace relayguard {
namespace {

using ::testing::HasSubstr;
using testing::Instant;
using testing::Local;
using testing::MustParse;
using ::testing::Not;
using testing::Utc;
using testing::Zone;

MaintenanceWindow MustParseWindow(const std::string& text, const std::string& zone = "UTC") {
  absl::StatusOr<MaintenanceWindow> w = MaintenanceWindow::Parse(text, zone);
  EXPECT_TRUE(w.ok()) << text << ": " << w.status();
  return w.ok() ? *w : *MaintenanceWindow::Parse("* 00:00-24:00", "UTC");
}

TEST(MaintenanceWindowTest, ContainsItsHoursOnItsDaysOnly) {
  const MaintenanceWindow w = MustParseWindow("sat 02:00-05:00");
  EXPECT_EQ(w.text(), "sat 02:00-05:00");
  // 2026-01-03 is a Saturday.
  EXPECT_TRUE(w.Contains(Utc("2026-01-03T02:00:00")));
  EXPECT_TRUE(w.Contains(Utc("2026-01-03T04:59:59")));
  EXPECT_FALSE(w.Contains(Utc("2026-01-03T05:00:00")));
  EXPECT_FALSE(w.Contains(Utc("2026-01-03T01:59:59")));
  EXPECT_FALSE(w.Contains(Utc("2026-01-04T03:00:00")));
  EXPECT_FALSE(w.Contains(Utc("2026-01-02T03:00:00")));
  EXPECT_TRUE(w.Contains(Utc("2026-01-10T03:00:00")));
}

// fuzz/regressions/schedule: 02:00-02:30 does not exist in Berlin on 2024-03-31 (clocks jump
// from 02:00 to 03:00), so the window does not open that day; the next opening is the next day's.
TEST(MaintenanceWindowTest, AWindowTheDstChangeSkipsOpensTheNextDay) {
  const MaintenanceWindow w = MustParseWindow("* 02:00-02:30", "Europe/Berlin");
  const int64_t opens = w.NextOpening(Instant("2024-03-31T01:59:59", "Europe/Berlin"));
  EXPECT_EQ(Local(opens, "Europe/Berlin"), "2024-04-01 02:00:00 +02:00");
  EXPECT_TRUE(w.Contains(opens));
  // A window the change only shortens still opens that day, at the first instant it holds.
  const MaintenanceWindow longer = MustParseWindow("* 02:00-04:00", "Europe/Berlin");
  EXPECT_EQ(Local(longer.NextOpening(Instant("2024-03-31T01:00:00", "Europe/Berlin")),
                  "Europe/Berlin"),
            "2024-03-31 03:00:00 +02:00");
}

TEST(MaintenanceWindowTest, WindowCrossingMidnightBelongsToItsStartDay) {
  const MaintenanceWindow w = MustParseWindow("fri 22:00-02:00");
  EXPECT_TRUE(w.Contains(Utc("2026-01-02T22:00:00")));  // Friday
  EXPECT_TRUE(w.Contains(Utc("2026-01-02T23:30:00")));
  EXPECT_TRUE(w.Contains(Utc("2026-01-03T01:59:59")));  // Saturday morning
  EXPECT_FALSE(w.Contains(Utc("2026-01-03T02:00:00")));
  EXPECT_FALSE(w.Contains(Utc("2026-01-03T22:30:00")));  // Saturday evening: not a start day
  EXPECT_FALSE(w.Contains(Utc("2026-01-02T01:00:00")));  // Friday morning: Thursday's night
  EXPECT_FALSE(w.Contains(Utc("2026-01-01T23:00:00")));  // Thursday
  EXPECT_FALSE(w.Contains(Utc("2026-01-02T21:59:59")));
}

TEST(MaintenanceWindowTest, EndOfTwentyFourMeansMidnight) {
  const MaintenanceWindow w = MustParseWindow("sun 22:00-24:00");
  EXPECT_TRUE(w.Contains(Utc("2026-01-04T23:59:59")));
  EXPECT_FALSE(w.Contains(Utc("2026-01-05T00:00:00")));
  const MaintenanceWindow all_day = MustParseWindow("daily 00:00-24:00");
  const MaintenanceWindow star = MustParseWindow("* 00:00-24:00");
  for (int64_t t = Utc("2026-01-01T00:00:00"); t < Utc("2026-01-15T00:00:00"); t += 3599) {
    EXPECT_TRUE(all_day.Contains(t)) << Local(t, "UTC");
    EXPECT_TRUE(star.Contains(t)) << Local(t, "UTC");
  }
}

TEST(MaintenanceWindowTest, DayListsRangesAndNames) {
  const int64_t mon = Utc("2026-01-05T10:30:00"), tue = mon + 86400, wed = tue + 86400,
                thu = wed + 86400, fri = thu + 86400, sat = fri + 86400, sun = sat + 86400;
  const MaintenanceWindow weekdays = MustParseWindow("mon-fri 09:00-17:00");
  EXPECT_TRUE(weekdays.Contains(mon));
  EXPECT_TRUE(weekdays.Contains(fri));
  EXPECT_FALSE(weekdays.Contains(sat));
  EXPECT_FALSE(weekdays.Contains(sun));
  const MaintenanceWindow weekend = MustParseWindow("sat,sun 10:00-12:00");
  EXPECT_TRUE(weekend.Contains(sat));
  EXPECT_TRUE(weekend.Contains(sun));
  EXPECT_FALSE(weekend.Contains(fri));
  const MaintenanceWindow mixed = MustParseWindow("mon-tue,thu 10:00-11:00");
  EXPECT_TRUE(mixed.Contains(mon));
  EXPECT_TRUE(mixed.Contains(tue));
  EXPECT_FALSE(mixed.Contains(wed));
  EXPECT_TRUE(mixed.Contains(thu));
  // A range wraps around the end of the week.
  const MaintenanceWindow wrap = MustParseWindow("FRI-Mon 10:00-11:00");
  EXPECT_TRUE(wrap.Contains(fri));
  EXPECT_TRUE(wrap.Contains(sat));
  EXPECT_TRUE(wrap.Contains(sun));
  EXPECT_TRUE(wrap.Contains(mon));
  EXPECT_FALSE(wrap.Contains(wed));
  // Spaces around the dash are harmless.
  EXPECT_TRUE(MustParseWindow("wed 10:00 - 11:00").Contains(wed));
}

TEST(MaintenanceWindowTest, NextOpeningIsTheNextStartStrictlyAfter) {
  const MaintenanceWindow w = MustParseWindow("sat 02:00-05:00");
  EXPECT_EQ(w.NextOpening(Utc("2026-01-01T12:00:00")), Utc("2026-01-03T02:00:00"));
  EXPECT_EQ(w.NextOpening(Utc("2026-01-03T01:59:59")), Utc("2026-01-03T02:00:00"));
  EXPECT_EQ(w.NextOpening(Utc("2026-01-03T02:00:00")), Utc("2026-01-10T02:00:00"));
  EXPECT_EQ(w.NextOpening(Utc("2026-01-03T03:00:00")), Utc("2026-01-10T02:00:00"));
  const MaintenanceWindow night = MustParseWindow("fri 22:00-02:00");
  EXPECT_EQ(night.NextOpening(Utc("2026-01-03T01:00:00")), Utc("2026-01-09T22:00:00"));
  const MaintenanceWindow daily = MustParseWindow("daily 23:00-01:00");
  EXPECT_EQ(daily.NextOpening(Utc("2026-01-03T23:30:00")), Utc("2026-01-04T23:00:00"));
}

TEST(MaintenanceWindowTest, IsLocalTimeInItsZone) {
  const MaintenanceWindow w = MustParseWindow("sat 02:00-05:00", "Europe/Berlin");
  EXPECT_EQ(w.NextOpening(Utc("2026-01-01T00:00:00")), Utc("2026-01-03T01:00:00"));  // CET
  EXPECT_TRUE(w.Contains(Utc("2026-01-03T03:30:00")));
  EXPECT_FALSE(w.Contains(Utc("2026-01-03T04:00:00")));  // 05:00 in Berlin
  EXPECT_EQ(w.NextOpening(Utc("2026-07-01T00:00:00")), Utc("2026-07-04T00:00:00"));  // CEST
}

TEST(MaintenanceWindowTest, OpeningInTheSpringGapOpensAtTheTransition) {
  // 02:30 does not exist in Berlin on 2026-03-29; the window opens at 03:00 CEST.
  const MaintenanceWindow w = MustParseWindow("sun 02:30-04:00", "Europe/Berlin");
  EXPECT_EQ(w.NextOpening(Utc("2026-03-28T12:00:00")), Utc("2026-03-29T01:00:00"));
  EXPECT_TRUE(w.Contains(Utc("2026-03-29T01:00:00")));
  EXPECT_TRUE(w.Contains(Utc("2026-03-29T01:59:59")));
  EXPECT_FALSE(w.Contains(Utc("2026-03-29T02:00:00")));  // 04:00 CEST
}

struct WindowErrorCase {
  std::string text;
  std::string zone;
  std::string message;
};

void PrintTo(const WindowErrorCase& c, std::ostream* os) { *os << '"' << c.text << '"'; }

class MaintenanceWindowErrorTest : public ::testing::TestWithParam<WindowErrorCase> {};

TEST_P(MaintenanceWindowErrorTest, IsRefusedWithASpecificMessage) {
  const WindowErrorCase& c = GetParam();
  absl::StatusOr<MaintenanceWindow> w = MaintenanceWindow::Parse(c.text, c.zone);
  ASSERT_FALSE(w.ok()) << c.text;
  EXPECT_EQ(w.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(w.status().message(), HasSubstr(c.message));
  EXPECT_THAT(w.status().message(), Not(HasSubstr("\n")));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MaintenanceWindowErrorTest,
    ::testing::Values(
        WindowErrorCase{"sat 25:00-26:00", "UTC",
                        "maintenance window \"sat 25:00-26:00\": hour 25 is out of range 0..23"},
        WindowErrorCase{"sat 02:00-25:00", "UTC", "hour 25 is out of range 0..23"},
        WindowErrorCase{"sat 02:60-03:00", "UTC", "minute 60 is out of range 0..59"},
        WindowErrorCase{"sat 24:00-02:00", "UTC", "hour 24 is out of range 0..23 (only the end"},
        WindowErrorCase{"sat 02:00-24:30", "UTC", "hour 24 is out of range 0..23"},
        WindowErrorCase{"sat 02:00-02:00", "UTC",
                        "\"sat 02:00-02:00\": empty window (it ends when it starts, at 02:00); "
                        "for a whole day write 00:00-24:00"},
        WindowErrorCase{"sat 00:00-00:00", "UTC", "empty window"},
        WindowErrorCase{"xyz 02:00-03:00", "UTC", "\"xyz\" is not a day (sun..sat)"},
        WindowErrorCase{"monday 02:00-03:00", "UTC", "\"monday\" is not a day"},
        WindowErrorCase{"mon- 02:00-03:00", "UTC", "\"mon-\" is not a day"},
        WindowErrorCase{"sat,,sun 02:00-03:00", "UTC", "empty item in the day list \"sat,,sun\""},
        WindowErrorCase{"sat", "UTC", "expected \"DAYS HH:MM-HH:MM\""},
        WindowErrorCase{"", "UTC", "maintenance window \"\": is empty"},
        WindowErrorCase{"sat 0200-0300", "UTC", "\"0200\" is not a time HH:MM"},
        WindowErrorCase{"sat 2:0-3:00", "UTC", "\"2:0\" is not a time HH:MM"},
        WindowErrorCase{"sat 02:00", "UTC", "\"02:00\" is not a time range HH:MM-HH:MM"},
        WindowErrorCase{"sat 02:00-03:00-04:00", "UTC", "is not a time range"},
        WindowErrorCase{"sat 02:00-03:00\n", "UTC", "contains a line break"},
        WindowErrorCase{"sat\t02:00-03:00", "UTC", "contains a tab"},
        WindowErrorCase{"sat 02:00-03:00", "Mars/Base", "unknown time zone \"Mars/Base\""}));

TEST(MaintenanceWindowTest, AcceptsSingleDigitHours) {
  const MaintenanceWindow w = MustParseWindow("sat 2:00-5:00");
  EXPECT_TRUE(w.Contains(Utc("2026-01-03T03:00:00")));
}

TEST(WindowsTest, NoWindowsMeansAnyTime) {
  EXPECT_TRUE(InAnyWindow({}, Utc("2026-01-01T00:00:00")));
  EXPECT_EQ(NextWindowOpening({}, Utc("2026-01-01T00:00:00")), 0);
}

TEST(WindowsTest, AnyWindowAndTheEarliestOpening) {
  const std::vector<MaintenanceWindow> windows = {MustParseWindow("sat 02:00-05:00"),
                                                  MustParseWindow("tue 22:00-23:00")};
  EXPECT_TRUE(InAnyWindow(windows, Utc("2026-01-03T03:00:00")));
  EXPECT_TRUE(InAnyWindow(windows, Utc("2026-01-06T22:30:00")));
  EXPECT_FALSE(InAnyWindow(windows, Utc("2026-01-05T22:30:00")));
  // Thursday: Saturday's opens first; Sunday: Tuesday's does.
  EXPECT_EQ(NextWindowOpening(windows, Utc("2026-01-01T12:00:00")), Utc("2026-01-03T02:00:00"));
  EXPECT_EQ(NextWindowOpening(windows, Utc("2026-01-04T12:00:00")), Utc("2026-01-06T22:00:00"));
}

}  // namespace
}  // namespace relayguard
