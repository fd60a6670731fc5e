#include "agent/backup/git_backup_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace relayguard::agent {
namespace {

using ::testing::HasSubstr;

std::string Shell(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

class GitBackupStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-backup-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = std::move(GitBackupStore::Open(dir_ + "/repo")).value();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::vector<FileSnapshot> Files(const std::string& main_cf) {
    return {{"/etc/postfix/main.cf", true, main_cf, {0644, 0, 0, true}},
            {"/etc/postfix/master.cf", true, "smtp inet n - y - - smtpd\n", {0640, 0, 107, true}},
            {"/etc/postfix/access", false, "", {0, 0, 0, false}}};
  }
  std::string dir_;
  std::unique_ptr<GitBackupStore> store_;
};

TEST_F(GitBackupStoreTest, EmptyRepositoryHasNoHistory) {
  absl::StatusOr<std::vector<CommitInfo>> history = store_->History(10);
  ASSERT_TRUE(history.ok()) << history.status();
  EXPECT_TRUE(history->empty());
  EXPECT_TRUE(absl::IsNotFound(store_->Resolve("HEAD").status()));
}

TEST_F(GitBackupStoreTest, CommitAndReadBackKeepsBytesModesOwnersAndAbsentFiles) {
  absl::StatusOr<std::string> id =
      store_->Commit(Files("mynetworks = 0.0.0.0/0\n"), "Backup", {{"Action", "apply"}});
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->size(), 40u);
  absl::StatusOr<std::vector<FileSnapshot>> files = store_->ReadCommit(*id);
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), 3u);
  EXPECT_EQ((*files)[0].contents, "mynetworks = 0.0.0.0/0\n");
  EXPECT_EQ((*files)[1].info.mode, 0640u);
  EXPECT_EQ((*files)[1].info.gid, 107u);
  EXPECT_FALSE((*files)[2].present);
  EXPECT_EQ((*files)[2].path, "/etc/postfix/access");
}

TEST_F(GitBackupStoreTest, HistoryIsNewestFirstWithTrailers) {
  std::string first = *store_->Commit(Files("a\n"), "Backup before applying policy p v1",
                                      {{"Action", "apply"}, {"Phase", "before"}});
  std::string second = *store_->Commit(Files("b\n"), "Applied policy p v1",
                                       {{"Action", "apply"}, {"Outcome", "applied"}});
  absl::StatusOr<std::vector<CommitInfo>> history = store_->History(10);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].id, second);
  EXPECT_EQ((*history)[0].summary, "Applied policy p v1");
  EXPECT_EQ((*history)[0].trailers.at("Outcome"), "applied");
  EXPECT_EQ((*history)[1].trailers.at("Phase"), "before");
  EXPECT_EQ(store_->History(1)->size(), 1u);
  EXPECT_EQ(*store_->Resolve(first.substr(0, 8)), first);
  EXPECT_EQ(*store_->Resolve("HEAD"), second);
}

TEST_F(GitBackupStoreTest, PlainGitReadsTheRepository) {
  std::string id = *store_->Commit(Files("mynetworks = 127.0.0.1/32\n"), "Backup",
                                   {{"Policy", "no-open-relay"}});
  EXPECT_EQ(Shell("git -C " + dir_ + "/repo show " + id + ":etc/postfix/main.cf"),
            "mynetworks = 127.0.0.1/32\n");
  std::string log = Shell("git -C " + dir_ + "/repo log --format=%B");
  EXPECT_THAT(log, HasSubstr("Relayguard-Policy: no-open-relay"));
  EXPECT_THAT(Shell("git -C " + dir_ + "/repo show " + id + ":.relayguard/files"),
              HasSubstr("0640 0 107 present /etc/postfix/master.cf"));
  EXPECT_EQ(Shell("git -C " + dir_ + "/repo rev-parse --abbrev-ref HEAD"), "main\n");
}

