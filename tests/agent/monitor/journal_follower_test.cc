// The journal follower against a real systemd-journald (tests/support/journal_lab.h).
#include "agent/monitor/journal_follower.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/support/journal_lab.h"

namespace relayguard::agent {
namespace {

using ::testing::IsEmpty;
using Clock = std::chrono::steady_clock;

class JournalFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_ = std::make_unique<testing::JournalLab>();
    ASSERT_EQ(lab_->error(), "");
    char tmpl[] = "/tmp/rg-journal-state-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    state_dir_ = tmpl;
  }
  void TearDown() override {
    lab_.reset();
    std::filesystem::remove_all(state_dir_);
  }

  std::unique_ptr<JournalFollower> NewFollower(std::vector<std::string> matches) {
    JournalFollowerOptions options;
    options.matches = std::move(matches);
    options.directory = lab_->journal_dir();
    options.cursor_file = state_dir_ + "/journal.cursor";
    options.name = "postfix";
    absl::StatusOr<std::unique_ptr<JournalFollower>> follower =
        JournalFollower::Open(options, fs_);
    EXPECT_TRUE(follower.ok()) << follower.status();
    return follower.ok() ? std::move(*follower) : nullptr;
  }

  // Reads until `count` entries came (30 s at most), `batch` at a time, waiting in between.
  std::vector<LogEntry> ReadEntries(LogFollower& follower, size_t count, size_t batch = 1000) {
    std::vector<LogEntry> all;
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (all.size() < count && Clock::now() < deadline) {
      size_t before = all.size();
      absl::Status status = follower.Read(all, std::min(batch, count - all.size()));
      EXPECT_TRUE(status.ok()) << status;
      if (all.size() == before) follower.Wait(std::chrono::milliseconds(500));
    }
    return all;
  }

  static std::vector<std::string> Texts(const std::vector<LogEntry>& entries) {
    std::vector<std::string> texts;
    for (const LogEntry& e : entries) texts.push_back(e.text);
    return texts;
  }

  RealFileSystem fs_;
  std::unique_ptr<testing::JournalLab> lab_;
  std::string state_dir_;
};

const std::vector<std::string> kPostfixMatches = {"SYSLOG_IDENTIFIER=postfix/smtpd",
                                                  "SYSLOG_IDENTIFIER=postfix/cleanup"};

std::string Message(int i) {
  return absl::StrCat("NOQUEUE: reject: RCPT from unknown[127.0.0.9]: 554 5.7.1 <u", i,
                      "@example.net>: Relay access denied");
}

TEST_F(JournalFollowerTest, FollowsMatchingEntriesFromTheTailThenResumesAtTheSavedCursor) {
  ASSERT_TRUE(lab_->Send("postfix/smtpd", "before the first start"));
  ASSERT_TRUE(lab_->WaitForMessage("before the first start"));
  std::unique_ptr<JournalFollower> follower = NewFollower(kPostfixMatches);
  ASSERT_NE(follower, nullptr);
  std::vector<LogEntry> none;
  ASSERT_TRUE(follower->Read(none, 100).ok());
  EXPECT_THAT(none, IsEmpty());  // the first start begins at the tail

  constexpr int kSent = 150;
  std::vector<std::string> expected;
  int64_t sent_at_us = std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
  for (int i = 0; i < kSent; ++i) {
    ASSERT_TRUE(lab_->Send(i % 2 ? "postfix/cleanup" : "postfix/smtpd", Message(i)))
        << lab_->error();
    ASSERT_TRUE(lab_->Send("CRON", "not the MTA's"));  // matches none: never read
    expected.push_back(Message(i));
  }
  std::vector<LogEntry> first = ReadEntries(*follower, 60, 7);
  ASSERT_EQ(first.size(), 60u);
  EXPECT_EQ(first[0].identifier, "postfix/smtpd");
  EXPECT_EQ(first[1].identifier, "postfix/cleanup");
  EXPECT_TRUE(first[0].from_journal);
  EXPECT_EQ(first[0].pid, getpid());  // journald's _PID: the sender's credentials
  EXPECT_GE(first[0].time_us, sent_at_us - 1000000);
  EXPECT_LE(first[0].time_us, sent_at_us + 60000000);
  ASSERT_TRUE(follower->SavePosition().ok());
  follower.reset();

  follower = NewFollower(kPostfixMatches);  // a restart: exactly the rest, nothing twice
  ASSERT_NE(follower, nullptr);
  std::vector<LogEntry> rest = ReadEntries(*follower, kSent - 60);
  std::vector<std::string> all = Texts(first);
  for (const std::string& t : Texts(rest)) all.push_back(t);
  EXPECT_EQ(all, expected);
  std::vector<LogEntry> more;
  ASSERT_TRUE(follower->Read(more, 100).ok());
  EXPECT_THAT(more, IsEmpty());
}

