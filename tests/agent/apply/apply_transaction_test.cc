// ApplyTransaction's logic with a fake MTA and scripted probe verdicts, over a real temp dir and
// a real git backup repository. The real thing is in apply_integration_test.cc.
#include "agent/apply/apply_transaction.h"

#include <unistd.h>

#include <deque>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/apply_fakes.h"

namespace relayguard::agent {
namespace {

using ::testing::HasSubstr;

// Forwards to the real file system and fails the Nth atomic write (leveldb EnvWrapper style).
class FailingFileSystem : public RealFileSystem {
 public:
  absl::Status WriteFileAtomic(const std::string& path, const std::string& contents,
                               const FileInfo& info) override {
    if (++writes == fail_write) return absl::InternalError("injected write failure on " + path);
    return RealFileSystem::WriteFileAtomic(path, contents, info);
  }
  int writes = 0;
  int fail_write = -1;
};

class ApplyTransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-apply-unit.XXXXXX";
    root_ = mkdtemp(tmpl);
    std::filesystem::create_directories(root_ + "/etc");
    Write("a.cf", "open a\n");
    Write("b.cf", "open b\n");
    store_ = std::move(GitBackupStore::Open(root_ + "/state/backup")).value();
    driver_ = std::make_unique<FakeDriver>(root_ + "/etc");
    journal_ = std::make_unique<Journal>(fs_, root_ + "/state/journal");
    policy_.name = "p";
    policy_.version = 7;
    policy_.probe.settle_timeout = std::chrono::milliseconds(1000);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(fs_.WriteFileAtomic(root_ + "/etc/" + name, text,
                                    FileInfo{0640, getuid(), getgid(), true}).ok());
  }
  std::string Read(const std::string& name) { return *fs_.ReadFile(root_ + "/etc/" + name); }
  ApplyTransaction Transaction() {
    return ApplyTransaction(TransactionDeps{*driver_, fs_, *store_, *journal_, checker_, clock_,
                                            root_ + "/state/stage"});
  }
  size_t Commits() { return store_->History(100)->size(); }

  std::string root_;
  FailingFileSystem fs_;
  std::unique_ptr<FakeDriver> driver_;
  std::unique_ptr<GitBackupStore> store_;
  std::unique_ptr<Journal> journal_;
  ScriptedChecker checker_;
  FakeClock clock_;
  Policy policy_;
};

TEST_F(ApplyTransactionTest, AppliesVerifiesAndCommitsBeforeAndAfter) {
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kApplied) << r.error;
  EXPECT_EQ(Read("a.cf"), "closed\n");
  EXPECT_EQ(driver_->commands, (std::vector<std::string>{"validate", "reload"}));
  ASSERT_EQ(Commits(), 2u);
  auto history = *store_->History(10);
  EXPECT_EQ(history[0].trailers["Outcome"], "applied");
  EXPECT_EQ(history[1].trailers["Phase"], "before");
  EXPECT_FALSE(std::filesystem::exists(root_ + "/state/journal"));
  EXPECT_EQ(fs_.Stat(root_ + "/etc/a.cf")->mode, 0640u);
}

TEST_F(ApplyTransactionTest, RollsBackWhenProbeStillRelays) {
  checker_.untrusted_verdict = ProbeVerdict::kRelayAccepted;
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kRolledBack);
  EXPECT_EQ(r.failed_phase, "verify");
  EXPECT_THAT(r.error, HasSubstr("still not refused after 1000 ms"));
  EXPECT_EQ(Read("a.cf"), "open a\n");
  EXPECT_EQ(Read("b.cf"), "open b\n");
  EXPECT_EQ(driver_->commands, (std::vector<std::string>{"validate", "reload", "reload"}));
  EXPECT_GT(checker_.probes, 3);  // polled until the settle timeout
  EXPECT_EQ(store_->History(1)->front().trailers["FailedPhase"], "verify");
}

TEST_F(ApplyTransactionTest, RollsBackWhenTrustedSmokeTestIsRefused) {
  checker_.trusted_verdict = ProbeVerdict::kRefused;
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kRolledBack);
  EXPECT_THAT(r.error, HasSubstr("smoke test"));
  EXPECT_EQ(Read("a.cf"), "open a\n");
}

TEST_F(ApplyTransactionTest, ValidationFailureTouchesNothing) {
  driver_->validate_status = absl::FailedPreconditionError("line 3: bad");
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kRefused);
  EXPECT_EQ(r.failed_phase, "validate");
  EXPECT_THAT(r.error, HasSubstr("nothing was changed"));
  EXPECT_EQ(Read("a.cf"), "open a\n");
  EXPECT_EQ(Commits(), 0u);
  EXPECT_EQ(driver_->commands, (std::vector<std::string>{"validate"}));
}

