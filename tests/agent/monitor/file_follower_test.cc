#include "agent/monitor/file_follower.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace relayguard::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Clock = std::chrono::steady_clock;

void Append(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size())) << path;
  close(fd);
}

std::string Numbered(int from, int to) {  // "line FROM\n" ... "line TO-1\n"
  std::string text;
  for (int i = from; i < to; ++i) absl::StrAppend(&text, "line ", i, "\n");
  return text;
}

std::vector<std::string> NumberedLines(int from, int to) {
  std::vector<std::string> lines;
  for (int i = from; i < to; ++i) lines.push_back(absl::StrCat("line ", i));
  return lines;
}

std::vector<std::string> ReadNow(LogFollower& follower, size_t max = 1000000) {
  std::vector<LogEntry> out;
  absl::Status status = follower.Read(out, max);
  EXPECT_TRUE(status.ok()) << status;
  std::vector<std::string> lines;
  for (LogEntry& e : out) lines.push_back(e.text);
  return lines;
}

class FileFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-follow-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/mail.log";
    ASSERT_EQ(mkdir((dir_ + "/state").c_str(), 0700), 0);
    position_ = dir_ + "/state/mail.log.position";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<FileFollower> NewFollower() {
    return std::make_unique<FileFollower>(FileFollowerOptions{path_, position_}, fs_);
  }

  RealFileSystem fs_;
  std::string dir_, path_, position_;
};

TEST_F(FileFollowerTest, FirstStartBeginsAtTheEndOfTheFile) {
  Append(path_, Numbered(0, 5) + "unfinished");
  auto follower = NewFollower();
  EXPECT_THAT(ReadNow(*follower), IsEmpty());
  Append(path_, " line\n" + Numbered(5, 7));
  EXPECT_THAT(ReadNow(*follower), ElementsAre("unfinished line", "line 5", "line 6"));
}

TEST_F(FileFollowerTest, ResumesAfterRestartWithoutLosingOrRepeatingALine) {
  Append(path_, Numbered(0, 3));
  auto follower = NewFollower();
  ReadNow(*follower);
  Append(path_, Numbered(3, 13));
  EXPECT_EQ(ReadNow(*follower, 4), NumberedLines(3, 7));
  ASSERT_TRUE(follower->SavePosition().ok());
  follower.reset();
  Append(path_, Numbered(13, 15));
  follower = NewFollower();
  EXPECT_EQ(ReadNow(*follower), NumberedLines(7, 15));
}

TEST_F(FileFollowerTest, WaitsForTheNewlineOfAPartialLastLine) {
  auto follower = NewFollower();
  Append(path_, "");
  ReadNow(*follower);
  Append(path_, "Dec  5 10:00:01 host postfix/smtpd[1]: NOQUEUE");
  EXPECT_THAT(ReadNow(*follower), IsEmpty());
  ASSERT_TRUE(follower->SavePosition().ok());
  follower = NewFollower();  // the unfinished line is not lost across a restart either
  Append(path_, ": reject\n");
  EXPECT_THAT(ReadNow(*follower),
              ElementsAre("Dec  5 10:00:01 host postfix/smtpd[1]: NOQUEUE: reject"));
}

TEST_F(FileFollowerTest, CutsAnOverLongLineAndReadsTheNextOneWhole) {
  Append(path_, "");
  auto follower = NewFollower();
  ReadNow(*follower);
  Append(path_, std::string(kMaxLogLine + 5000, 'x') + "\nafter\n");
  std::vector<std::string> lines = ReadNow(*follower);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], std::string(kMaxLogLine, 'x'));
  EXPECT_EQ(lines[1], "after");
  ASSERT_TRUE(follower->SavePosition().ok());
  Append(path_, "later\n");
  follower = NewFollower();
  EXPECT_THAT(ReadNow(*follower), ElementsAre("later"));
}

TEST_F(FileFollowerTest, AMissingFileIsWaitedForAndReadFromItsStart) {
  auto follower = NewFollower();
  std::vector<LogEntry> out;
  absl::Status status = follower->Read(out, 100);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), ::testing::HasSubstr(path_));
  EXPECT_THAT(out, IsEmpty());
  Append(path_, Numbered(0, 3));
  EXPECT_EQ(ReadNow(*follower), NumberedLines(0, 3));
}

