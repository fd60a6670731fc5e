#include "controller/store/sqlite_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tests/controller/store/store_test_fixture.h"

namespace relayguard::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Strings that break naive quoting: SQL quotes, newlines, a NUL byte, non-ASCII text.
const std::string kNasty = std::string("it's \"quoted\"; DROP TABLE hosts; --\n\tline2\r\n") +
                           std::string("nul:\0:end", 9) + " Grüße 日本語 🚀 \\ %s ?";

void ExpectSpecEq(const RolloutSpec& a, const RolloutSpec& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.policy, b.policy);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.hosts, b.hosts);
  EXPECT_EQ(a.waves, b.waves);
  EXPECT_EQ(a.wave_failure_budget, b.wave_failure_budget);
  EXPECT_EQ(a.pause_between_waves, b.pause_between_waves);
  EXPECT_EQ(a.rollback_on_halt, b.rollback_on_halt);
  EXPECT_EQ(a.offline_deadline_s, b.offline_deadline_s);
}

void ExpectRolloutEq(const RolloutRecord& a, const RolloutRecord& b) {
  ExpectSpecEq(a.spec, b.spec);
  EXPECT_TRUE(a.state == b.state);
  EXPECT_EQ(a.created_by, b.created_by);
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
}

RolloutRecord SampleRollout(const std::string& id, int64_t created_at) {
  RolloutRecord r;
  r.spec.id = id;
  r.spec.policy = "no-open-relay";
  r.spec.version = 7;
  r.spec.hosts = {"mx3", "mx1", "mx2"};
  r.spec.waves = {{false, 1}, {true, 50}, {true, 100}};
  r.spec.wave_failure_budget = 2;
  r.spec.pause_between_waves = true;
  r.spec.rollback_on_halt = true;
  r.spec.offline_deadline_s = 900;
  r.state.status = RolloutStatus::kPaused;
  r.state.current_wave = 1;
  r.state.hosts["mx3"] = {HostPhase::kSucceeded, 0, "n-1", 1700000000, ""};
  r.state.hosts["mx1"] = {HostPhase::kFailed, 1, "n-2", 1700000010, "postfix check failed"};
  r.state.hosts["mx2"] = {HostPhase::kWaiting, -1, "", 0, ""};
  r.state.halt_reason = "";
  r.state.next_nonce = 3;
  r.created_by = "alice";
  r.reason = "CHG-1042 close open relays";
  r.created_at = created_at;
  r.updated_at = created_at + 5;
  return r;
}

TEST_F(SqliteStoreTest, NewDatabaseHasAllMigrations) {
  EXPECT_EQ(store_->SchemaVersion(), 9);
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("SELECT COUNT(*) FROM schema_migrations"), "9");
}

TEST_F(SqliteStoreTest, WalModeIsOn) {
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("PRAGMA journal_mode"), "wal");
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
}

