// ComplianceChecker's logic with a fake MTA (tests/support/apply_fakes.h) over a real temp dir
// and a real git backup repository. The real MTAs: compliance_integration_test.cc.
#include "agent/compliance/compliance_check.h"

#include <unistd.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "tests/support/apply_fakes.h"

namespace relayguard::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class ComplianceCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-compliance-unit.XXXXXX";
    root_ = mkdtemp(tmpl);
    std::filesystem::create_directories(root_ + "/etc");
    Write("a.cf", "closed\n");
    Write("b.cf", "closed\n");
    store_ = std::move(GitBackupStore::Open(root_ + "/state/backup")).value();
    driver_ = std::make_unique<FakeDriver>(root_ + "/etc");
    journal_ = std::make_unique<Journal>(fs_, root_ + "/state/journal");
    transaction_ = std::make_unique<ApplyTransaction>(TransactionDeps{
        *driver_, fs_, *store_, *journal_, checker_, clock_, root_ + "/state/stage", faults_});
    checker_impl_ = std::make_unique<ComplianceChecker>(*driver_, fs_, *store_, checker_,
                                                        *transaction_);
    checker_impl_->set_server_name("mx.lab.test");
    policy_.name = "p";
    policy_.version = 3;
    policy_.probe.settle_timeout = std::chrono::milliseconds(1000);
    policy_.compliance = ComplianceSettings{};
    policy_.compliance->schedule = "@every 60s";
    // The relay is open exactly while a.cf is not "closed".
    checker_.untrusted_fn = [this] {
      return Read("a.cf") == "closed\n" ? ProbeVerdict::kRefused : ProbeVerdict::kRelayAccepted;
    };
    BaselineCommit();
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void Write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(fs_.WriteFileAtomic(root_ + "/etc/" + name, text,
                                    FileInfo{0640, getuid(), getgid(), true}).ok());
  }
  std::string Read(const std::string& name) { return *fs_.ReadFile(root_ + "/etc/" + name); }
  void BaselineCommit() {
    std::vector<FileSnapshot> files = *ReadLiveFiles(*driver_, fs_);
    ASSERT_TRUE(store_->Commit(files, "baseline", {{"Action", "apply"}}).ok());
  }
  size_t Commits() { return store_->History(100)->size(); }
  ComplianceResult Check(const EnforceGate& gate = {}) {
    return checker_impl_->Check(policy_, now_, gate);
  }
  void Enforce() { policy_.compliance->mode = ComplianceMode::kEnforce; }

  std::string root_;
  RealFileSystem fs_;
  FakeClock clock_;
  NoFaultPoints faults_;
  ScriptedChecker checker_;
  std::unique_ptr<FakeDriver> driver_;
  std::unique_ptr<GitBackupStore> store_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<ApplyTransaction> transaction_;
  std::unique_ptr<ComplianceChecker> checker_impl_;
  Policy policy_;
  // Wednesday 2026-12-02 12:00:00 UTC.
  int64_t now_ = absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilSecond(2026, 12, 2, 12, 0, 0), absl::UTCTimeZone()));
};

TEST_F(ComplianceCheckTest, AHostThatHoldsThePolicyIsCompliantAndEveryTrickWasTried) {
  ComplianceResult r = Check();
  EXPECT_EQ(r.status, ComplianceStatus::kCompliant) << r.summary;
  EXPECT_EQ(r.enforcement, Enforcement::kNone);
  EXPECT_THAT(r.changed_files, IsEmpty());
  EXPECT_THAT(r.settings, IsEmpty());
  ASSERT_THAT(r.listeners, SizeIs(1));
  ASSERT_TRUE(r.listeners[0].untrusted.has_value());
  EXPECT_EQ(r.verdict, ProbeVerdict::kRefused);
  EXPECT_EQ(r.listeners[0].verdict, ProbeVerdict::kRefused);
  EXPECT_EQ(r.listeners[0].untrusted->tests.size(), 20u);  // AllRelayTricks
  EXPECT_EQ(checker_.probes, 4);                           // five per connection
  EXPECT_EQ(r.listeners[0].untrusted->source.ToString(), "127.0.0.9");
  EXPECT_EQ(r.checked_at, now_);
  EXPECT_EQ(r.policy, "p");
  EXPECT_EQ(r.version, 3u);
}

TEST_F(ComplianceCheckTest, AuditReportsAHandEditThatReopensTheRelayAndChangesNothing) {
  Write("a.cf", "open by hand\n");
  driver_->drift = {{"mynetworks", "0.0.0.0/0", "127.0.0.1/32", "", "", false}};
  const size_t commits = Commits();
  ComplianceResult r = Check();
  EXPECT_EQ(r.status, ComplianceStatus::kRelayOpen);
  EXPECT_EQ(r.enforcement, Enforcement::kNone);
  ASSERT_THAT(r.changed_files, SizeIs(1));
  EXPECT_EQ(r.changed_files[0].path, root_ + "/etc/a.cf");
  EXPECT_THAT(r.changed_files[0].diff, HasSubstr("-closed\n+open by hand\n"));
  EXPECT_GT(r.changed_files[0].modified_at, 0);
  ASSERT_THAT(r.settings, SizeIs(1));
  EXPECT_EQ(r.settings[0].setting, "mynetworks");
  EXPECT_THAT(r.summary, HasSubstr("relay open on 127.0.0.1:2525 (2525, a.cf:1) from 127.0.0.9: "
                                   "20/20 tricks relayed"));
  EXPECT_THAT(r.summary, HasSubstr("mynetworks is \"0.0.0.0/0\", want \"127.0.0.1/32\""));
  EXPECT_EQ(Read("a.cf"), "open by hand\n");
  EXPECT_EQ(Commits(), commits);
  EXPECT_THAT(driver_->commands, IsEmpty());
}

