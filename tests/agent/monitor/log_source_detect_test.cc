#include "agent/monitor/log_source_detect.h"

#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/monitor/journal_follower.h"

namespace relayguard::agent {
namespace {

using ::testing::HasSubstr;

// Only Stat is asked: which paths exist.
class ExistingPaths : public FileSystem {
 public:
  explicit ExistingPaths(std::set<std::string> paths) : paths_(std::move(paths)) {}
  absl::StatusOr<FileInfo> Stat(const std::string& path) override {
    if (!paths_.count(path)) return absl::NotFoundError(path + " does not exist");
    return FileInfo{};
  }
  absl::StatusOr<std::string> ReadFile(const std::string&) override { return Refused(); }
  absl::Status WriteFileAtomic(const std::string&, const std::string&, const FileInfo&) override {
    return Refused();
  }
  absl::Status MakeDirs(const std::string&) override { return Refused(); }
  absl::Status RemoveFile(const std::string&) override { return Refused(); }
  absl::Status CheckWritableDir(const std::string&) override { return Refused(); }
  absl::Status Backdate(const std::string&, std::chrono::seconds) override { return Refused(); }
  absl::Status WriteScratchFile(const std::string&, const std::string&) override {
    return Refused();
  }

 private:
  static absl::Status Refused() { return absl::UnimplementedError("only Stat"); }
  std::set<std::string> paths_;
};

TEST(DetectLogSourceTest, PostfixMaillogFileWinsOverEverything) {
  ExistingPaths fs({"/var/log/mail.log", "/run/systemd/journal"});
  absl::StatusOr<LogSource> source = DetectLogSource("postfix", fs, "/var/log/postfix.log");
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ(source->kind, LogSource::Kind::kFile);
  EXPECT_EQ(source->path, "/var/log/postfix.log");
  EXPECT_THAT(source->why, HasSubstr("maillog_file"));
}

TEST(DetectLogSourceTest, TheMtasUsualFileWhenItExists) {
  struct Case {
    std::string kind, file;
  } cases[] = {{"postfix", "/var/log/mail.log"},
               {"sendmail", "/var/log/mail.log"},
               {"exim", "/var/log/exim4/mainlog"}};
  for (const Case& c : cases) {
    ExistingPaths fs({c.file, "/run/systemd/journal"});
    absl::StatusOr<LogSource> source = DetectLogSource(c.kind, fs);
    ASSERT_TRUE(source.ok()) << c.kind << ": " << source.status();
    EXPECT_EQ(source->kind, LogSource::Kind::kFile) << c.kind;
    EXPECT_EQ(source->path, c.file) << c.kind;
  }
}

TEST(DetectLogSourceTest, TheJournalWithTheMtasMatchesWhenThereIsNoFile) {
  ExistingPaths fs({"/var/log/journal"});
  absl::StatusOr<LogSource> source = DetectLogSource("exim", fs);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ(source->kind, LogSource::Kind::kJournal);
  EXPECT_EQ(source->matches, DefaultJournalMatches("exim"));
  EXPECT_THAT(source->matches, ::testing::Contains("_SYSTEMD_UNIT=exim4.service"));
  EXPECT_THAT(source->why, HasSubstr("/var/log/journal"));
}

TEST(DetectLogSourceTest, NothingFoundSaysWhatWasLookedAtAndWhatToSet) {
  ExistingPaths fs({});
  absl::StatusOr<LogSource> source = DetectLogSource("sendmail", fs);
  ASSERT_EQ(source.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(source.status().message(), HasSubstr("/var/log/mail.log"));
  EXPECT_THAT(source.status().message(), HasSubstr("/run/systemd/journal"));
  EXPECT_THAT(source.status().message(), HasSubstr("monitor.source"));
  EXPECT_EQ(DetectLogSource("qmail", fs).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace relayguard::agent