TEST_F(SqliteStoreTest, HostRoundTripsAndUpsertReplacesLabels) {
  HostRecord host{"mx1",           {{"site", "fra1"}, {"tier", "edge"}},
                  "postfix",       "3.7.10",
                  "no-open-relay", 4,
                  "abc123",        1700000000};
  ASSERT_TRUE(store_->UpsertHost(host).ok());
  absl::StatusOr<std::optional<HostRecord>> got = store_->Host("mx1");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, host);

  host.labels = {{"site", "ams2"}};
  host.applied_version = 5;
  host.last_seen = 1700000100;
  ASSERT_TRUE(store_->UpsertHost(host).ok());
  got = store_->Host("mx1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, host);

  absl::StatusOr<std::optional<HostRecord>> missing = store_->Host("nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(SqliteStoreTest, HostsAreOrderedByNameWithTheirLabels) {
  HostRecord b{"mx-b", {{"site", "b"}}, "exim", "4.96", "", 0, "", 2};
  HostRecord a{"mx-a", {}, "postfix", "3.7", "p", 1, "h", 1};
  HostRecord c{"mx-c", {{"k1", "v1"}, {"k2", "v2"}}, "sendmail", "8.17", "", 0, "", 3};
  ASSERT_TRUE(store_->UpsertHost(b).ok());
  ASSERT_TRUE(store_->UpsertHost(c).ok());
  ASSERT_TRUE(store_->UpsertHost(a).ok());
  absl::StatusOr<std::vector<HostRecord>> hosts = store_->Hosts();
  ASSERT_TRUE(hosts.ok()) << hosts.status();
  EXPECT_THAT(*hosts, ElementsAre(a, b, c));
}

TEST_F(SqliteStoreTest, PolicyVersionIsIdempotentAndConflictTellsToBumpTheVersion) {
  PolicyVersionRecord p{"no-open-relay", 3, "rules:\n  - deny: all\n", 1700000000};
  ASSERT_TRUE(store_->PutPolicyVersion(p).ok());
  PolicyVersionRecord again = p;
  again.loaded_at = 1700000500;  // a reload of the same text is not a change
  EXPECT_TRUE(store_->PutPolicyVersion(again).ok());

  absl::StatusOr<std::optional<PolicyVersionRecord>> got =
      store_->PolicyVersion("no-open-relay", 3);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, p);

  PolicyVersionRecord changed = p;
  changed.yaml = "rules: []\n";
  absl::Status conflict = store_->PutPolicyVersion(changed);
  EXPECT_EQ(conflict.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(conflict.message(), HasSubstr("no-open-relay"));
  EXPECT_THAT(conflict.message(), HasSubstr("bump the version"));
  got = store_->PolicyVersion("no-open-relay", 3);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->yaml, p.yaml);

  absl::StatusOr<std::optional<PolicyVersionRecord>> missing = store_->PolicyVersion("x", 1);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(SqliteStoreTest, LatestPoliciesHaveTheNewestVersionPerNameByName) {
  PolicyVersionRecord z1{"zeta", 1, "z1", 10};
  PolicyVersionRecord z10{"zeta", 10, "z10", 30};
  PolicyVersionRecord z2{"zeta", 2, "z2", 20};
  PolicyVersionRecord a5{"alpha", 5, "a5", 40};
  for (const auto& p : {z1, z10, z2, a5}) ASSERT_TRUE(store_->PutPolicyVersion(p).ok());
  absl::StatusOr<std::vector<PolicyVersionRecord>> latest = store_->LatestPolicies();
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_THAT(*latest, ElementsAre(a5, z10));
}

TEST_F(SqliteStoreTest, RolloutIdsCountUpAndAreNeverReusedAcrossReopen) {
  EXPECT_EQ(*store_->NextRolloutId(), "r-000001");
  EXPECT_EQ(*store_->NextRolloutId(), "r-000002");
  Reopen();
  absl::StatusOr<std::string> id = store_->NextRolloutId();
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "r-000003");
}

TEST_F(SqliteStoreTest, RolloutRoundTripsExactly) {
  RolloutRecord r = SampleRollout("r-000001", 1700000000);
  ASSERT_TRUE(store_->SaveRollout(r).ok());
  absl::StatusOr<std::optional<RolloutRecord>> got = store_->Rollout("r-000001");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  ExpectRolloutEq(**got, r);

  absl::StatusOr<std::optional<RolloutRecord>> missing = store_->Rollout("r-999999");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(SqliteStoreTest, CreateRolloutWritesTheRolloutAndItsStartEntryTogether) {
  RolloutRecord r = SampleRollout("r-000001", 1700000000);
  AuditEntry start{0, 1700000000, "alice", "rollout start", "r-000001 no-open-relay v3", "ok",
                   "CHG-1"};
  ASSERT_TRUE(store_->CreateRollout(r, start).ok());
  absl::StatusOr<std::optional<RolloutRecord>> got = store_->Rollout("r-000001");
  ASSERT_TRUE(got.ok() && got->has_value());
  ExpectRolloutEq(**got, r);
  absl::StatusOr<std::vector<AuditEntry>> audit = store_->AuditLog(10);
  ASSERT_TRUE(audit.ok()) << audit.status();
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].who, "alice");
  EXPECT_EQ((*audit)[0].action, "rollout start");
  EXPECT_EQ((*audit)[0].target, "r-000001 no-open-relay v3");
  EXPECT_EQ((*audit)[0].reason, "CHG-1");

  // A write that fails leaves neither: make the audit insert fail (a trigger, from another
  // connection) and the rollout written before it in the transaction is not kept.
  {
    RawDb raw(path_);
    raw.FailEvery("INSERT", "audit", "audit is read-only");
  }
  RolloutRecord r2 = SampleRollout("r-000002", 1700000100);
  absl::Status s = store_->CreateRollout(r2, start);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("audit is read-only"));
  got = store_->Rollout("r-000002");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value()) << "a rollout stored without its start entry";
}