TEST_F(ComplianceCheckTest, AFileChangedSinceTheLastCommitIsDriftEvenWithTheRelayClosed) {
  Write("b.cf", "closed\n# a note\n");
  ComplianceResult r = Check();
  EXPECT_EQ(r.status, ComplianceStatus::kDrifted);
  ASSERT_THAT(r.changed_files, SizeIs(1));
  EXPECT_EQ(r.changed_files[0].path, root_ + "/etc/b.cf");
  EXPECT_THAT(r.changed_files[0].diff, HasSubstr("+# a note\n"));
  EXPECT_THAT(r.summary, HasSubstr("changed since the last backup: " + root_ + "/etc/b.cf"));
}

TEST_F(ComplianceCheckTest, EnforceClosesTheRelayAndRecordsBothCommits) {
  Enforce();
  Write("a.cf", "open by hand\n");
  const size_t commits = Commits();
  ComplianceResult r = Check();
  EXPECT_EQ(r.enforcement, Enforcement::kApplied) << r.summary;
  EXPECT_EQ(r.status, ComplianceStatus::kCompliant);
  EXPECT_EQ(Read("a.cf"), "closed\n");
  ASSERT_TRUE(r.enforce_report.has_value());
  EXPECT_EQ(Commits(), commits + 2);
  // The backup commit holds the hand edit; the result commit the fixed file.
  std::vector<FileSnapshot> backup = *store_->ReadCommit(r.enforce_report->backup_commit);
  std::vector<FileSnapshot> fixed = *store_->ReadCommit(r.enforce_report->result_commit);
  EXPECT_EQ(backup[0].contents, "open by hand\n");
  EXPECT_EQ(fixed[0].contents, "closed\n");
  EXPECT_THAT(r.summary, HasSubstr("enforced: backup " + r.enforce_report->backup_commit.substr(0, 12)));
  // What was found stays in the report as evidence.
  EXPECT_EQ(r.verdict, ProbeVerdict::kRelayAccepted);
  ASSERT_THAT(r.changed_files, SizeIs(1));
  EXPECT_EQ(driver_->commands, (std::vector<std::string>{"validate", "reload"}));
}

TEST_F(ComplianceCheckTest, EnforceOutsideTheMaintenanceWindowOnlyReports) {
  Enforce();
  policy_.compliance->maintenance_windows = {"sun 02:00-03:00"};
  Write("a.cf", "open by hand\n");
  ComplianceResult r = Check();
  EXPECT_EQ(r.status, ComplianceStatus::kRelayOpen);
  EXPECT_EQ(r.enforcement, Enforcement::kOutsideWindow);
  EXPECT_EQ(r.next_window_at, absl::ToUnixSeconds(absl::FromCivil(
                                  absl::CivilSecond(2026, 12, 6, 2, 0, 0), absl::UTCTimeZone())));
  EXPECT_THAT(r.summary, HasSubstr("outside the maintenance windows (sun 02:00-03:00)"));
  EXPECT_EQ(Read("a.cf"), "open by hand\n");
  EXPECT_THAT(driver_->commands, IsEmpty());
}

TEST_F(ComplianceCheckTest, EnforceInsideTheMaintenanceWindowChanges) {
  Enforce();
  policy_.compliance->maintenance_windows = {"sun 02:00-03:00", "wed 11:00-13:00"};
  Write("a.cf", "open by hand\n");
  ComplianceResult r = Check();
  EXPECT_EQ(r.enforcement, Enforcement::kApplied) << r.summary;
  EXPECT_EQ(Read("a.cf"), "closed\n");
}

TEST_F(ComplianceCheckTest, AHeldOrSuspendedVersionIsNotEnforced) {
  Enforce();
  Write("a.cf", "open by hand\n");
  ComplianceResult held = Check(EnforceGate{false, "3 hosts failed (budget 1)"});
  EXPECT_EQ(held.enforcement, Enforcement::kHeld);
  EXPECT_THAT(held.summary, HasSubstr("the controller halted enforcement (3 hosts failed"));
  ComplianceResult suspended = Check(EnforceGate{true, ""});
  EXPECT_EQ(suspended.enforcement, Enforcement::kSuspended);
  EXPECT_THAT(suspended.summary, HasSubstr("enforcing v3 failed here before"));
  EXPECT_EQ(Read("a.cf"), "open by hand\n");
  EXPECT_THAT(driver_->commands, IsEmpty());
}