TEST_F(GitBackupStoreTest, DiffWithParentShowsChangedLinesAndMetadata) {
  store_->Commit(Files("a = 1\nmynetworks = 0.0.0.0/0\n"), "one", {}).IgnoreError();
  std::vector<FileSnapshot> files = Files("a = 1\nmynetworks = 127.0.0.1/32\n");
  files[1].info.mode = 0600;
  std::string id = *store_->Commit(files, "two", {});
  absl::StatusOr<std::string> diff = store_->DiffWithParent(id);
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_THAT(*diff, HasSubstr("--- a/etc/postfix/main.cf\n+++ b/etc/postfix/main.cf\n"));
  EXPECT_THAT(*diff, HasSubstr("-mynetworks = 0.0.0.0/0\n+mynetworks = 127.0.0.1/32\n"));
  EXPECT_THAT(*diff, HasSubstr("# /etc/postfix/master.cf: 0640 0:107 -> 0600 0:107"));
}

TEST_F(GitBackupStoreTest, UnknownRevisionsAndMultiLineTrailersAreErrors) {
  EXPECT_THAT(store_->Resolve("deadbeef").status().message(), HasSubstr("no backup commit"));
  EXPECT_FALSE(store_->Commit(Files("x\n"), "s", {{"Reason", "two\nlines"}}).ok());
  EXPECT_TRUE(store_->History(10)->empty());
}

TEST_F(GitBackupStoreTest, ReopenKeepsHistory) {
  store_->Commit(Files("x\n"), "s", {}).IgnoreError();
  store_.reset();
  auto again = GitBackupStore::Open(dir_ + "/repo");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->History(10)->size(), 1u);
}

TEST_F(GitBackupStoreTest, EmptyAndAbsentFilesStayDistinct) {
  std::vector<FileSnapshot> files = {{"/etc/postfix/empty", true, "", {0600, 0, 0, true}},
                                     {"/etc/postfix/gone", false, "", {0644, 0, 0, false}}};
  std::string id = *store_->Commit(files, "Backup", {});
  absl::StatusOr<std::vector<FileSnapshot>> back = store_->ReadCommit(id.substr(0, 10));
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_TRUE((*back)[0].present);
  EXPECT_EQ((*back)[0].contents, "");
  EXPECT_EQ((*back)[0].info.mode, 0600u);
  EXPECT_FALSE((*back)[1].present);
  EXPECT_EQ(Shell("git -C " + dir_ + "/repo ls-tree -r --name-only HEAD"),
            ".relayguard/files\netc/postfix/empty\n");
}

TEST_F(GitBackupStoreTest, TrailersComeOnlyFromTheLastParagraph) {
  store_->Commit(Files("x\n"), "Relayguard-Fake: not a trailer", {{"Action", "rollback"}})
      .IgnoreError();
  absl::StatusOr<std::vector<CommitInfo>> history = store_->History(10);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].trailers, (std::map<std::string, std::string>{{"Action", "rollback"}}));
  EXPECT_EQ((*history)[0].message,
            "Relayguard-Fake: not a trailer\n\nRelayguard-Action: rollback\n");
  EXPECT_NEAR((*history)[0].time, time(nullptr), 60);
  EXPECT_EQ(Shell("git -C " + dir_ + "/repo log -1 --format=%an%n%ae"),
            "relayguard\nrelayguard@localhost\n");
}