TEST_F(SqliteStoreTest, SaveRolloutReplacesThePreviousState) {
  RolloutRecord r = SampleRollout("r-000001", 1700000000);
  ASSERT_TRUE(store_->SaveRollout(r).ok());
  r.state.status = RolloutStatus::kHalted;
  r.state.halt_reason = "wave 1: 1 failure over budget 0";
  r.state.hosts.erase("mx2");
  r.state.hosts["mx1"].phase = HostPhase::kRolledBack;
  r.state.hosts["mx1"].nonce = "n-9";
  r.state.hosts["mx9"] = {HostPhase::kRollingBack, 2, "n-10", 1700000300, ""};
  r.state.next_nonce = 11;
  r.spec.hosts = {"mx1"};
  r.spec.waves = {{true, 100}};
  r.updated_at = 1700000400;
  ASSERT_TRUE(store_->SaveRollout(r).ok());
  absl::StatusOr<std::optional<RolloutRecord>> got = store_->Rollout("r-000001");
  ASSERT_TRUE(got.ok() && got->has_value());
  ExpectRolloutEq(**got, r);
  absl::StatusOr<std::vector<RolloutRecord>> all = store_->Rollouts();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(SqliteStoreTest, EveryEnumValueAndExtremeIntegersRoundTrip) {
  RolloutRecord r = SampleRollout("r-000001", 1);
  r.spec.version = std::numeric_limits<uint64_t>::max();
  r.state.next_nonce = (uint64_t{1} << 63) + 5;
  r.spec.offline_deadline_s = std::numeric_limits<int64_t>::min();
  r.state.hosts.clear();
  for (int p = 0; p <= static_cast<int>(HostPhase::kRolledBack); ++p) {
    r.state.hosts[absl::StrCat("h", p)] = {static_cast<HostPhase>(p), p, "n", -p, ""};
  }
  for (RolloutStatus s : {RolloutStatus::kRunning, RolloutStatus::kPaused, RolloutStatus::kHalted,
                          RolloutStatus::kAborted, RolloutStatus::kSucceeded}) {
    r.state.status = s;
    ASSERT_TRUE(store_->SaveRollout(r).ok());
    absl::StatusOr<std::optional<RolloutRecord>> got = store_->Rollout(r.spec.id);
    ASSERT_TRUE(got.ok() && got->has_value());
    ExpectRolloutEq(**got, r);
  }
}

TEST_F(SqliteStoreTest, RolloutsAreNewestFirstByCreatedAtThenId) {
  ASSERT_TRUE(store_->SaveRollout(SampleRollout("r-000001", 100)).ok());
  ASSERT_TRUE(store_->SaveRollout(SampleRollout("r-000003", 300)).ok());
  ASSERT_TRUE(store_->SaveRollout(SampleRollout("r-000002", 300)).ok());
  ASSERT_TRUE(store_->SaveRollout(SampleRollout("r-000004", 200)).ok());
  absl::StatusOr<std::vector<RolloutRecord>> all = store_->Rollouts();
  ASSERT_TRUE(all.ok()) << all.status();
  std::vector<std::string> ids;
  for (const RolloutRecord& r : *all) ids.push_back(r.spec.id);
  EXPECT_THAT(ids, ElementsAre("r-000003", "r-000002", "r-000004", "r-000001"));
  ExpectRolloutEq((*all)[0], SampleRollout("r-000003", 300));
}

TEST_F(SqliteStoreTest, ThousandHostRolloutSavesAndReloadsEqual) {
  RolloutRecord r = SampleRollout("r-000042", 1700000000);
  r.spec.hosts.clear();
  r.state.hosts.clear();
  for (int i = 0; i < 1000; ++i) {
    std::string name = absl::StrCat("mx", i, ".example.net");
    r.spec.hosts.push_back(name);
    r.state.hosts[name] = {static_cast<HostPhase>(i % 7), i % 3, absl::StrCat("n-", i),
                           1700000000 + i, i % 10 == 0 ? "NACK: " + kNasty : ""};
  }
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(store_->SaveRollout(r).ok());
  auto saved = std::chrono::steady_clock::now();
  absl::StatusOr<std::optional<RolloutRecord>> got = store_->Rollout(r.spec.id);
  auto loaded = std::chrono::steady_clock::now();
  ASSERT_TRUE(got.ok() && got->has_value());
  ExpectRolloutEq(**got, r);
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  // Informational only: timing varies too much on shared machines to assert.
  std::printf("1000-host rollout: save %lld ms, load %lld ms\n",
              static_cast<long long>(duration_cast<milliseconds>(saved - start).count()),
              static_cast<long long>(duration_cast<milliseconds>(loaded - saved).count()));
}

TEST_F(SqliteStoreTest, ResultsRoundTripNewestFirst) {
  HostResult r1{"r-000001", "mx1", "n-1", ApplyOutcome::kApplied, "apply", "", "--- a\n+++ b\n",
                "b1",       "c1",  100};
  HostResult r2{"r-000001", "mx2", "n-2", ApplyOutcome::kRolledBack, "probe", "still relays", "",
                "b2",       "",    200};
  HostResult r3{"",   "mx1", "n-3", ApplyOutcome::kApplied, "apply", "", "",
                "b3", "c3",  100};  // same `at`
  HostResult r4{"r-000002", "mx1", "n-4", ApplyOutcome::kApplied, "apply", "", "", "b4", "c4", 50};
  for (const auto& r : {r1, r2, r3, r4}) ASSERT_TRUE(store_->AddResult(r).ok());

  absl::StatusOr<std::vector<HostResult>> of_rollout = store_->ResultsForRollout("r-000001");
  ASSERT_TRUE(of_rollout.ok()) << of_rollout.status();
  EXPECT_THAT(*of_rollout, ElementsAre(r2, r1));

  absl::StatusOr<std::vector<HostResult>> of_host = store_->ResultsForHost("mx1", 10);
  ASSERT_TRUE(of_host.ok()) << of_host.status();
  EXPECT_THAT(*of_host, ElementsAre(r3, r1, r4));  // equal `at`: the later insert first
  of_host = store_->ResultsForHost("mx1", 2);
  ASSERT_TRUE(of_host.ok());
  EXPECT_THAT(*of_host, ElementsAre(r3, r1));
  of_host = store_->ResultsForHost("nobody", 10);
  ASSERT_TRUE(of_host.ok());
  EXPECT_TRUE(of_host->empty());
}

TEST_F(SqliteStoreTest, AuditReturnsIdsAndListsNewestFirst) {
  AuditEntry a{0, 100, "op-alice", "rollout start", "r-000001", "ok", "CHG-1042"};
  AuditEntry b{0, 300, "op-bob", "rollback", "host mx1", "ok", "INC-77 bounces"};
  AuditEntry c{0, 200, "op-alice", "rollout abort", "r-000001", "not running", ""};
  absl::StatusOr<int64_t> ida = store_->Audit(a);
  absl::StatusOr<int64_t> idb = store_->Audit(b);
  absl::StatusOr<int64_t> idc = store_->Audit(c);
  ASSERT_TRUE(ida.ok() && idb.ok() && idc.ok());
  EXPECT_LT(*ida, *idb);
  EXPECT_LT(*idb, *idc);
  a.id = *ida;
  b.id = *idb;
  c.id = *idc;
  absl::StatusOr<std::vector<AuditEntry>> log = store_->AuditLog(10);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_THAT(*log, ElementsAre(b, c, a));
  log = store_->AuditLog(1);
  ASSERT_TRUE(log.ok());
  EXPECT_THAT(*log, ElementsAre(b));
}

TEST_F(SqliteStoreTest, StringsWithQuotesNewlinesAndUnicodeSurvive) {
  HostRecord host{kNasty, {{kNasty, kNasty}, {"ключ", "値"}}, kNasty, kNasty, kNasty, 1, kNasty, 1};
  ASSERT_TRUE(store_->UpsertHost(host).ok());
  absl::StatusOr<std::optional<HostRecord>> got = store_->Host(kNasty);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, host);

  PolicyVersionRecord policy{kNasty, 1, kNasty + "\nrules: ['a', \"b\"]\n", 5};
  ASSERT_TRUE(store_->PutPolicyVersion(policy).ok());
  EXPECT_TRUE(store_->PutPolicyVersion(policy).ok());
  absl::StatusOr<std::optional<PolicyVersionRecord>> p = store_->PolicyVersion(kNasty, 1);
  ASSERT_TRUE(p.ok() && p->has_value());
  EXPECT_EQ(**p, policy);

  RolloutRecord r = SampleRollout(kNasty, 1);
  r.spec.policy = kNasty;
  r.spec.hosts = {kNasty, "mx1"};
  r.state.hosts = {{kNasty, {HostPhase::kFailed, 0, kNasty, 3, kNasty}}};
  r.state.halt_reason = kNasty;
  r.created_by = kNasty;
  r.reason = kNasty;
  ASSERT_TRUE(store_->SaveRollout(r).ok());
  absl::StatusOr<std::optional<RolloutRecord>> gr = store_->Rollout(kNasty);
  ASSERT_TRUE(gr.ok() && gr->has_value());
  ExpectRolloutEq(**gr, r);

  HostResult result{kNasty, kNasty, kNasty, ApplyOutcome::kRefused, kNasty, kNasty, kNasty,
                    kNasty, kNasty, 9};
  ASSERT_TRUE(store_->AddResult(result).ok());
  absl::StatusOr<std::vector<HostResult>> results = store_->ResultsForHost(kNasty, 5);
  ASSERT_TRUE(results.ok());
  EXPECT_THAT(*results, ElementsAre(result));

  AuditEntry entry{0, 1, kNasty, kNasty, kNasty, kNasty, kNasty};
  absl::StatusOr<int64_t> id = store_->Audit(entry);
  ASSERT_TRUE(id.ok());
  entry.id = *id;
  absl::StatusOr<std::vector<AuditEntry>> log = store_->AuditLog(5);
  ASSERT_TRUE(log.ok());
  EXPECT_THAT(*log, ElementsAre(entry));
}

