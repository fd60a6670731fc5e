// Compliance checks and enforcement holds in the real SQLite store (controller/store/
// sqlite_store_compliance.cc), on a fresh file per test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/controller/store/store_test_fixture.h"

namespace relayguard::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Bytes that are not text: a serialized report may hold NULs and any byte value.
const std::string kReportBytes = std::string("\x08\x07\x12\x00\xff\xfe binary\n", 14);

ComplianceCheckRecord Check(const std::string& host, uint64_t seq, int64_t checked_at,
                            const std::string& status = "compliant",
                            const std::string& enforcement = "") {
  ComplianceCheckRecord c;
  c.host = host;
  c.seq = seq;
  c.policy = "no-open-relay";
  c.version = 2;
  c.mode = ComplianceMode::kEnforce;
  c.status = *ParseComplianceStatus(status);
  c.checked_at = checked_at;
  c.received_at = checked_at + 100;
  c.summary = status + " at " + std::to_string(checked_at);
  c.enforcement = *ParseEnforcement(enforcement);
  c.error = "";
  c.report = kReportBytes + host + std::to_string(seq);
  return c;
}

std::vector<uint64_t> Seqs(const std::vector<ComplianceCheckRecord>& checks) {
  std::vector<uint64_t> out;
  for (const ComplianceCheckRecord& c : checks) out.push_back(c.seq);
  return out;
}

std::vector<std::string> HostsOf(const std::vector<ComplianceCheckRecord>& checks) {
  std::vector<std::string> out;
  for (const ComplianceCheckRecord& c : checks) out.push_back(c.host);
  return out;
}

using ComplianceStoreTest = SqliteStoreTest;

TEST_F(ComplianceStoreTest, ACheckRoundTripsWithItsReportBytes) {
  ComplianceCheckRecord c = Check("mx1", 7, 1700000000, "relay-open", "rolled-back");
  c.error = "it's \"quoted\"\nline 2";
  c.seq = 0xfffffffffffffff0ull >> 1;  // large, still positive as SQLite's signed integer
  c.version = 0xffffffffffffffffull;   // round-trips by bit pattern
  absl::StatusOr<bool> added = store_->AddComplianceCheck(c);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_TRUE(*added);
  Reopen();
  absl::StatusOr<std::vector<ComplianceCheckRecord>> history = store_->ComplianceHistory("mx1", 10);
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0], c);
  EXPECT_EQ((*history)[0].report.size(), c.report.size());
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("SELECT typeof(report) FROM compliance_checks"), "blob");
}

TEST_F(ComplianceStoreTest, AReSentCheckIsStoredOnceAndTheFirstCopyKept) {
  ComplianceCheckRecord first = Check("mx1", 3, 100, "drifted");
  ASSERT_TRUE(*store_->AddComplianceCheck(first));
  ComplianceCheckRecord again = first;
  again.received_at = 999;  // the re-send arrives later
  again.summary = "different text under the same seq";
  absl::StatusOr<bool> added = store_->AddComplianceCheck(again);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_FALSE(*added);
  EXPECT_THAT(*store_->ComplianceHistory("mx1", 10), ElementsAre(first));
  // The same seq from another host is another check.
  EXPECT_TRUE(*store_->AddComplianceCheck(Check("mx2", 3, 100)));
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("SELECT COUNT(*) FROM compliance_checks"), "2");
}

TEST_F(ComplianceStoreTest, LatestIsTheNewestCheckPerHostByCheckedAtThenSeq) {
  // mx1's reports arrive out of order: seq 5 (older check) after seq 6.
  ASSERT_TRUE(*store_->AddComplianceCheck(Check("mx1", 6, 300, "relay-open")));
  ASSERT_TRUE(*store_->AddComplianceCheck(Check("mx1", 5, 200, "compliant")));
  // mx2: two checks in the same second; the higher seq is the newer.
  ASSERT_TRUE(*store_->AddComplianceCheck(Check("mx2", 1, 400, "drifted")));
  ASSERT_TRUE(*store_->AddComplianceCheck(Check("mx2", 2, 400, "compliant")));
  ASSERT_TRUE(*store_->AddComplianceCheck(Check("a-host", 9, 50, "error")));
  absl::StatusOr<std::vector<ComplianceCheckRecord>> latest = store_->LatestCompliance();
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_THAT(HostsOf(*latest), ElementsAre("a-host", "mx1", "mx2"));
  EXPECT_THAT(Seqs(*latest), ElementsAre(9u, 6u, 2u));
  EXPECT_EQ((*latest)[1].status, ComplianceStatus::kRelayOpen);
  EXPECT_EQ((*latest)[1], Check("mx1", 6, 300, "relay-open"));
}