TEST_F(ApplyTransactionTest, ReloadFailureRestoresAndReloadsAgain) {
  driver_->reload_results = {absl::FailedPreconditionError("reload refused")};
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kRolledBack);
  EXPECT_EQ(r.failed_phase, "reload");
  EXPECT_EQ(Read("a.cf"), "open a\n");
  EXPECT_EQ(driver_->commands, (std::vector<std::string>{"validate", "reload", "reload"}));
}

TEST_F(ApplyTransactionTest, FailedSecondWriteRestoresTheFirstFile) {
  fs_.writes = 0;
  fs_.fail_write = 3;  // 1: journal, 2: a.cf, 3: b.cf
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kRolledBack) << r.error;
  EXPECT_EQ(r.failed_phase, "activate");
  EXPECT_THAT(r.error, HasSubstr("injected write failure"));
  EXPECT_EQ(Read("a.cf"), "open a\n");
  EXPECT_EQ(Read("b.cf"), "open b\n");
}

TEST_F(ApplyTransactionTest, RestoreFailureKeepsTheJournalAndSaysSo) {
  checker_.untrusted_verdict = ProbeVerdict::kRelayAccepted;
  checker_.greeting = absl::UnavailableError("connection refused");
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kRollbackFailed);
  EXPECT_THAT(r.error, HasSubstr("journal is kept"));
  EXPECT_TRUE(std::filesystem::exists(root_ + "/state/journal"));
  EXPECT_EQ(Read("a.cf"), "open a\n");  // the files are back even though the MTA is not
}

TEST_F(ApplyTransactionTest, SecondApplyIsUnchangedAndReloadsNothing) {
  ASSERT_EQ(Transaction().Apply(policy_, false).outcome, Outcome::kApplied);
  driver_->commands.clear();
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kUnchanged);
  EXPECT_TRUE(driver_->commands.empty());
  EXPECT_EQ(Commits(), 2u);
}

TEST_F(ApplyTransactionTest, DryRunTouchesNothing) {
  TransactionReport r = Transaction().Apply(policy_, true);
  EXPECT_EQ(r.outcome, Outcome::kDryRun);
  EXPECT_THAT(r.diff, HasSubstr("+closed"));
  EXPECT_EQ(Read("a.cf"), "open a\n");
  EXPECT_TRUE(driver_->commands.empty());
  EXPECT_EQ(Commits(), 0u);
}

TEST_F(ApplyTransactionTest, RecoverInterruptedRestoresTheJournalsBackup) {
  auto transaction = Transaction();
  ASSERT_EQ(transaction.Apply(policy_, false).outcome, Outcome::kApplied);
  std::string backup = store_->History(10)->at(1).id;
  ASSERT_TRUE(journal_->Write({"apply", "verify", backup, "p", 7, false, 1, 0}).ok());
  std::optional<TransactionReport> r = transaction.RecoverInterrupted(policy_.probe);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->outcome, Outcome::kRestored) << r->error;
  EXPECT_EQ(Read("a.cf"), "open a\n");
  EXPECT_FALSE(std::filesystem::exists(root_ + "/state/journal"));
  EXPECT_EQ(store_->History(1)->front().trailers["InterruptedPhase"], "verify");
  EXPECT_FALSE(transaction.RecoverInterrupted(policy_.probe).has_value());
}

TEST_F(ApplyTransactionTest, RollbackWithoutAnyApplyIsRefused) {
  TransactionReport r = Transaction().Rollback(std::nullopt, policy_.probe);
  EXPECT_EQ(r.outcome, Outcome::kRefused);
  EXPECT_THAT(r.error, HasSubstr("no apply to roll back"));
}

TEST_F(ApplyTransactionTest, RollbackRestoresTheFilesFromBeforeTheApply) {
  ASSERT_EQ(Transaction().Apply(policy_, false).outcome, Outcome::kApplied);
  TransactionReport r = Transaction().Rollback(std::nullopt, policy_.probe);
  EXPECT_EQ(r.outcome, Outcome::kRestored) << r.error;
  EXPECT_EQ(Read("b.cf"), "open b\n");
  EXPECT_EQ(Transaction().Rollback(std::nullopt, policy_.probe).outcome, Outcome::kUnchanged);
}

}  // namespace
}  // namespace relayguard::agent