TEST_F(SqliteStoreTest, ReopenKeepsDataAndIds) {
  HostRecord host{"mx1", {{"site", "fra1"}}, "postfix", "3.7", "p", 2, "h", 5};
  ASSERT_TRUE(store_->UpsertHost(host).ok());
  PolicyVersionRecord policy{"p", 2, "yaml", 3};
  ASSERT_TRUE(store_->PutPolicyVersion(policy).ok());
  RolloutRecord rollout = SampleRollout(*store_->NextRolloutId(), 10);
  ASSERT_TRUE(store_->SaveRollout(rollout).ok());
  HostResult result{
      rollout.spec.id, "mx1", "n-1", ApplyOutcome::kApplied, "apply", "", "", "b", "c", 11};
  ASSERT_TRUE(store_->AddResult(result).ok());
  AuditEntry entry{0, 12, "op", "rollout start", rollout.spec.id, "ok", "why"};
  entry.id = *store_->Audit(entry);

  Reopen();
  EXPECT_EQ(store_->SchemaVersion(), 9);
  EXPECT_THAT(*store_->Hosts(), ElementsAre(host));
  EXPECT_THAT(*store_->LatestPolicies(), ElementsAre(policy));
  absl::StatusOr<std::optional<RolloutRecord>> got = store_->Rollout(rollout.spec.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  ExpectRolloutEq(**got, rollout);
  EXPECT_THAT(*store_->ResultsForRollout(rollout.spec.id), ElementsAre(result));
  EXPECT_THAT(*store_->AuditLog(10), ElementsAre(entry));
  EXPECT_EQ(*store_->NextRolloutId(), "r-000002");
  absl::StatusOr<int64_t> next_audit = store_->Audit(entry);
  ASSERT_TRUE(next_audit.ok());
  EXPECT_GT(*next_audit, entry.id);
}

TEST_F(SqliteStoreTest, ReopenAppliesNoMigrationAgain) {
  store_.reset();
  {
    // Mark the recorded migrations so a re-application would show.
    RawDb raw(path_);
    raw.Exec("UPDATE schema_migrations SET applied_at = 42");
  }
  Reopen();
  EXPECT_EQ(store_->SchemaVersion(), 9);
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("SELECT COUNT(*) FROM schema_migrations"), "9");
  EXPECT_EQ(raw.Query("SELECT COUNT(*) FROM schema_migrations WHERE applied_at = 42"), "9");
}