TEST_F(GitBackupStoreTest, RejectsRelativeDuplicateAndMultiLineInput) {
  std::vector<FileSnapshot> relative = {{"etc/postfix/main.cf", true, "x", {0644, 0, 0, true}}};
  EXPECT_TRUE(absl::IsInvalidArgument(store_->Commit(relative, "s", {}).status()));
  std::vector<FileSnapshot> twice = Files("x\n");
  twice.push_back(twice[0]);
  EXPECT_TRUE(absl::IsInvalidArgument(store_->Commit(twice, "s", {}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(store_->Commit(Files("x\n"), "two\nlines", {}).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(store_->Commit(Files("x\n"), "s", {{"Bad Key", "v"}}).status()));
  EXPECT_TRUE(store_->History(10)->empty());
}

TEST_F(GitBackupStoreTest, FirstCommitDiffsAgainstNothing) {
  std::string id = *store_->Commit(Files("a = 1\n"), "first", {});
  absl::StatusOr<std::string> diff = store_->DiffWithParent(id);
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_THAT(*diff, HasSubstr("--- a/etc/postfix/main.cf\n+++ b/etc/postfix/main.cf\n"
                               "@@ -0,0 +1 @@\n+a = 1\n"));
  EXPECT_THAT(*diff, HasSubstr("+smtp inet n - y - - smtpd\n"));
  EXPECT_THAT(*diff, ::testing::Not(HasSubstr("access")));
}

TEST_F(GitBackupStoreTest, DiffShowsFilesAppearingAndLeavingTheManagedSet) {
  store_->Commit(Files("a\n"), "one", {}).IgnoreError();
  std::vector<FileSnapshot> files = Files("a\n");
  files[2] = {"/etc/postfix/access", true, "10.0.0.1 OK\n", {0644, 0, 0, true}};
  files.erase(files.begin() + 1);  // master.cf no longer managed
  std::string id = *store_->Commit(files, "two", {});
  absl::StatusOr<std::string> diff = store_->DiffWithParent(id);
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_THAT(*diff, ::testing::Not(HasSubstr("main.cf")));
  EXPECT_THAT(*diff, HasSubstr("+++ b/etc/postfix/access\n@@ -0,0 +1 @@\n+10.0.0.1 OK\n"));
  EXPECT_THAT(*diff, HasSubstr("# /etc/postfix/access: 0000 0:0 (absent) -> 0644 0:0\n"));
  EXPECT_THAT(*diff, HasSubstr("-smtp inet n - y - - smtpd\n"));
  EXPECT_THAT(*diff, HasSubstr("# /etc/postfix/master.cf: 0640 0:107 -> not managed\n"));
  EXPECT_TRUE(store_->DiffWithParent("HEAD~1").ok());
  EXPECT_TRUE(absl::IsNotFound(store_->DiffWithParent("0123456").status()));
}

TEST_F(GitBackupStoreTest, ResolveAcceptsAbbreviatedIdsAndRefusesGarbage) {
  std::string id = *store_->Commit(Files("x\n"), "s", {});
  EXPECT_EQ(*store_->Resolve(id), id);
  EXPECT_EQ(*store_->Resolve(id.substr(0, 7)), id);
  EXPECT_EQ(*store_->Resolve("main"), id);
  absl::Status unknown = store_->Resolve("0000000").status();
  EXPECT_TRUE(absl::IsNotFound(unknown));
  EXPECT_THAT(unknown.message(), HasSubstr(dir_ + "/repo"));
  EXPECT_TRUE(absl::IsNotFound(store_->ReadCommit("no-such-ref").status()));
  EXPECT_EQ(Shell("git -C " + dir_ + "/repo fsck --no-progress 2>&1"), "");
}

TEST_F(GitBackupStoreTest, OpenOnARegularFileFailsNamingIt) {
  std::string file = dir_ + "/not-a-repo";
  fclose(fopen(file.c_str(), "w"));
  absl::StatusOr<std::unique_ptr<GitBackupStore>> store = GitBackupStore::Open(file + "/repo");
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr(file));
}

struct DiffCase {
  std::string name, old_text, new_text, expected;
};

// A backup repository with a missing object (a disk error, a hand-made `rm`): every read that
// needs it is an error naming the repository, never a shorter history or a new parentless one.
TEST_F(GitBackupStoreTest, AMissingObjectIsAnErrorNamingTheRepository) {
  std::string first = *store_->Commit(Files("a\n"), "one", {{"Action", "apply"}});
  std::string second = *store_->Commit(Files("b\n"), "two", {{"Action", "apply"}});
  std::string third = *store_->Commit(Files("c\n"), "three", {{"Action", "apply"}});
  auto object_file = [&](const std::string& id) {
    return dir_ + "/repo/.git/objects/" + id.substr(0, 2) + "/" + id.substr(2);
  };
  ASSERT_TRUE(std::filesystem::remove(object_file(second)));
  // A fresh handle: libgit2 keeps objects it has read in memory.
  std::unique_ptr<GitBackupStore> store = std::move(GitBackupStore::Open(dir_ + "/repo")).value();
  absl::StatusOr<std::vector<CommitInfo>> history = store->History(10);
  ASSERT_FALSE(history.ok()) << "a history cut short at the missing commit";
  EXPECT_THAT(history.status().message(), HasSubstr(dir_ + "/repo"));
  EXPECT_TRUE(store->ReadCommit(third).ok());  // what does not need it still reads

  // The blob of a file: reading that commit names the file and the repository.
  std::string blob = Shell("git -C " + dir_ + "/repo rev-parse " + first +
                           ":etc/postfix/main.cf");
  blob = blob.substr(0, 40);
  ASSERT_TRUE(std::filesystem::remove(object_file(blob)));
  store = std::move(GitBackupStore::Open(dir_ + "/repo")).value();
  absl::StatusOr<std::vector<FileSnapshot>> files = store->ReadCommit(first);
  ASSERT_FALSE(files.ok());
  EXPECT_THAT(files.status().message(), HasSubstr("etc/postfix/main.cf"));
  EXPECT_THAT(files.status().message(), HasSubstr(dir_ + "/repo"));

  // HEAD's own commit: a new commit is refused rather than starting a new history.
  ASSERT_TRUE(std::filesystem::remove(object_file(third)));
  store = std::move(GitBackupStore::Open(dir_ + "/repo")).value();
  absl::StatusOr<std::string> id = store->Commit(Files("d\n"), "four", {{"Action", "apply"}});
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(id.status().message(), HasSubstr("backup repository " + dir_ + "/repo is damaged"));
  EXPECT_THAT(id.status().message(), HasSubstr("fsck"));
}

class UnifiedDiffTest : public ::testing::TestWithParam<DiffCase> {};

TEST_P(UnifiedDiffTest, MatchesDiffU) {
  EXPECT_EQ(UnifiedDiff("/f", GetParam().old_text, GetParam().new_text), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, UnifiedDiffTest,
    ::testing::Values(
        DiffCase{"Equal", "a\n", "a\n", ""},
        DiffCase{"OneLineChanged", "a\nb\nc\n", "a\nB\nc\n",
                 "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
        DiffCase{"AppendToEmpty", "", "x\n", "--- a/f\n+++ b/f\n@@ -0,0 +1 @@\n+x\n"},
        DiffCase{"ContextIsThreeLines", "1\n2\n3\n4\n5\n6\n7\n8\n9\n",
                 "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
                 "--- a/f\n+++ b/f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"},
        DiffCase{"TwoHunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
                 "one\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ntwelve\n",
                 "--- a/f\n+++ b/f\n@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n"
                 "@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+twelve\n"},
        DiffCase{"NoFinalNewline", "a\nb", "a\nb\n",
                 "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"},
        DiffCase{"NewLosesFinalNewline", "a\nb\n", "a\nc",
                 "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n"},
        DiffCase{"BothLackFinalNewline", "a\nb", "x\nb",
                 "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n-a\n+x\n b\n\\ No newline at end of file\n"},
        DiffCase{"DeleteEverything", "a\nb\n", "", "--- a/f\n+++ b/f\n@@ -1,2 +0,0 @@\n-a\n-b\n"},
        DiffCase{"InsertInTheMiddle", "1\n2\n3\n4\n5\n6\n", "1\n2\n3\nnew\n4\n5\n6\n",
                 "--- a/f\n+++ b/f\n@@ -1,6 +1,7 @@\n 1\n 2\n 3\n+new\n 4\n 5\n 6\n"},
        DiffCase{"InsertAfterLongPrefix", "1\n2\n3\n4\n5\n", "1\n2\n3\n4\n5\n6\n",
                 "--- a/f\n+++ b/f\n@@ -3,3 +3,4 @@\n 3\n 4\n 5\n+6\n"},
        DiffCase{"NearbyChangesShareAHunk", "1\n2\n3\n4\n5\n6\n7\n8\n",
                 "one\n2\n3\n4\n5\n6\n7\neight\n",
                 "--- a/f\n+++ b/f\n@@ -1,8 +1,8 @@\n-1\n+one\n 2\n 3\n 4\n 5\n 6\n 7\n-8\n"
                 "+eight\n"}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace relayguard::agent
