// The store opens a database written by the code before schema 5 (enums stored as integer
// positions, tests/data/store/controller-schema4.sqlite) and reads every row back with the right
// states; a name it does not know is an error naming the table, the row and the value. Schema 6
// gives the audit log and the rollouts a reason, '' for the rows written before. Schema 7 adds the
// dashboard's users and sessions, empty, and they work beside the old rows.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/store/sqlite_store.h"
#include "tests/controller/store/store_test_fixture.h"

namespace relayguard::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const char kFixture[] = RG_SOURCE_DIR "/tests/data/store/controller-schema4.sqlite";

class SchemaFourMigrationTest : public SqliteStoreTest {
 protected:
  void PrepareFile() override {
    std::filesystem::copy_file(kFixture, path_);
    RawDb raw(path_);
    ASSERT_EQ(raw.Query("SELECT MAX(version) FROM schema_migrations"), "4");
    ASSERT_EQ(raw.Query("SELECT status FROM rollouts WHERE id = 'r-000003'"), "2");
  }
};

constexpr HostPhase kPhases[] = {HostPhase::kWaiting,   HostPhase::kPending,
                                 HostPhase::kPushed,    HostPhase::kSucceeded,
                                 HostPhase::kFailed,    HostPhase::kRollingBack,
                                 HostPhase::kRolledBack};

TEST_F(SchemaFourMigrationTest, EveryRolloutReadsBackWithItsStatusAndPhases) {
  EXPECT_EQ(store_->SchemaVersion(), 9);
  const RolloutStatus statuses[] = {RolloutStatus::kRunning, RolloutStatus::kPaused,
                                    RolloutStatus::kHalted, RolloutStatus::kAborted,
                                    RolloutStatus::kSucceeded};
  for (int r = 0; r < 5; ++r) {
    const std::string id = "r-00000" + std::to_string(r + 1);
    absl::StatusOr<std::optional<RolloutRecord>> got = store_->Rollout(id);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_TRUE(got->has_value()) << id;
    const RolloutRecord& rollout = **got;
    EXPECT_EQ(rollout.state.status, statuses[r]) << id;
    EXPECT_EQ(rollout.spec.policy, "no-open-relay");
    EXPECT_EQ(rollout.state.next_nonce, 9u);
    ASSERT_EQ(rollout.state.hosts.size(), 7u) << id;
    for (int h = 0; h < 7; ++h) {
      const std::string host = "mx" + std::to_string(h + 1);
      const HostProgress& p = rollout.state.hosts.at(host);
      EXPECT_EQ(p.phase, kPhases[(h + r) % 7]) << id << " " << host;
      EXPECT_EQ(p.nonce, id + "-n" + std::to_string(h));
      EXPECT_EQ(p.wave, h == 0 ? 0 : 1);
    }
  }
  absl::StatusOr<std::vector<RolloutRecord>> all = store_->Rollouts();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 5u);
  EXPECT_EQ(*store_->NextRolloutId(), "r-000006");
}

TEST_F(SchemaFourMigrationTest, StatesAreStoredAsNamesAfterTheMigration) {
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("SELECT MAX(version) FROM schema_migrations"), "9");
  EXPECT_EQ(raw.Query("SELECT status FROM rollouts WHERE id = 'r-000003'"), "halted");
  EXPECT_EQ(raw.Query("SELECT typeof(status) FROM rollouts WHERE id = 'r-000003'"), "text");
  EXPECT_EQ(raw.Query("SELECT phase FROM rollout_hosts WHERE rollout_id = 'r-000001' AND "
                      "host = 'mx6'"),
            "rolling-back");
  EXPECT_EQ(raw.Query("SELECT COUNT(DISTINCT phase) FROM rollout_hosts"), "7");
}

TEST_F(SchemaFourMigrationTest, SavingAfterTheMigrationKeepsNames) {
  absl::StatusOr<std::optional<RolloutRecord>> got = store_->Rollout("r-000001");
  ASSERT_TRUE(got.ok() && got->has_value());
  RolloutRecord rollout = **got;
  rollout.state.status = RolloutStatus::kHalted;
  rollout.state.hosts["mx1"].phase = HostPhase::kRolledBack;
  ASSERT_TRUE(store_->SaveRolloutProgress("r-000001", rollout.state, 99, {"mx1"}).ok());
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("SELECT status FROM rollouts WHERE id = 'r-000001'"), "halted");
  EXPECT_EQ(raw.Query("SELECT phase FROM rollout_hosts WHERE rollout_id = 'r-000001' AND "
                      "host = 'mx1'"),
            "rolled-back");
}

TEST_F(SchemaFourMigrationTest, EveryOtherRowReadsBack) {
  EXPECT_THAT(*store_->Hosts(), ElementsAre(HostRecord{"mx1", {{"site", "fra1"}}, "postfix",
                                                       "3.7.11", "no-open-relay", 2, "abc",
                                                       1700000000}));
  absl::StatusOr<std::vector<HostResult>> results = store_->ResultsForRollout("r-000001");
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 6u);
  // Newest first: restored, rollback-failed, refused, rolled-back, unchanged, applied.
  const ApplyOutcome outcomes[] = {ApplyOutcome::kRestored,  ApplyOutcome::kRollbackFailed,
                                   ApplyOutcome::kRefused,   ApplyOutcome::kRolledBack,
                                   ApplyOutcome::kUnchanged, ApplyOutcome::kApplied};
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ((*results)[i].outcome, outcomes[i]) << i;
  EXPECT_EQ((*results)[5].host, "mx1");
  EXPECT_EQ((*results)[3].phase, "verify");
  absl::StatusOr<std::optional<HostResult>> first = store_->FirstChangeInRollout("r-000001", "mx1");
  ASSERT_TRUE(first.ok() && first->has_value()) << first.status();
  EXPECT_EQ((**first).backup_commit, "b0");
  absl::StatusOr<std::vector<ComplianceCheckRecord>> history = store_->ComplianceHistory("", 100);
  ASSERT_TRUE(history.ok()) << history.status();
  EXPECT_EQ(history->size(), 10u);
  absl::StatusOr<std::vector<std::string>> failed =
      store_->EnforceFailedHosts("no-open-relay", 2);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_THAT(*failed, ElementsAre("mx3", "mx5"));
  absl::StatusOr<std::vector<EnforceHoldRecord>> holds = store_->EnforceHolds();
  ASSERT_TRUE(holds.ok()) << holds.status();
  EXPECT_EQ(holds->size(), 1u);
  EXPECT_EQ(store_->AuditLog(10)->size(), 1u);
}

