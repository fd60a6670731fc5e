// ComplianceScheduler with a wall clock the test moves: when checks run, what gets queued,
// splay, suspension after a failed enforcement, and policy changes.
#include "agent/compliance/compliance_scheduler.h"

#include <unistd.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "tests/support/apply_fakes.h"

namespace relayguard::agent {
namespace {

using ::testing::HasSubstr;

std::string PolicyYaml(int version, const std::string& compliance) {
  return "name: p\nversion: " + std::to_string(version) +
         "\nrelay:\n  trusted_networks: [127.0.0.1/32]\n" + compliance;
}

class ComplianceSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-scheduler-unit.XXXXXX";
    root_ = mkdtemp(tmpl);
    std::filesystem::create_directories(root_ + "/etc");
    Write(root_ + "/etc/a.cf", "closed\n");
    Write(root_ + "/etc/b.cf", "closed\n");
    store_ = std::move(GitBackupStore::Open(root_ + "/state/backup")).value();
    driver_ = std::make_unique<FakeDriver>(root_ + "/etc");
    ASSERT_TRUE(store_->Commit(*ReadLiveFiles(*driver_, fs_), "baseline", {}).ok());
    journal_ = std::make_unique<Journal>(fs_, root_ + "/state/journal");
    transaction_ = std::make_unique<ApplyTransaction>(TransactionDeps{
        *driver_, fs_, *store_, *journal_, probe_, clock_, root_ + "/state/stage", faults_});
    checker_ = std::make_unique<ComplianceChecker>(*driver_, fs_, *store_, probe_, *transaction_);
    queue_ = std::move(ComplianceQueue::Open(fs_, root_ + "/state/queue")).value();
    state_ = std::make_unique<EnforceState>(fs_, root_ + "/state/enforce-state");
    probe_.untrusted_fn = [this] {
      return *fs_.ReadFile(root_ + "/etc/a.cf") == "closed\n" ? ProbeVerdict::kRefused
                                                               : ProbeVerdict::kRelayAccepted;
    };
    clock_.wall = 1800000000;  // 2027-01-15T08:00:00Z, a multiple of 60
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& path, const std::string& text) {
    ASSERT_TRUE(fs_.WriteFileAtomic(path, text, FileInfo{0640, getuid(), getgid(), true}).ok());
  }
  ComplianceScheduler Scheduler(const std::string& host = "mx1") {
    return ComplianceScheduler(SchedulerDeps{*checker_, *queue_, *state_, fs_, clock_, host_mu_,
                                             [](const ComplianceResult& r, uint64_t seq) {
                                               return std::to_string(seq) + " " +
                                                      ComplianceStatusName(r.status) + " " +
                                                      EnforcementName(r.enforcement);
                                             }},
                               host, root_ + "/state/policy.yaml");
  }
  void CachePolicy(const std::string& yaml) { Write(root_ + "/state/policy.yaml", yaml); }
  std::vector<std::string> Queued() {
    std::vector<std::string> out;
    for (auto& [seq, text] : queue_->PendingAfter(0, 100)) out.push_back(text);
    return out;
  }

  std::string root_;
  RealFileSystem fs_;
  FakeClock clock_;
  NoFaultPoints faults_;
  ScriptedChecker probe_;
  std::mutex host_mu_;
  std::unique_ptr<FakeDriver> driver_;
  std::unique_ptr<GitBackupStore> store_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<ApplyTransaction> transaction_;
  std::unique_ptr<ComplianceChecker> checker_;
  std::unique_ptr<ComplianceQueue> queue_;
  std::unique_ptr<EnforceState> state_;
};

TEST_F(ComplianceSchedulerTest, NothingRunsWithoutACachedPolicyWithASchedule) {
  ComplianceScheduler s = Scheduler();
  EXPECT_FALSE(s.Tick().has_value());
  CachePolicy(PolicyYaml(1, ""));  // no compliance section
  clock_.wall += 3600;
  EXPECT_FALSE(s.Tick().has_value());
  EXPECT_EQ(s.next_check_at(), 0);
  EXPECT_EQ(queue_->size(), 0u);
}