TEST_F(SqliteStoreTest, DatabaseAtVersionOneIsMigratedToTheNewest) {
  ASSERT_TRUE(
      store_->AddResult({"", "mx1", "n", ApplyOutcome::kApplied, "apply", "", "", "", "", 1}).ok());
  store_.reset();
  {
    // What a controller that knew only migration 1 would have left behind.
    RawDb raw(path_);
    raw.Exec("DROP INDEX results_host_at; DROP INDEX results_rollout_host_at; "
             "DROP TABLE compliance_checks; DROP TABLE enforce_holds; "
             "ALTER TABLE audit DROP COLUMN reason; ALTER TABLE rollouts DROP COLUMN reason; "
             "DROP TABLE sessions; DROP TABLE users; DROP TABLE attempts; "
             "DROP TABLE attempt_reports; DROP TABLE pending_rollbacks; "
             "DELETE FROM schema_migrations WHERE version >= 2");
    EXPECT_EQ(raw.Query("SELECT MAX(version) FROM schema_migrations"), "1");
    EXPECT_EQ(raw.Query("SELECT name FROM sqlite_master WHERE name = 'results_host_at'"), "");
  }
  Reopen();
  EXPECT_EQ(store_->SchemaVersion(), 9);
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("SELECT MAX(version) FROM schema_migrations"), "9");
  EXPECT_EQ(raw.Query("SELECT name FROM sqlite_master WHERE name = 'results_host_at'"),
            "results_host_at");
  EXPECT_EQ(raw.Query("SELECT name FROM sqlite_master WHERE name = 'results_rollout_host_at'"),
            "results_rollout_host_at");
  absl::StatusOr<std::vector<HostResult>> results = store_->ResultsForHost("mx1", 10);
  ASSERT_TRUE(results.ok());
  EXPECT_EQ(results->size(), 1u);
}