TEST_F(ComplianceStoreTest, LatestOfAnEmptyStoreIsEmpty) {
  absl::StatusOr<std::vector<ComplianceCheckRecord>> latest = store_->LatestCompliance();
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_THAT(*latest, IsEmpty());
}

TEST_F(ComplianceStoreTest, HistoryIsNewestFirstPerHostOrForAllAndHonoursTheLimit) {
  ASSERT_TRUE(*store_->AddComplianceCheck(Check("mx1", 2, 200)));
  ASSERT_TRUE(*store_->AddComplianceCheck(Check("mx1", 1, 100)));
  ASSERT_TRUE(*store_->AddComplianceCheck(Check("mx1", 3, 300)));
  ASSERT_TRUE(*store_->AddComplianceCheck(Check("mx2", 1, 250)));
  EXPECT_THAT(Seqs(*store_->ComplianceHistory("mx1", 10)), ElementsAre(3u, 2u, 1u));
  EXPECT_THAT(Seqs(*store_->ComplianceHistory("mx1", 2)), ElementsAre(3u, 2u));
  absl::StatusOr<std::vector<ComplianceCheckRecord>> all = store_->ComplianceHistory("", 10);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(HostsOf(*all), ElementsAre("mx1", "mx2", "mx1", "mx1"));
  EXPECT_THAT(Seqs(*all), ElementsAre(3u, 1u, 2u, 1u));
  EXPECT_THAT(*store_->ComplianceHistory("nobody", 10), IsEmpty());
}

TEST_F(ComplianceStoreTest, OnlyTheNewestChecksPerHostAreKept) {
  store_->set_compliance_checks_per_host(30);
  for (uint64_t seq = 1; seq <= 250; ++seq) {
    ASSERT_TRUE(*store_->AddComplianceCheck(Check("mx1", seq, 1000 + seq)));
  }
  ASSERT_TRUE(*store_->AddComplianceCheck(Check("mx2", 1, 5000)));
  // Pruned at seq 100 and 200: mx1 keeps its 30 newest then, plus what came after.
  std::vector<ComplianceCheckRecord> mx1 = *store_->ComplianceHistory("mx1", 1000);
  ASSERT_EQ(mx1.size(), 30u + 50u);
  EXPECT_EQ(mx1.front().seq, 250u);
  EXPECT_EQ(mx1.back().seq, 171u);
  EXPECT_EQ(store_->ComplianceHistory("mx2", 1000)->size(), 1u);  // other hosts untouched
}

TEST_F(ComplianceStoreTest, EnforceFailedHostsCountsDistinctHostsOfThatVersionOnly) {
  ASSERT_TRUE(*store_->AddComplianceCheck(Check("mx2", 1, 10, "drifted", "rolled-back")));
  ASSERT_TRUE(*store_->AddComplianceCheck(Check("mx2", 2, 20, "drifted", "rolled-back")));
  ASSERT_TRUE(*store_->AddComplianceCheck(Check("mx1", 1, 10, "relay-open", "rollback-failed")));
  ASSERT_TRUE(*store_->AddComplianceCheck(Check("mx3", 1, 10, "drifted", "applied")));
  ASSERT_TRUE(*store_->AddComplianceCheck(Check("mx4", 1, 10, "drifted", "suspended")));
  ComplianceCheckRecord other_version = Check("mx5", 1, 10, "drifted", "rolled-back");
  other_version.version = 1;
  ASSERT_TRUE(*store_->AddComplianceCheck(other_version));
  ComplianceCheckRecord other_policy = Check("mx6", 1, 10, "drifted", "rolled-back");
  other_policy.policy = "require-auth";
  ASSERT_TRUE(*store_->AddComplianceCheck(other_policy));
  absl::StatusOr<std::vector<std::string>> failed = store_->EnforceFailedHosts("no-open-relay", 2);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_THAT(*failed, ElementsAre("mx1", "mx2"));
  EXPECT_THAT(*store_->EnforceFailedHosts("no-open-relay", 1), ElementsAre("mx5"));
  EXPECT_THAT(*store_->EnforceFailedHosts("no-open-relay", 3), IsEmpty());
}