TEST_F(ComplianceSchedulerTest, ChecksRunAtTheScheduledTimesAndAreQueued) {
  CachePolicy(PolicyYaml(1, "compliance:\n  schedule: \"@every 60s\"\n"));
  ComplianceScheduler s = Scheduler();
  EXPECT_FALSE(s.Tick().has_value());
  EXPECT_EQ(s.next_check_at(), 1800000060);
  clock_.wall = 1800000059;
  EXPECT_FALSE(s.Tick().has_value());
  clock_.wall = 1800000060;
  std::optional<ComplianceResult> r = s.Tick();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, ComplianceStatus::kCompliant);
  EXPECT_EQ(s.next_check_at(), 1800000120);
  EXPECT_FALSE(s.Tick().has_value());  // not twice for the same time
  Write(root_ + "/etc/a.cf", "open by hand\n");
  clock_.wall = 1800000125;  // late: runs once, then the next slot
  ASSERT_TRUE(s.Tick().has_value());
  EXPECT_EQ(s.next_check_at(), 1800000180);
  EXPECT_EQ(Queued(), (std::vector<std::string>{"1 compliant ", "2 relay-open "}));
}

TEST_F(ComplianceSchedulerTest, ARequestedCheckRunsAtOnceInThePolicysModeAndKeepsTheSchedule) {
  CachePolicy(PolicyYaml(1, "compliance:\n  schedule: \"@every 3600s\"\n  mode: enforce\n"));
  ComplianceScheduler s = Scheduler();
  EXPECT_FALSE(s.Tick().has_value());
  const int64_t next = s.next_check_at();
  ASSERT_GT(next, clock_.wall);
  Write(root_ + "/etc/a.cf", "open by hand\n");
  s.RequestCheck("relay-seen");
  std::optional<ComplianceResult> r = s.Tick();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->trigger, "relay-seen");
  EXPECT_EQ(r->enforcement, Enforcement::kApplied);
  EXPECT_EQ(r->status, ComplianceStatus::kCompliant);
  EXPECT_EQ(*fs_.ReadFile(root_ + "/etc/a.cf"), "closed\n");
  EXPECT_EQ(s.next_check_at(), next);  // the schedule goes on as before
  EXPECT_FALSE(s.Tick().has_value());  // one request, one check
}

TEST_F(ComplianceSchedulerTest, ARequestedCheckWithoutAComplianceSectionAuditsOnly) {
  ComplianceScheduler none = Scheduler();
  none.RequestCheck("relay-seen");
  EXPECT_FALSE(none.Tick().has_value());  // nothing applied: nothing to check
  CachePolicy(PolicyYaml(1, ""));
  Write(root_ + "/etc/a.cf", "open by hand\n");
  ComplianceScheduler s = Scheduler();
  s.RequestCheck("relay-seen");
  std::optional<ComplianceResult> r = s.Tick();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->trigger, "relay-seen");
  EXPECT_EQ(r->mode, ComplianceMode::kAudit);
  EXPECT_EQ(r->status, ComplianceStatus::kRelayOpen);
  EXPECT_EQ(*fs_.ReadFile(root_ + "/etc/a.cf"), "open by hand\n");
  EXPECT_EQ(queue_->size(), 1u);
}

TEST_F(ComplianceSchedulerTest, AfterARollbackRemovedTheCachedPolicyNothingIsEnforced) {
  CachePolicy(PolicyYaml(1, "compliance:\n  schedule: \"@every 60s\"\n  mode: enforce\n"));
  ComplianceScheduler s = Scheduler();
  s.Tick();
  ASSERT_GT(s.next_check_at(), 0);
  // A rollback restores the open files and forgets the policy (PushHandler::Rollback).
  Write(root_ + "/etc/a.cf", "open again, restored by a rollback\n");
  std::filesystem::remove(root_ + "/state/policy.yaml");
  clock_.wall = s.next_check_at();
  EXPECT_FALSE(s.Tick().has_value());
  EXPECT_EQ(s.next_check_at(), 0);
  EXPECT_EQ(*fs_.ReadFile(root_ + "/etc/a.cf"), "open again, restored by a rollback\n");
  EXPECT_EQ(queue_->size(), 0u);
}