TEST_F(SqliteStoreTest, FirstChangeInRolloutIsTheEarliestAppliedResultOfThatHost) {
  ASSERT_TRUE(
      store_->AddResult({"r-000001", "mx1", "n1", ApplyOutcome::kUnchanged, "", "", "", "", "", 5})
          .ok());
  ASSERT_TRUE(store_
                  ->AddResult({"r-000001", "mx1", "n2", ApplyOutcome::kApplied, "", "", "",
                               "before1", "c1", 6})
                  .ok());
  ASSERT_TRUE(
      store_->AddResult({"r-000001", "mx1", "n3", ApplyOutcome::kRestored, "", "", "", "", "c2", 7})
          .ok());
  ASSERT_TRUE(store_
                  ->AddResult({"r-000001", "mx1", "n4", ApplyOutcome::kApplied, "", "", "",
                               "before2", "c3", 8})
                  .ok());
  ASSERT_TRUE(store_
                  ->AddResult({"r-000002", "mx2", "n5", ApplyOutcome::kApplied, "", "", "", "other",
                               "c4", 9})
                  .ok());
  auto first = store_->FirstChangeInRollout("r-000001", "mx1");
  ASSERT_TRUE(first.ok() && first->has_value()) << first.status();
  EXPECT_EQ((*first)->backup_commit, "before1");
  auto none = store_->FirstChangeInRollout("r-000001", "mx2");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_F(SqliteStoreTest, DatabaseFromANewerControllerIsRefused) {
  store_.reset();
  {
    RawDb raw(path_);
    raw.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)");
  }
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
  EXPECT_THAT(store.status().message(), HasSubstr("newer"));
}

TEST_F(SqliteStoreTest, MissingDirectoryGivesAnErrorNamingThePath) {
  std::string bad = dir_ + "/no-such-dir/controller.db";
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(bad);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr(bad));
  EXPECT_THAT(store.status().message(), HasSubstr("opening"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/no-such-dir"));
}

TEST(SqliteStoreProgressTest, SavesOnlyTheChangedHostsAndTheStatus) {
  char tmpl[] = "/tmp/rg-store-progress.XXXXXX";
  std::string dir = mkdtemp(tmpl);
  auto store = SqliteStore::Open(dir + "/c.db");
  ASSERT_TRUE(store.ok()) << store.status();
  RolloutRecord r;
  r.spec.id = "r-000001";
  r.spec.policy = "p";
  r.spec.version = 1;
  r.spec.hosts = {"a", "b"};
  r.spec.waves = {WaveSize{true, 100}};
  r.state.hosts["a"] = HostProgress{HostPhase::kPushed, 0, "r-000001-1", 5, ""};
  r.state.hosts["b"] = HostProgress{HostPhase::kPushed, 0, "r-000001-2", 5, ""};
  ASSERT_TRUE((*store)->SaveRollout(r).ok());
  r.state.hosts["a"].phase = HostPhase::kSucceeded;
  r.state.status = RolloutStatus::kSucceeded;
  ASSERT_TRUE((*store)->SaveRolloutProgress(r.spec.id, r.state, 7, {"a"}).ok());
  auto back = (*store)->Rollout("r-000001");
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_EQ((*back)->state, r.state);
  EXPECT_FALSE((*store)->SaveRolloutProgress("r-000009", RolloutState{}, 7, {}).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace relayguard::controller