TEST_F(JournalFollowerTest, ResumesWithEntriesWrittenWhileNoFollowerRan) {
  std::unique_ptr<JournalFollower> follower = NewFollower(kPostfixMatches);
  ASSERT_NE(follower, nullptr);
  std::vector<LogEntry> none;
  ASSERT_TRUE(follower->Read(none, 10).ok());  // started (at the tail) before "one" comes
  ASSERT_TRUE(lab_->Send("postfix/smtpd", "one"));
  EXPECT_EQ(Texts(ReadEntries(*follower, 1)), std::vector<std::string>{"one"});
  ASSERT_TRUE(follower->SavePosition().ok());
  follower.reset();
  ASSERT_TRUE(lab_->Send("postfix/smtpd", "two"));
  ASSERT_TRUE(lab_->Send("postfix/cleanup", "three"));
  ASSERT_TRUE(lab_->WaitForMessage("three"));
  follower = NewFollower(kPostfixMatches);
  EXPECT_EQ(Texts(ReadEntries(*follower, 2)), (std::vector<std::string>{"two", "three"}));
}

TEST_F(JournalFollowerTest, ReadsWhatSystemdCatWrote) {
  std::unique_ptr<JournalFollower> follower = NewFollower({"SYSLOG_IDENTIFIER=sm-mta"});
  ASSERT_NE(follower, nullptr);
  std::vector<LogEntry> none;
  ASSERT_TRUE(follower->Read(none, 10).ok());
  ASSERT_EQ(lab_->SystemdCat("sm-mta", "ruleset=check_rcpt, arg1=<a@example.net>\nsecond\n"), 0)
      << lab_->Log();
  std::vector<LogEntry> entries = ReadEntries(*follower, 2);
  EXPECT_EQ(Texts(entries),
            (std::vector<std::string>{"ruleset=check_rcpt, arg1=<a@example.net>", "second"}));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].identifier, "sm-mta");
  EXPECT_GT(entries[0].pid, 0);
}

TEST_F(JournalFollowerTest, CutsOverLongAndKeepsBinaryMessages) {
  std::unique_ptr<JournalFollower> follower = NewFollower(kPostfixMatches);
  ASSERT_NE(follower, nullptr);
  std::vector<LogEntry> none;
  ASSERT_TRUE(follower->Read(none, 10).ok());
  std::string binary("bin\0ary\nline", 12);
  ASSERT_TRUE(lab_->Send("postfix/smtpd", std::string(kMaxLogLine + 4000, 'y'))) << lab_->error();
  ASSERT_TRUE(lab_->Send("postfix/smtpd", binary)) << lab_->error();
  std::vector<LogEntry> entries = ReadEntries(*follower, 2);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].text, std::string(kMaxLogLine, 'y'));
  EXPECT_EQ(entries[1].text, binary);
}

TEST_F(JournalFollowerTest, WaitEndsOnANewEntryAndOnWake) {
  std::unique_ptr<JournalFollower> follower = NewFollower(kPostfixMatches);
  ASSERT_NE(follower, nullptr);
  std::vector<LogEntry> none;
  ASSERT_TRUE(follower->Read(none, 10).ok());
  std::thread waker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    follower->Wake();
  });
  auto start = Clock::now();
  follower->Wait(std::chrono::seconds(20));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  waker.join();

  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    lab_->Send("postfix/smtpd", "woken");
  });
  start = Clock::now();
  std::vector<LogEntry> got;
  while (got.empty() && Clock::now() - start < std::chrono::seconds(10)) {
    follower->Wait(std::chrono::seconds(20));
    ASSERT_TRUE(follower->Read(got, 10).ok());
  }
  writer.join();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(Texts(got), std::vector<std::string>{"woken"});
}

TEST(JournalFollowerOpenTest, RefusesAMatchThatIsNotFieldEqualsValue) {
  RealFileSystem fs;
  char tmpl[] = "/tmp/rg-journal-empty-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  JournalFollowerOptions options;
  options.matches = {"postfix/smtpd"};
  options.directory = tmpl;
  absl::StatusOr<std::unique_ptr<JournalFollower>> follower = JournalFollower::Open(options, fs);
  rmdir(tmpl);
  ASSERT_FALSE(follower.ok());
  EXPECT_EQ(follower.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(follower.status().message()), ::testing::HasSubstr("postfix/smtpd"));
}

}  // namespace
}  // namespace relayguard::agent