TEST_F(SchemaFourMigrationTest, OldAuditEntriesAndRolloutsGainAnEmptyReason) {
  {
    RawDb raw(path_);
    EXPECT_EQ(raw.Query("SELECT COUNT(*) FROM audit WHERE reason = ''"), "1");
    EXPECT_EQ(raw.Query("SELECT COUNT(*) FROM rollouts WHERE reason = ''"), "5");
  }
  absl::StatusOr<std::vector<AuditEntry>> log = store_->AuditLog(10);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->size(), 1u);
  const AuditEntry& old = (*log)[0];
  EXPECT_EQ(old.who, "ops");
  EXPECT_EQ(old.action, "rollout start");
  EXPECT_EQ(old.target, "r-000001");
  EXPECT_EQ(old.result, "ok");
  EXPECT_EQ(old.reason, "");
  EXPECT_EQ((**store_->Rollout("r-000002")).reason, "");
  EXPECT_EQ((**store_->Rollout("r-000002")).created_by, "ops");

  // New entries keep their reason beside the old one.
  AuditEntry added{0, 1700009999, "operator-alice", "rollback", "rollout r-000001", "ok",
                   "INC-77 partner mail bounced"};
  absl::StatusOr<int64_t> id = store_->Audit(added);
  ASSERT_TRUE(id.ok()) << id.status();
  added.id = *id;
  log = store_->AuditLog(10);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[0], added);
  EXPECT_EQ((*log)[1].reason, "");
}

TEST_F(SchemaFourMigrationTest, UsersAndSessionsStartEmptyAndWorkBesideTheOldRows) {
  {
    RawDb raw(path_);
    EXPECT_EQ(raw.Query("SELECT COUNT(*) FROM users"), "0");
    EXPECT_EQ(raw.Query("SELECT COUNT(*) FROM sessions"), "0");
  }
  absl::StatusOr<std::vector<UserRecord>> users = store_->Users();
  ASSERT_TRUE(users.ok()) << users.status();
  EXPECT_TRUE(users->empty());
  const UserRecord alice{"alice", Role::kOperator, "$argon2id$v=19$m=19456,t=2,p=1$x$y",
                         1700010000, 1700010000};
  ASSERT_TRUE(store_->PutUser(alice).ok());
  const SessionRecord session{"ab12", "alice", "csrf", 1700010000, 1700053200, 1700010000};
  ASSERT_TRUE(store_->PutSession(session).ok());
  Reopen();
  EXPECT_EQ(store_->SchemaVersion(), 9);
  EXPECT_THAT(*store_->Users(), ElementsAre(alice));
  EXPECT_EQ(*store_->Session("ab12"), session);
  // The old rows are untouched by the new tables.
  EXPECT_EQ(store_->Hosts()->size(), 1u);
  EXPECT_EQ(store_->Rollouts()->size(), 5u);
  EXPECT_EQ(store_->AuditLog(10)->size(), 1u);
}

TEST_F(SchemaFourMigrationTest, AnUnknownNameIsAnErrorNamingTableRowAndValue) {
  store_.reset();
  {
    RawDb raw(path_);
    raw.Exec("UPDATE rollout_hosts SET phase = 'teleported' WHERE rollout_id = 'r-000002' AND "
             "host = 'mx4'");
    raw.Exec("UPDATE rollouts SET status = 'sleeping' WHERE id = 'r-000004'");
  }
  Reopen();
  absl::StatusOr<std::optional<RolloutRecord>> phase = store_->Rollout("r-000002");
  ASSERT_FALSE(phase.ok());
  EXPECT_THAT(phase.status().message(), HasSubstr("table rollout_hosts, row r-000002 host mx4"));
  EXPECT_THAT(phase.status().message(), HasSubstr("\"teleported\""));
  EXPECT_THAT(phase.status().message(), HasSubstr(path_));
  absl::StatusOr<std::optional<RolloutRecord>> status = store_->Rollout("r-000004");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.status().message(), HasSubstr("table rollouts, row r-000004"));
  EXPECT_THAT(status.status().message(), HasSubstr("unknown rollout status \"sleeping\""));
  EXPECT_FALSE(store_->Rollouts().ok());
}

TEST_F(SchemaFourMigrationTest, AnUnknownOutcomeIsAnErrorNamingTheResultRow) {
  store_.reset();
  RawDb(path_).Exec("UPDATE results SET outcome = 'teleported' WHERE host = 'mx1'");
  Reopen();
  absl::StatusOr<std::vector<HostResult>> results = store_->ResultsForHost("mx1", 10);
  ASSERT_FALSE(results.ok());
  EXPECT_THAT(results.status().message(), HasSubstr("table results, row host mx1 nonce "));
  EXPECT_THAT(results.status().message(), HasSubstr("unknown apply outcome \"teleported\""));
}

}  // namespace
}  // namespace relayguard::controller