TEST_F(ComplianceSchedulerTest, SplaySpreadsHostsOverTheIntervalAndIsStable) {
  CachePolicy(PolicyYaml(1, "compliance:\n  schedule: \"@every 1h\"\n  splay_s: 600\n"));
  std::set<int64_t> offsets;
  for (const std::string host : {"mx1", "mx2", "mx3", "mx4", "mx5", "mx6"}) {
    ComplianceScheduler s = Scheduler(host);
    s.Tick();
    const int64_t base = 1800000000 / 3600 * 3600 + 3600;
    int64_t offset = s.next_check_at() - base;
    if (offset < 0) offset += 3600;  // this host's slot of the current hour is still ahead
    EXPECT_GE(offset, 0) << host;
    EXPECT_LT(offset, 600) << host;
    EXPECT_EQ(offset, SplayOffset(host, 600));
    offsets.insert(offset);
  }
  EXPECT_GT(offsets.size(), 3u);  // not all at once
}

TEST_F(ComplianceSchedulerTest, AFailedEnforcementSuspendsThatVersionUntilANewOneArrives) {
  CachePolicy(PolicyYaml(1, "compliance:\n  schedule: \"@every 60s\"\n  mode: enforce\n"));
  ComplianceScheduler s = Scheduler();
  s.Tick();
  Write(root_ + "/etc/a.cf", "open by hand\n");
  driver_->reload_results = {absl::UnavailableError("reload failed"), absl::OkStatus()};
  clock_.wall = s.next_check_at();
  ASSERT_EQ(s.Tick()->enforcement, Enforcement::kRolledBack);
  EXPECT_TRUE(state_->Suspended("p", 1));
  clock_.wall = s.next_check_at();
  std::optional<ComplianceResult> again = s.Tick();
  EXPECT_EQ(again->enforcement, Enforcement::kSuspended);
  EXPECT_EQ(*fs_.ReadFile(root_ + "/etc/a.cf"), "open by hand\n");
  // Version 2 is enforced again, and this time the reload works.
  CachePolicy(PolicyYaml(2, "compliance:\n  schedule: \"@every 60s\"\n  mode: enforce\n"));
  s.Tick();
  clock_.wall = s.next_check_at();
  std::optional<ComplianceResult> fixed = s.Tick();
  EXPECT_EQ(fixed->enforcement, Enforcement::kApplied) << fixed->summary;
  EXPECT_EQ(fixed->version, 2u);
  EXPECT_EQ(*fs_.ReadFile(root_ + "/etc/a.cf"), "closed\n");
  EXPECT_EQ(Queued(), (std::vector<std::string>{"1 relay-open rolled-back",
                                                "2 relay-open suspended", "3 compliant applied"}));
}

TEST_F(ComplianceSchedulerTest, AControllerHoldStopsEnforcementOfThatVersion) {
  CachePolicy(PolicyYaml(4, "compliance:\n  schedule: \"@every 60s\"\n  mode: enforce\n"));
  ASSERT_TRUE(state_->Hold("p", 4, "2 hosts failed (budget 1)").ok());
  ComplianceScheduler s = Scheduler();
  s.Tick();
  Write(root_ + "/etc/a.cf", "open by hand\n");
  clock_.wall = s.next_check_at();
  std::optional<ComplianceResult> r = s.Tick();
  EXPECT_EQ(r->enforcement, Enforcement::kHeld);
  EXPECT_THAT(r->summary, HasSubstr("2 hosts failed (budget 1)"));
  EXPECT_EQ(*fs_.ReadFile(root_ + "/etc/a.cf"), "open by hand\n");
}

TEST_F(ComplianceSchedulerTest, ACronScheduleInATimeZoneFiresAtLocalTime) {
  // 03:30 in New York on 2027-01-15 is 08:30 UTC (EST, UTC-5).
  CachePolicy(PolicyYaml(1, "compliance:\n  schedule: \"30 3 * * *\"\n"
                            "  time_zone: America/New_York\n"));
  ComplianceScheduler s = Scheduler();
  s.Tick();
  EXPECT_EQ(s.next_check_at(), absl::ToUnixSeconds(absl::FromCivil(
                                   absl::CivilSecond(2027, 1, 15, 8, 30, 0), absl::UTCTimeZone())));
}

}  // namespace
}  // namespace relayguard::agent