TEST_F(FileFollowerTest, DrainsTheFileRotatedWhileItWasDownThenTheNewOne) {
  Append(path_, Numbered(0, 2));
  auto follower = NewFollower();
  ReadNow(*follower);
  Append(path_, Numbered(2, 6));
  EXPECT_EQ(ReadNow(*follower), NumberedLines(2, 6));
  ASSERT_TRUE(follower->SavePosition().ok());
  follower.reset();
  Append(path_, Numbered(6, 9));
  ASSERT_EQ(rename(path_.c_str(), (path_ + ".1").c_str()), 0);
  Append(path_, Numbered(9, 12));
  follower = NewFollower();
  EXPECT_EQ(ReadNow(*follower), NumberedLines(6, 12));
}

TEST_F(FileFollowerTest, DrainsADateRotatedFileFoundByItsInode) {
  Append(path_, Numbered(0, 2));
  auto follower = NewFollower();
  ReadNow(*follower);
  Append(path_, Numbered(2, 4));
  ReadNow(*follower);
  ASSERT_TRUE(follower->SavePosition().ok());
  follower.reset();
  Append(path_, Numbered(4, 6));
  ASSERT_EQ(rename(path_.c_str(), (path_ + "-20261205").c_str()), 0);
  Append(path_ + ".1", "an older rotation\n");
  Append(path_, Numbered(6, 7));
  follower = NewFollower();
  EXPECT_EQ(ReadNow(*follower), NumberedLines(4, 7));
}

TEST_F(FileFollowerTest, DrainsTheCopyOfACopytruncateDoneWhileItWasDown) {
  Append(path_, Numbered(0, 2));
  auto follower = NewFollower();
  ReadNow(*follower);
  Append(path_, Numbered(2, 4));
  ReadNow(*follower);
  ASSERT_TRUE(follower->SavePosition().ok());
  follower.reset();
  Append(path_, Numbered(4, 6));
  std::filesystem::copy_file(path_, path_ + ".1");
  ASSERT_EQ(truncate(path_.c_str(), 0), 0);
  Append(path_, Numbered(6, 8));
  follower = NewFollower();
  EXPECT_EQ(ReadNow(*follower), NumberedLines(4, 8));
}

TEST_F(FileFollowerTest, ASameInodeWithAnotherFirstLineIsAnotherFileReadFromItsStart) {
  Append(path_, Numbered(0, 3));
  auto follower = NewFollower();
  ReadNow(*follower);
  Append(path_, Numbered(3, 5));
  ReadNow(*follower);
  ASSERT_TRUE(follower->SavePosition().ok());
  follower.reset();
  // Same inode, longer than the saved offset, but another file's content.
  ASSERT_EQ(truncate(path_.c_str(), 0), 0);
  Append(path_, "another file\n" + Numbered(100, 110));
  follower = NewFollower();
  std::vector<std::string> lines = ReadNow(*follower);
  std::vector<std::string> expected = {"another file"};
  for (const std::string& l : NumberedLines(100, 110)) expected.push_back(l);
  EXPECT_EQ(lines, expected);
}

TEST_F(FileFollowerTest, CopytruncateWhileRunningReadsTheRestFromTheCopyThenTheNewStart) {
  Append(path_, "");
  auto follower = NewFollower();
  ReadNow(*follower);
  Append(path_, Numbered(0, 10));
  EXPECT_EQ(ReadNow(*follower, 3), NumberedLines(0, 3));
  std::filesystem::copy_file(path_, path_ + ".1");
  ASSERT_EQ(truncate(path_.c_str(), 0), 0);
  Append(path_, Numbered(10, 12));
  EXPECT_EQ(ReadNow(*follower), NumberedLines(3, 12));
}

TEST_F(FileFollowerTest, ATruncatedFileThatGrewPastTheOffsetIsToldByItsFirstLine) {
  Append(path_, "");
  auto follower = NewFollower();
  ReadNow(*follower);
  Append(path_, Numbered(0, 3));
  EXPECT_EQ(ReadNow(*follower), NumberedLines(0, 3));
  std::filesystem::copy_file(path_, path_ + ".1");
  ASSERT_EQ(truncate(path_.c_str(), 0), 0);
  Append(path_, Numbered(100, 110));  // longer than the 21 bytes read before
  EXPECT_EQ(ReadNow(*follower), NumberedLines(100, 110));
  Append(path_, Numbered(110, 111));
  EXPECT_EQ(ReadNow(*follower), NumberedLines(110, 111));
}