TEST_F(ComplianceCheckTest, AFailedEnforcementRollsBackToTheHandEditAndSaysSo) {
  Enforce();
  Write("a.cf", "open by hand\n");
  driver_->reload_results = {absl::UnavailableError("postfix reload: fatal"), absl::OkStatus()};
  ComplianceResult r = Check();
  EXPECT_EQ(r.enforcement, Enforcement::kRolledBack) << r.summary;
  EXPECT_EQ(r.status, ComplianceStatus::kRelayOpen);
  EXPECT_THAT(r.summary, HasSubstr("postfix reload: fatal"));
  EXPECT_EQ(Read("a.cf"), "open by hand\n");  // restored byte for byte, as before the attempt
}

TEST_F(ComplianceCheckTest, EnforceTakesAnEditThatKeepsThePolicyAsTheNewBaseline) {
  Enforce();
  Write("b.cf", "closed\n# a note\n");
  driver_->policy_holds_as_is = true;  // the edit does not touch a relay setting
  const size_t commits = Commits();
  ComplianceResult r = Check();
  EXPECT_EQ(r.enforcement, Enforcement::kUnchanged) << r.summary;
  EXPECT_EQ(r.status, ComplianceStatus::kCompliant);
  EXPECT_THAT(r.summary, HasSubstr("the policy still holds, new baseline"));
  ASSERT_EQ(Commits(), commits + 1);
  EXPECT_EQ(store_->History(1)->front().trailers.at("Action"), "baseline");
  EXPECT_EQ(Read("b.cf"), "closed\n# a note\n");
  // The next check compares with the new baseline.
  ComplianceResult again = Check();
  EXPECT_EQ(again.status, ComplianceStatus::kCompliant);
  EXPECT_THAT(again.changed_files, IsEmpty());
}

TEST_F(ComplianceCheckTest, AMissingConfigFileIsAnErrorThatNamesIt) {
  std::filesystem::remove(root_ + "/etc/b.cf");
  ComplianceResult r = Check();
  EXPECT_EQ(r.status, ComplianceStatus::kError);
  EXPECT_THAT(r.error, HasSubstr(root_ + "/etc/b.cf does not exist"));
}

TEST_F(ComplianceCheckTest, AnInconclusiveProbeIsInconclusiveNeverCompliant) {
  checker_.untrusted_fn = [] { return ProbeVerdict::kInconclusive; };
  ComplianceResult r = Check();
  EXPECT_EQ(r.status, ComplianceStatus::kInconclusive);
  EXPECT_EQ(r.verdict, ProbeVerdict::kInconclusive);
  EXPECT_THAT(r.summary, HasSubstr("listener 127.0.0.1:2525 (2525, a.cf:1) not proven closed: "
                                   "nmap-01"));
}

TEST_F(ComplianceCheckTest, AConfigurationRelayguardCannotReadIsInconclusiveNotAnError) {
  driver_->listeners_status = absl::OkStatus();
  driver_->drift_status =
      absl::InvalidArgumentError("master.cf:20: service \"x\" is not a known TCP port");
  ComplianceResult r = Check();
  EXPECT_EQ(r.status, ComplianceStatus::kInconclusive);
  EXPECT_THAT(r.summary, HasSubstr("cannot read the effective settings: master.cf:20:"));
  driver_->drift_status = absl::InternalError("postconf failed (exit 1)");
  EXPECT_EQ(Check().status, ComplianceStatus::kError);
}

TEST_F(ComplianceCheckTest, AListenerThatCannotBeProbedFromAStrangerIsInconclusive) {
  Listener v6 = FakeDriver::MakeListener(2525);
  v6.endpoint = *ParseSmtpEndpoint("[::1]:2525");
  v6.bind = "::1";
  driver_->listeners.push_back(v6);
  ComplianceResult r = Check();
  EXPECT_EQ(r.status, ComplianceStatus::kInconclusive);
  EXPECT_EQ(r.verdict, ProbeVerdict::kInconclusive);
  ASSERT_THAT(r.listeners, SizeIs(2));
  EXPECT_FALSE(r.listeners[1].untrusted.has_value());
  EXPECT_THAT(r.summary, HasSubstr("listener [::1]:2525 (2525, a.cf:1) is on IPv6"));
  EXPECT_THAT(r.summary, HasSubstr("probe.untrusted_source_v6"));
}

TEST_F(ComplianceCheckTest, WithoutAnyBackupThereIsNoBaselineToCompare) {
  std::filesystem::remove_all(root_ + "/state/backup");
  store_ = std::move(GitBackupStore::Open(root_ + "/state/backup2")).value();
  checker_impl_ = std::make_unique<ComplianceChecker>(*driver_, fs_, *store_, checker_,
                                                      *transaction_);
  Write("a.cf", "anything\n");
  ComplianceResult r = Check();
  EXPECT_THAT(r.changed_files, IsEmpty());
  EXPECT_EQ(r.status, ComplianceStatus::kRelayOpen);
}

}  // namespace
}  // namespace relayguard::agent