TEST_F(ComplianceStoreTest, AHoldIsPutOnceAndListedByPolicyAndVersion) {
  EnforceHoldRecord hold{"no-open-relay", 2, "3 hosts failed to enforce no-open-relay v2", 500};
  absl::StatusOr<bool> put = store_->PutEnforceHold(hold);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_TRUE(*put);
  EnforceHoldRecord again = hold;
  again.reason = "a later, different reason";
  again.at = 900;
  EXPECT_FALSE(*store_->PutEnforceHold(again));
  ASSERT_TRUE(*store_->PutEnforceHold({"no-open-relay", 1, "older", 100}));
  ASSERT_TRUE(*store_->PutEnforceHold({"a-policy", 7, "other", 200}));
  Reopen();
  absl::StatusOr<std::vector<EnforceHoldRecord>> holds = store_->EnforceHolds();
  ASSERT_TRUE(holds.ok()) << holds.status();
  EXPECT_THAT(*holds, ElementsAre(EnforceHoldRecord{"a-policy", 7, "other", 200},
                                  EnforceHoldRecord{"no-open-relay", 1, "older", 100}, hold));
  absl::StatusOr<std::optional<EnforceHoldRecord>> one = store_->EnforceHold("no-open-relay", 2);
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ(**one, hold);
  EXPECT_FALSE(store_->EnforceHold("no-open-relay", 3)->has_value());
}

TEST_F(ComplianceStoreTest, DatabaseAtVersionThreeIsMigratedAndKeepsItsData) {
  HostRecord host;
  host.name = "mx1";
  host.mta = "postfix";
  host.last_seen = 5;
  ASSERT_TRUE(store_->UpsertHost(host).ok());
  ASSERT_TRUE(
      store_->AddResult({"", "mx1", "n", ApplyOutcome::kApplied, "apply", "", "", "", "", 1}).ok());
  store_.reset();
  {
    // What a controller that knew only migrations 1..3 would have left behind.
    RawDb raw(path_);
    raw.Exec("DROP TABLE compliance_checks; DROP TABLE enforce_holds; "
             "ALTER TABLE audit DROP COLUMN reason; ALTER TABLE rollouts DROP COLUMN reason; "
             "DROP TABLE sessions; DROP TABLE users; DROP TABLE attempts; "
             "DROP TABLE attempt_reports; DROP TABLE pending_rollbacks; "
             "DELETE FROM schema_migrations WHERE version >= 4");
    EXPECT_EQ(raw.Query("SELECT MAX(version) FROM schema_migrations"), "3");
    EXPECT_EQ(raw.Query("SELECT name FROM sqlite_master WHERE name = 'compliance_checks'"), "");
  }
  Reopen();
  EXPECT_EQ(store_->SchemaVersion(), 9);
  {
    RawDb raw(path_);
    EXPECT_EQ(raw.Query("SELECT MAX(version) FROM schema_migrations"), "9");
    EXPECT_EQ(raw.Query("SELECT COUNT(*) FROM sqlite_master WHERE name IN ('compliance_checks', "
                        "'enforce_holds', 'compliance_checks_host_checked', "
                        "'compliance_checks_checked', 'compliance_checks_enforcement')"),
              "5");
  }
  EXPECT_THAT(*store_->Hosts(), ElementsAre(host));
  EXPECT_EQ(store_->ResultsForHost("mx1", 10)->size(), 1u);
  EXPECT_TRUE(*store_->AddComplianceCheck(Check("mx1", 1, 10)));
  EXPECT_FALSE(*store_->AddComplianceCheck(Check("mx1", 1, 10)));
  EXPECT_THAT(Seqs(*store_->LatestCompliance()), ElementsAre(1u));
}

TEST_F(ComplianceStoreTest, AnUnknownStateNameIsAnErrorNamingTheRow) {
  ASSERT_TRUE(*store_->AddComplianceCheck(Check("mx1", 1, 10, "drifted", "applied")));
  store_.reset();
  RawDb(path_).Exec("UPDATE compliance_checks SET enforcement = 'teleported' WHERE host = 'mx1'");
  Reopen();
  absl::StatusOr<std::vector<ComplianceCheckRecord>> history = store_->ComplianceHistory("", 10);
  ASSERT_FALSE(history.ok());
  EXPECT_THAT(history.status().message(), HasSubstr("table compliance_checks, row host mx1 seq 1"));
  EXPECT_THAT(history.status().message(), HasSubstr("unknown enforcement \"teleported\""));
}

}  // namespace
}  // namespace relayguard::controller