TEST_F(FileFollowerTest, ATruncatedFileThatGrewToTheOffsetIsToldByItsFirstLine) {
  Append(path_, "");
  auto follower = NewFollower();
  ReadNow(*follower);
  Append(path_, Numbered(10, 13));
  EXPECT_EQ(ReadNow(*follower), NumberedLines(10, 13));
  std::filesystem::copy_file(path_, path_ + ".1");
  ASSERT_EQ(truncate(path_.c_str(), 0), 0);
  Append(path_, Numbered(20, 23));  // exactly as long as before
  EXPECT_EQ(ReadNow(*follower), NumberedLines(20, 23));
}

TEST_F(FileFollowerTest, ATruncatedFileThatGrewPastTheOffsetWithoutACopyIsReadFromItsStart) {
  Append(path_, "");
  auto follower = NewFollower();
  ReadNow(*follower);
  Append(path_, Numbered(0, 3));
  EXPECT_EQ(ReadNow(*follower), NumberedLines(0, 3));
  ASSERT_EQ(truncate(path_.c_str(), 0), 0);
  Append(path_, Numbered(100, 110));
  EXPECT_EQ(ReadNow(*follower), NumberedLines(100, 110));
}

TEST_F(FileFollowerTest, AnUnreadablePositionFileMeansStartingAtTheEnd) {
  Append(path_, Numbered(0, 3));
  Append(position_, "relayguard-log-position 1\ninode twelve\n");
  absl::StatusOr<FilePosition> parsed = ParseFilePosition("relayguard-log-position 1\ninode x\n",
                                                          position_);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(parsed.status().message()), ::testing::HasSubstr(position_ + ":2:"));
  auto follower = NewFollower();
  EXPECT_THAT(ReadNow(*follower), IsEmpty());
  Append(path_, Numbered(3, 4));
  EXPECT_EQ(ReadNow(*follower), NumberedLines(3, 4));
  ASSERT_TRUE(follower->SavePosition().ok());
  absl::StatusOr<std::string> saved = fs_.ReadFile(position_);
  ASSERT_TRUE(saved.ok());
  parsed = ParseFilePosition(*saved, position_);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(parsed->inode, st.st_ino);
  EXPECT_EQ(parsed->offset, static_cast<uint64_t>(st.st_size));
  EXPECT_TRUE(parsed->first_line_hash.has_value());
}

TEST_F(FileFollowerTest, WaitEndsOnANewLineAndOnWake) {
  Append(path_, "");
  auto follower = NewFollower();
  ReadNow(*follower);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    Append(path_, "new\n");
  });
  auto start = Clock::now();
  follower->Wait(std::chrono::seconds(20));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  writer.join();
  EXPECT_THAT(ReadNow(*follower), ElementsAre("new"));

  std::thread waker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    follower->Wake();
  });
  start = Clock::now();
  follower->Wait(std::chrono::seconds(20));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  waker.join();
}

// Follows `path` while `writer` writes lines "line 0" .. "line N-1", then checks each was seen
// exactly once, in order. `seen` tells the writer how far the follower got. With
// `restart_every`, the follower saves its position and is replaced every that many lines.
class ConcurrentFollow {
 public:
  explicit ConcurrentFollow(std::function<std::unique_ptr<FileFollower>()> make)
      : make_(std::move(make)) {}

  std::vector<int> Run(int n, int restart_every, const std::function<void()>& writer_body) {
    std::unique_ptr<FileFollower> follower = make_();
    std::vector<LogEntry> out;
    (void)follower->Read(out, 1);  // starts at the (empty) end before the writer writes
    std::thread writer(writer_body);
    std::vector<int> numbers;
    int next_restart = restart_every;
    auto deadline = Clock::now() + std::chrono::seconds(120);
    while (static_cast<int>(numbers.size()) < n && Clock::now() < deadline) {
      out.clear();
      absl::Status status = follower->Read(out, 700);
      if (!status.ok()) unavailable_++;
      for (const LogEntry& e : out) {
        int number = -1;
        absl::string_view text = e.text;
        EXPECT_TRUE(absl::ConsumePrefix(&text, "line ") && absl::SimpleAtoi(text, &number))
            << e.text;
        numbers.push_back(number);
      }
      seen.store(numbers.size());
      if (restart_every > 0 && static_cast<int>(numbers.size()) >= next_restart) {
        EXPECT_TRUE(follower->SavePosition().ok());
        follower = make_();
        next_restart += restart_every;
        restarts++;
      }
      if (out.empty()) follower->Wait(std::chrono::milliseconds(500));
    }
    writer.join();
    return numbers;
  }

