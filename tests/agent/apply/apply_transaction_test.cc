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

// Forwards to the real file system and fails the Nth atomic write, and every write of the
// journal from its Nth on (a state dir that fills up) (leveldb EnvWrapper style).
class FailingFileSystem : public RealFileSystem {
 public:
  absl::Status WriteFileAtomic(const std::string& path, const std::string& contents,
                               const FileInfo& info) override {
    if (++writes == fail_write) return absl::InternalError("injected write failure on " + path);
    if (path.ends_with("/journal") && ++journal_writes >= fail_journal_from &&
        fail_journal_from > 0) {
      return absl::ResourceExhaustedError("cannot write " + path + ": No space left on device");
    }
    return RealFileSystem::WriteFileAtomic(path, contents, info);
  }
  int writes = 0;
  int fail_write = -1;
  int journal_writes = 0;
  int fail_journal_from = -1;
};

// Records the fault points reached, in order.
class RecordingFaultPoints : public FaultPoints {
 public:
  void Reached(absl::string_view point) override { reached.emplace_back(point); }
  std::vector<std::string> reached;
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
                                            root_ + "/state/stage", faults_});
  }
  size_t Commits() { return store_->History(100)->size(); }

  std::string root_;
  FailingFileSystem fs_;
  std::unique_ptr<FakeDriver> driver_;
  std::unique_ptr<GitBackupStore> store_;
  std::unique_ptr<Journal> journal_;
  ScriptedChecker checker_;
  FakeClock clock_;
  RecordingFaultPoints faults_;
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

TEST_F(ApplyTransactionTest, EveryListenerIsProbedAndASecondPortThatStillRelaysRollsBack) {
  driver_->listeners = {FakeDriver::MakeListener(2525), FakeDriver::MakeListener(2626)};
  checker_.untrusted_by_port[2626] = ProbeVerdict::kRelayAccepted;
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kRolledBack);
  EXPECT_EQ(r.failed_phase, "verify");
  EXPECT_THAT(r.error, HasSubstr("to listener 127.0.0.1:2626 (2626, a.cf:1) is still not refused"));
  EXPECT_EQ(Read("a.cf"), "open a\n");
  ASSERT_EQ(r.listeners.size(), 2u);
  EXPECT_EQ(r.listeners[0].verdict, ProbeVerdict::kRefused);  // the record after the restore
  EXPECT_EQ(r.listeners[1].verdict, ProbeVerdict::kRelayAccepted);
}

TEST_F(ApplyTransactionTest, AppliedOnlyWhenEveryListenerRefusesAndRelayListenersPassTheSmokeTest) {
  Listener submission = FakeDriver::MakeListener(4465, ListenerRole::kSubmission);
  submission.tls = ListenerTls::kImplicit;
  driver_->listeners = {FakeDriver::MakeListener(2525), submission};
  TransactionReport r = Transaction().Apply(policy_, false);
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.error;
  ASSERT_EQ(r.listeners.size(), 2u);
  EXPECT_EQ(r.listeners[0].verdict, ProbeVerdict::kRefused);
  EXPECT_TRUE(r.listeners[0].trusted.has_value());
  EXPECT_EQ(r.listeners[1].verdict, ProbeVerdict::kRefused);
  EXPECT_FALSE(r.listeners[1].trusted.has_value());  // submission: only authenticated users
  // The implicit-TLS listener is probed with TLS on connect, and never smoke-tested.
  EXPECT_THAT(checker_.endpoints_probed, ::testing::Contains("127.0.0.1:4465 untrusted tls"));
  EXPECT_THAT(checker_.endpoints_probed,
              ::testing::Not(::testing::Contains("127.0.0.1:4465 trusted tls")));
}

