#include "agent/monitor/log_line.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <string>

namespace relayguard::agent {
namespace {

class FixedClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return {}; }
  int64_t WallSeconds() override { return wall; }
  void SleepFor(std::chrono::milliseconds) override {}
  int64_t wall = 1796558400;  // 2026-12-06T12:00:00Z
};

class LogLineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
  bool Split(const std::string& text) {
    entry_.text = text;
    return LogLineSplitter(clock_).Split(entry_, line_);
  }
  FixedClock clock_;
  LogEntry entry_;
  LogLine line_;
};

constexpr int64_t kDec5At10 = 1796464800;  // 2026-12-05T10:00:00Z

TEST_F(LogLineTest, SplitsTraditionalSyslogWithTheClocksYear) {
  ASSERT_TRUE(Split("Dec  5 10:00:01 mx1 postfix/smtpd[1234]: connect from unknown[127.0.0.9]"));
  EXPECT_EQ(line_.time_s, kDec5At10 + 1);
  EXPECT_EQ(line_.program, "postfix/smtpd");
  EXPECT_EQ(line_.pid, 1234);
  EXPECT_EQ(line_.message, "connect from unknown[127.0.0.9]");
}

TEST_F(LogLineTest, SplitsPostfixMaillogFileWithAZeroPaddedDay) {
  ASSERT_TRUE(Split("Dec 05 10:42:07 pf postfix/smtpd[17277]: connect from unknown[127.0.0.9]"));
  EXPECT_EQ(line_.time_s, kDec5At10 + 42 * 60 + 7);
  EXPECT_EQ(line_.program, "postfix/smtpd");
}

TEST_F(LogLineTest, TakesLastYearWhenTheCurrentOneIsMoreThanADayAhead) {
  clock_.wall = 1798761600;  // 2027-01-01T00:00:00Z
  ASSERT_TRUE(Split("Dec 31 23:59:59 mx1 sm-mta[1]: x"));
  EXPECT_EQ(line_.time_s, 1798761599);  // 2026-12-31T23:59:59Z
  ASSERT_TRUE(Split("Jan  1 00:00:30 mx1 sm-mta[1]: x"));
  EXPECT_EQ(line_.time_s, 1798761630);
  // Less than a day ahead (a host clock a little behind the MTA's): still this year.
  ASSERT_TRUE(Split("Jan  1 20:00:00 mx1 sm-mta[1]: x"));
  EXPECT_EQ(line_.time_s, 1798761600 + 20 * 3600);
}

TEST_F(LogLineTest, SplitsRfc3339WithItsZone) {
  ASSERT_TRUE(Split("2026-12-05T11:00:01.123456+01:00 mx1 postfix/qmgr[3]: AB: removed"));
  EXPECT_EQ(line_.time_s, kDec5At10 + 1);
  EXPECT_EQ(line_.program, "postfix/qmgr");
  EXPECT_EQ(line_.pid, 3);
  EXPECT_EQ(line_.message, "AB: removed");
  ASSERT_TRUE(Split("2026-12-05T10:00:01Z mx1 exim[3]: x"));
  EXPECT_EQ(line_.time_s, kDec5At10 + 1);
  ASSERT_TRUE(Split("2026-12-05T05:00:01-05:00 mx1 sendmail: no pid"));
  EXPECT_EQ(line_.time_s, kDec5At10 + 1);
  EXPECT_EQ(line_.program, "sendmail");
  EXPECT_EQ(line_.pid, 0);
}

TEST_F(LogLineTest, SplitsEximsMainlogWithAndWithoutPidAndZone) {
  ASSERT_TRUE(Split("2026-12-05 10:00:01 1xZnDx-0004ms-1A Completed"));
  EXPECT_EQ(line_.time_s, kDec5At10 + 1);
  EXPECT_EQ(line_.program, "exim");
  EXPECT_EQ(line_.pid, 0);
  EXPECT_EQ(line_.message, "1xZnDx-0004ms-1A Completed");
  ASSERT_TRUE(Split("2026-12-05 11:00:01 +0100 [18678] 1xZnE2-0004rG-1u Completed"));
  EXPECT_EQ(line_.time_s, kDec5At10 + 1);
  EXPECT_EQ(line_.pid, 18678);
  EXPECT_EQ(line_.message, "1xZnE2-0004rG-1u Completed");
  ASSERT_TRUE(Split("2026-12-05 10:00:01 [77] Start queue run: pid=77"));
  EXPECT_EQ(line_.pid, 77);
  ASSERT_TRUE(Split("2026-12-05 10:00:01 -0030 x y"));
  EXPECT_EQ(line_.time_s, kDec5At10 + 1 + 1800);
}

TEST_F(LogLineTest, TakesJournalFieldsAsTheyAre) {
  entry_.from_journal = true;
  entry_.identifier = "postfix/smtpd";
  entry_.pid = 42;
  entry_.time_us = (kDec5At10 + 1) * 1000000 + 999999;
  entry_.text = "NOQUEUE: reject: whatever";
  ASSERT_TRUE(LogLineSplitter(clock_).Split(entry_, line_));
  EXPECT_EQ(line_.time_s, kDec5At10 + 1);
  EXPECT_EQ(line_.program, "postfix/smtpd");
  EXPECT_EQ(line_.pid, 42);
  EXPECT_EQ(line_.message, "NOQUEUE: reject: whatever");
  entry_.identifier.clear();
  EXPECT_FALSE(LogLineSplitter(clock_).Split(entry_, line_));
}

TEST_F(LogLineTest, RefusesWhatIsNotALogLine) {
  for (const char* text : {
           "",
           "short",
           "garbage without any timestamp at all",
           "Dec 32 10:00:00 mx1 postfix/smtpd[1]: x",
           "Foo  5 10:00:00 mx1 postfix/smtpd[1]: x",
           "Dec  5 10:00:00 mx1",
           "Dec  5 10:00:00 mx1 postfix/smtpd[1x]: x",
           "Dec  5 25:00:00 mx1 postfix/smtpd[1]: x",
           "Dec  5 10:00:00 mx1 postfix smtpd: x",
           "2026-13-05T10:00:00Z mx1 p[1]: x",
           "2026-12-05T10:00:00 mx1 p[1]: x",
           "2026-12-05T10:00:00+0100 mx1 p[1]: x",
           "2026-12-05 10:00:00",
           "2026-12-05 10:00:00 [12 unclosed pid",
           "2026-12-05 10:00:00 +01 x",
           " Suggested action: a continuation line",
       }) {
    EXPECT_FALSE(Split(text)) << text;
  }
}

}  // namespace
}  // namespace relayguard::agent
