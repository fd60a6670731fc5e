#include "agent/os/file_system.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace relayguard::agent {
namespace {

using ::testing::HasSubstr;

class FileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-fs-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  int CountEntries() {
    int entries = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      (void)e;
      ++entries;
    }
    return entries;
  }
  std::string dir_;
  RealFileSystem fs_;
};

TEST_F(FileSystemTest, AtomicWriteKeepsModeAndOwnerAndLeavesNoTempFiles) {
  std::string path = dir_ + "/main.cf";
  ASSERT_TRUE(fs_.WriteFileAtomic(path, "a = 1\n", {0640, getuid(), getgid(), true}).ok());
  absl::StatusOr<FileInfo> info = fs_.Stat(path);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->mode, 0640u);
  EXPECT_EQ(info->uid, getuid());
  EXPECT_TRUE(info->is_regular);
  ASSERT_TRUE(fs_.WriteFileAtomic(path, "a = 2\n", {0600, getuid(), getgid(), true}).ok());
  EXPECT_EQ(*fs_.ReadFile(path), "a = 2\n");
  EXPECT_EQ(fs_.Stat(path)->mode, 0600u);
  EXPECT_EQ(CountEntries(), 1);
}

TEST_F(FileSystemTest, RewritingWithStatInfoKeepsTheMode) {
  std::string path = dir_ + "/master.cf";
  ASSERT_TRUE(fs_.WriteFileAtomic(path, "old\n", {0640, getuid(), getgid(), true}).ok());
  absl::StatusOr<FileInfo> before = fs_.Stat(path);
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(path, "new\n", *before).ok());
  EXPECT_EQ(fs_.Stat(path)->mode, 0640u);
  EXPECT_EQ(*fs_.ReadFile(path), "new\n");
}

// Root ignores directory permissions, so the fault comes from a file size limit instead: the
// temp file's write fails half way, as on a full disk.
TEST_F(FileSystemTest, FailedWriteLeavesTheOldFileAndNoTempFile) {
  std::string path = dir_ + "/main.cf";
  ASSERT_TRUE(fs_.WriteFileAtomic(path, "old contents\n", {0640, getuid(), getgid(), true}).ok());
  rlimit old_limit{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  sighandler_t old_handler = signal(SIGXFSZ, SIG_IGN);
  rlimit small = old_limit;
  small.rlim_cur = 4096;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  absl::Status s = fs_.WriteFileAtomic(path, std::string(100000, 'x'), {0644, getuid(), getgid()});
  setrlimit(RLIMIT_FSIZE, &old_limit);
  signal(SIGXFSZ, old_handler);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(path));
  EXPECT_THAT(s.message(), HasSubstr("too large"));
  EXPECT_EQ(*fs_.ReadFile(path), "old contents\n");
  EXPECT_EQ(fs_.Stat(path)->mode, 0640u);
  EXPECT_EQ(CountEntries(), 1);
}

TEST_F(FileSystemTest, GivesTheRequestedOwnerWhenRoot) {
  if (geteuid() != 0) {
    GTEST_FAIL() << "the test command runs as root (tests/run_all.sh); ownership needs it";
  }
  std::string path = dir_ + "/owned";
  ASSERT_TRUE(fs_.WriteFileAtomic(path, "x", {0644, 1, 2, true}).ok());
  EXPECT_EQ(fs_.Stat(path)->uid, 1u);
  EXPECT_EQ(fs_.Stat(path)->gid, 2u);
}

TEST_F(FileSystemTest, MissingFilesAreNotFoundWithThePath) {
  absl::StatusOr<std::string> text = fs_.ReadFile(dir_ + "/nope");
  EXPECT_TRUE(absl::IsNotFound(text.status()));
  EXPECT_THAT(text.status().message(), HasSubstr(dir_ + "/nope"));
  EXPECT_TRUE(absl::IsNotFound(fs_.Stat(dir_ + "/nope").status()));
  EXPECT_TRUE(fs_.RemoveFile(dir_ + "/nope").ok());
}