TEST_F(ApplyTransactionTest, AnInternalListenerIsNeitherProbedNorCountedAndTheReportSaysSo) {
  driver_->listeners = {FakeDriver::MakeListener(2525), FakeDriver::MakeListener(10025)};
  checker_.untrusted_by_port[10025] = ProbeVerdict::kRelayAccepted;  // amavis re-injection
  policy_.probe.internal_listeners = {*ParseSmtpEndpoint("127.0.0.1:10025")};
  TransactionReport r = Transaction().Apply(policy_, false);
  ASSERT_EQ(r.outcome, Outcome::kApplied) << r.error;
  ASSERT_EQ(r.listeners.size(), 2u);
  EXPECT_TRUE(r.listeners[1].listener.internal);
  EXPECT_FALSE(r.listeners[1].untrusted.has_value());
  EXPECT_THAT(r.listeners[1].note, HasSubstr("internal"));
  for (const std::string& e : checker_.endpoints_probed) {
    EXPECT_THAT(e, ::testing::Not(HasSubstr(":10025")));
  }
}

TEST_F(ApplyTransactionTest, AListenerDeclaredInternalThatBindsMoreThanLoopbackIsProbed) {
  Listener wildcard = FakeDriver::MakeListener(10025);
  wildcard.bind = "0.0.0.0";
  wildcard.loopback_only = false;
  driver_->listeners = {FakeDriver::MakeListener(2525), wildcard};
  checker_.untrusted_by_port[10025] = ProbeVerdict::kRelayAccepted;
  policy_.probe.internal_listeners = {*ParseSmtpEndpoint("127.0.0.1:10025")};
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kRolledBack);
  EXPECT_THAT(r.error, HasSubstr("127.0.0.1:10025"));
  EXPECT_THAT(r.warnings,
              ::testing::Contains(HasSubstr("binds 0.0.0.0: other hosts can reach it")));
}

TEST_F(ApplyTransactionTest, AListenerThatDoesNotAnswerBeforeTheChangeIsRefusedAndNothingChanges) {
  checker_.greeting = absl::UnavailableError("connection refused");
  const size_t commits = Commits();
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kRefused);
  EXPECT_EQ(r.failed_phase, "preflight");
  EXPECT_THAT(r.error, HasSubstr("listener 127.0.0.1:2525 (2525, a.cf:1) does not answer"));
  EXPECT_THAT(r.error, HasSubstr("nothing was changed"));
  EXPECT_EQ(Read("a.cf"), "open a\n");
  EXPECT_EQ(Commits(), commits);
  EXPECT_TRUE(driver_->commands.empty());
}

TEST_F(ApplyTransactionTest, AnIpv6ListenerWithoutAnIpv6UntrustedSourceIsRefusedWithWhatToSet) {
  Listener v6 = FakeDriver::MakeListener(2525);
  v6.endpoint = *ParseSmtpEndpoint("[::1]:2525");
  v6.bind = "::1";
  driver_->listeners = {FakeDriver::MakeListener(2525), v6};
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kRefused);
  EXPECT_THAT(r.error, HasSubstr("listener [::1]:2525 (2525, a.cf:1) is on IPv6"));
  EXPECT_THAT(r.error, HasSubstr("probe.untrusted_source_v6"));
  EXPECT_EQ(Read("a.cf"), "open a\n");
  // Declared internal (it binds ::1 only), it is left alone and the apply goes ahead.
  policy_.probe.internal_listeners = {*ParseSmtpEndpoint("[::1]:2525")};
  EXPECT_EQ(Transaction().Apply(policy_, false).outcome, Outcome::kApplied);
}

TEST_F(ApplyTransactionTest, UnprovenDriftAfterTheReloadRollsBack) {
  SettingDrift unreadable;
  unreadable.setting = "smtpd_relay_restrictions";
  unreadable.effective = "ldap:/etc/postfix/ldap-clients.cf cannot be read";
  unreadable.where = "main.cf:40";
  unreadable.unproven = true;
  driver_->drift = {unreadable};
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kRolledBack);
  EXPECT_THAT(r.error, HasSubstr("smtpd_relay_restrictions cannot be checked: ldap:"));
}

TEST_F(ApplyTransactionTest, NoListenersIsARefusalNotAnApply) {
  driver_->listeners_status = absl::NotFoundError("no inet smtpd service in master.cf");
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kRefused);
  EXPECT_THAT(r.error, HasSubstr("no inet smtpd service"));
  EXPECT_EQ(Read("a.cf"), "open a\n");
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
  checker_.greetings_before_failure = 1;  // the preflight's: the MTA answered before the change
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