  // Called by the writer: waits (at most 60 s) until the follower has seen `count` lines.
  void AwaitSeen(int count) {
    auto deadline = Clock::now() + std::chrono::seconds(60);
    while (seen.load() < count && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  std::atomic<int> seen{0};
  int restarts = 0;
  int unavailable_ = 0;

 private:
  std::function<std::unique_ptr<FileFollower>()> make_;
};

std::vector<int> Iota(int n) {
  std::vector<int> v(n);
  for (int i = 0; i < n; ++i) v[i] = i;
  return v;
}

// Where the lines read first differ from 0, 1, 2, ...: gtest's own print stops after 32 items.
std::string FirstDifference(const std::vector<int>& numbers) {
  for (size_t i = 0; i < numbers.size(); ++i) {
    if (numbers[i] != static_cast<int>(i)) {
      std::string around;
      for (size_t k = i >= 3 ? i - 3 : 0; k < std::min(numbers.size(), i + 4); ++k) {
        absl::StrAppend(&around, " ", numbers[k]);
      }
      return absl::StrCat("line ", i, " read is ", numbers[i], " (around:", around, "), ",
                          numbers.size(), " lines read");
    }
  }
  return absl::StrCat(numbers.size(), " lines read, all in order");
}

void WriteLine(int fd, int i) {
  std::string line = absl::StrCat("line ", i, "\n");
  ASSERT_EQ(write(fd, line.data(), line.size()), static_cast<ssize_t>(line.size()));
}

TEST_F(FileFollowerTest, RenameRotationsWhileWritingLoseAndRepeatNothing) {
  Append(path_, "");
  constexpr int kLines = 20000, kPerFile = 2000;
  ConcurrentFollow follow([&] { return NewFollower(); });
  std::vector<int> numbers = follow.Run(kLines, 3001, [&] {
    int fd = open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    int file_start = 0;
    for (int i = 0; i < kLines;) {
      if (i > 0 && i % kPerFile == 0 && i != file_start) {
        // Two rotations before the follower looks once would lose the middle file (documented):
        // rotate only once it reads the current file.
        follow.AwaitSeen(file_start + 1);
        rename((path_ + ".1").c_str(), (path_ + ".2").c_str());
        ASSERT_EQ(rename(path_.c_str(), (path_ + ".1").c_str()), 0);
        // The daemon writes on to the old file until it reopens its log.
        for (int k = 0; k < 3; ++k) WriteLine(fd, i++);
        close(fd);
        fd = open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        file_start = i;
      }
      WriteLine(fd, i++);
    }
    close(fd);
  });
  EXPECT_EQ(numbers, Iota(kLines)) << FirstDifference(numbers);
  EXPECT_GE(follow.restarts, 5);
}

TEST_F(FileFollowerTest, CopytruncateRotationsWhileWritingLoseAndRepeatNothing) {
  Append(path_, "");
  constexpr int kLines = 10000, kPerFile = 1000;
  ConcurrentFollow follow([&] { return NewFollower(); });
  std::vector<int> numbers = follow.Run(kLines, 0, [&] {
    int fd = open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    for (int i = 0; i < kLines;) {
      if (i > 0 && i % kPerFile == 0) {
        // logrotate: older copies move up, the file is copied to .1, then truncated. Nothing is
        // written between the copy and the truncate here (copytruncate itself loses those).
        // A truncation is told by the file's first line: the follower must have read it. (A
        // file it never read a line of is new to it whatever happened.)
        follow.AwaitSeen(i - kPerFile + 1);
        rename((path_ + ".1").c_str(), (path_ + ".2").c_str());
        std::filesystem::copy_file(path_, path_ + ".1");
        ASSERT_EQ(ftruncate(fd, 0), 0);
        // The new file grows past the follower's offset in the old one before it looks, at
        // times: that is told by the changed first line.
        WriteLine(fd, i++);
        continue;
      }
      WriteLine(fd, i++);
    }
    close(fd);
  });
  EXPECT_EQ(numbers, Iota(kLines)) << FirstDifference(numbers);
}

}  // namespace
}  // namespace relayguard::agent