TEST_F(FileSystemTest, WriteIntoMissingDirectoryFailsAndSaysWhere) {
  absl::Status s = fs_.WriteFileAtomic(dir_ + "/no/such/dir/f", "x", {0644, getuid(), getgid()});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(dir_ + "/no/such/dir/f"));
}

TEST_F(FileSystemTest, WriteUnderARegularFileFailsAndSaysWhere) {
  ASSERT_TRUE(fs_.WriteFileAtomic(dir_ + "/file", "x", {0644, getuid(), getgid()}).ok());
  absl::Status s = fs_.WriteFileAtomic(dir_ + "/file/f", "y", {0644, getuid(), getgid()});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(dir_ + "/file/f"));
  EXPECT_THAT(s.message(), HasSubstr("Not a directory"));
  EXPECT_EQ(*fs_.ReadFile(dir_ + "/file"), "x");
}

TEST_F(FileSystemTest, ReadingADirectoryIsAnErrorNamingIt) {
  absl::StatusOr<std::string> text = fs_.ReadFile(dir_);
  ASSERT_FALSE(text.ok());
  EXPECT_FALSE(absl::IsNotFound(text.status()));
  EXPECT_THAT(text.status().message(), HasSubstr(dir_));
}

TEST_F(FileSystemTest, MakeDirsCreatesParentsAndRefusesFiles) {
  ASSERT_TRUE(fs_.MakeDirs(dir_ + "/a/b/c").ok());
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/a/b/c"));
  EXPECT_TRUE(fs_.MakeDirs(dir_ + "/a/b/c").ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(dir_ + "/file", "x", {0644, getuid(), getgid()}).ok());
  EXPECT_FALSE(fs_.MakeDirs(dir_ + "/file/sub").ok());
  EXPECT_FALSE(fs_.MakeDirs(dir_ + "/file").ok());
  struct stat st {};
  ASSERT_EQ(stat((dir_ + "/a/b").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

TEST_F(FileSystemTest, CheckWritableDirAcceptsTempAndRefusesFileAndMissingDir) {
  EXPECT_TRUE(fs_.CheckWritableDir(dir_).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(dir_ + "/file", "x", {0644, getuid(), getgid()}).ok());
  absl::Status s = fs_.CheckWritableDir(dir_ + "/file");
  EXPECT_THAT(s.message(), HasSubstr("config dir " + dir_ + "/file is not writable"));
  s = fs_.CheckWritableDir(dir_ + "/missing");
  EXPECT_THAT(s.message(), HasSubstr("config dir " + dir_ + "/missing is not writable"));
  s = fs_.CheckWritableDir(dir_ + "/file/sub");
  EXPECT_THAT(s.message(), HasSubstr("is not writable: Not a directory"));
  EXPECT_EQ(CountEntries(), 1);  // the probe file is gone
  // Read-only mounts are covered against the real agent in apply_integration_test.
}

TEST_F(FileSystemTest, ScratchFilesAreWrittenAndReplaced) {
  std::string path = dir_ + "/stage.cf";
  ASSERT_TRUE(fs_.WriteScratchFile(path, "long contents\n").ok());
  ASSERT_TRUE(fs_.WriteScratchFile(path, "short\n").ok());
  EXPECT_EQ(*fs_.ReadFile(path), "short\n");
  EXPECT_FALSE(fs_.WriteScratchFile(dir_ + "/missing/x", "y").ok());
}

TEST_F(FileSystemTest, BackdateSetsAnOlderModificationTime) {
  std::string path = dir_ + "/f";
  ASSERT_TRUE(fs_.WriteFileAtomic(path, "x", {0644, getuid(), getgid()}).ok());
  ASSERT_TRUE(fs_.Backdate(path, std::chrono::seconds(100)).ok());
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_LE(st.st_mtime, time(nullptr) - 99);
}

}  // namespace
}  // namespace relayguard::agent