// The fault points of agent/apply/fault_points.h, each where its name says: the crash matrix
// (tests/agent/apply/crash_matrix_integration_test.cc) kills the agent at every one of them.
TEST_F(ApplyTransactionTest, AnApplyReachesEveryFaultPointInOrder) {
  ASSERT_EQ(Transaction().Apply(policy_, false).outcome, Outcome::kApplied);
  EXPECT_EQ(faults_.reached,
            (std::vector<std::string>{"after-backup", "after-write:1", "after-write:2",
                                      "after-activate", "after-reload", "during-verify"}));
}

TEST_F(ApplyTransactionTest, ARestoreReachesItsOwnFaultPoints) {
  driver_->reload_results = {absl::FailedPreconditionError("reload refused")};
  ASSERT_EQ(Transaction().Apply(policy_, false).outcome, Outcome::kRolledBack);
  EXPECT_EQ(faults_.reached,
            (std::vector<std::string>{"after-backup", "after-write:1", "after-write:2",
                                      "after-activate", "restore:after-write:1",
                                      "restore:after-write:2", "restore:after-activate",
                                      "restore:after-reload", "restore:during-verify"}));
}

TEST_F(ApplyTransactionTest, ARollbackAndARecoveryReachTheirFaultPoints) {
  ASSERT_EQ(Transaction().Apply(policy_, false).outcome, Outcome::kApplied);
  faults_.reached.clear();
  ASSERT_EQ(Transaction().Rollback(std::nullopt, policy_.probe).outcome, Outcome::kRestored);
  EXPECT_EQ(faults_.reached,
            (std::vector<std::string>{"after-backup", "after-write:1", "after-write:2",
                                      "after-activate", "after-reload", "during-verify"}));
  // Interrupted in the middle of the next apply (by hand here): its backup is put back.
  std::string backup = store_->History(1)->front().id;
  Write("a.cf", "half\n");
  ASSERT_TRUE(journal_->Write({"apply", "activate", backup, "p", 7, false, 1, 0}).ok());
  faults_.reached.clear();
  ASSERT_TRUE(Transaction().RecoverInterrupted(policy_.probe).has_value());
  EXPECT_EQ(faults_.reached,
            (std::vector<std::string>{"recovery:after-write:1", "recovery:after-activate",
                                      "recovery:after-reload", "recovery:during-verify"}));
}

// Regression (crash matrix, ENOSPC): the state dir filled up after the files were written, so
// the journal could not be marked "reload", and then not "restore" either; the restore gave up
// before writing a file, leaving the new configuration live and unverified.
TEST_F(ApplyTransactionTest, AStateDirThatFillsUpMidChangeStillGetsEveryFileRestored) {
  fs_.fail_journal_from = 2;  // the journal written with the backup; none after it
  TransactionReport r = Transaction().Apply(policy_, false);
  EXPECT_EQ(r.outcome, Outcome::kRolledBack) << r.error;
  EXPECT_EQ(r.failed_phase, "reload");
  EXPECT_THAT(r.error, HasSubstr("No space left on device"));
  EXPECT_THAT(r.warnings, ::testing::Contains(HasSubstr("could not mark the journal")));
  EXPECT_EQ(Read("a.cf"), "open a\n");
  EXPECT_EQ(Read("b.cf"), "open b\n");
  EXPECT_FALSE(std::filesystem::exists(root_ + "/state/journal"));
}

// Regression (crash matrix, corrupted journal): `rollback --to` is the way out of a journal that
// cannot be read; when the files already match the target, the journal must go too, or every
// later apply stays refused.
TEST_F(ApplyTransactionTest, ARollbackToTheStateInPlaceClearsAnUnreadableJournal) {
  ASSERT_EQ(Transaction().Apply(policy_, false).outcome, Outcome::kApplied);
  ASSERT_TRUE(fs_.WriteFileAtomic(root_ + "/state/journal", "garbage\n",
                                  FileInfo{0600, getuid(), getgid(), true}).ok());
  std::string head = store_->History(1)->front().id;
  TransactionReport r = Transaction().Rollback(head, policy_.probe);
  EXPECT_EQ(r.outcome, Outcome::kUnchanged) << r.error;
  EXPECT_FALSE(std::filesystem::exists(root_ + "/state/journal"));
}

}  // namespace
}  // namespace relayguard::agent
