// SqliteStore's dashboard users and sessions (schema migration 7): round trips, AlreadyExists and
// NotFound, a removed user's sessions going with it, expiry, a password change ending sessions
// in one transaction, a new session pruning the user's ended and oldest ones, and an unknown
// role read back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "controller/store/sqlite_store.h"
#include "tests/controller/store/store_test_fixture.h"

namespace relayguard::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

UserRecord SampleUser(const std::string& name, Role role) {
  return UserRecord{name, role, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", 1700000000,
                    1700000100};
}

SessionRecord SampleSession(const std::string& hash, const std::string& user, int64_t expires) {
  return SessionRecord{hash, user, "csrf-" + hash, 1700000000, expires, 1700000050};
}

using SqliteStoreUsersTest = SqliteStoreTest;

TEST_F(SqliteStoreUsersTest, UsersRoundTripOrderedByName) {
  ASSERT_TRUE(store_->PutUser(SampleUser("carol", Role::kAdmin)).ok());
  ASSERT_TRUE(store_->PutUser(SampleUser("alice", Role::kViewer)).ok());
  ASSERT_TRUE(store_->PutUser(SampleUser("bob", Role::kOperator)).ok());
  Reopen();
  absl::StatusOr<std::vector<UserRecord>> users = store_->Users();
  ASSERT_TRUE(users.ok()) << users.status();
  EXPECT_THAT(*users,
              ElementsAre(SampleUser("alice", Role::kViewer), SampleUser("bob", Role::kOperator),
                          SampleUser("carol", Role::kAdmin)));
  absl::StatusOr<std::optional<UserRecord>> bob = store_->User("bob");
  ASSERT_TRUE(bob.ok()) << bob.status();
  EXPECT_EQ(*bob, SampleUser("bob", Role::kOperator));
  EXPECT_EQ(*store_->User("nobody"), std::nullopt);
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("SELECT role FROM users WHERE name = 'bob'"), "operator");
}

TEST_F(SqliteStoreUsersTest, PuttingAnExistingUserIsAlreadyExistsAndKeepsTheStoredOne) {
  ASSERT_TRUE(store_->PutUser(SampleUser("alice", Role::kViewer)).ok());
  UserRecord other = SampleUser("alice", Role::kAdmin);
  other.password_hash = "other";
  absl::Status again = store_->PutUser(other);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.message(), HasSubstr("user alice already exists"));
  EXPECT_EQ(*store_->User("alice"), SampleUser("alice", Role::kViewer));
}

TEST_F(SqliteStoreUsersTest, UpdateReplacesEveryFieldOrIsNotFound) {
  ASSERT_TRUE(store_->PutUser(SampleUser("alice", Role::kViewer)).ok());
  UserRecord changed{"alice", Role::kOperator, "new-hash", 1700000000, 1700009999};
  ASSERT_TRUE(store_->UpdateUser(changed).ok());
  EXPECT_EQ(*store_->User("alice"), changed);
  absl::Status missing = store_->UpdateUser(SampleUser("nobody", Role::kAdmin));
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(), HasSubstr("no user nobody"));
  EXPECT_EQ(store_->Users()->size(), 1u);
}

TEST_F(SqliteStoreUsersTest, DeletingAUserDeletesItsSessionsOnly) {
  ASSERT_TRUE(store_->PutUser(SampleUser("alice", Role::kViewer)).ok());
  ASSERT_TRUE(store_->PutUser(SampleUser("bob", Role::kViewer)).ok());
  ASSERT_TRUE(store_->PutSession(SampleSession("a1", "alice", 1700043200)).ok());
  ASSERT_TRUE(store_->PutSession(SampleSession("a2", "alice", 1700043200)).ok());
  ASSERT_TRUE(store_->PutSession(SampleSession("b1", "bob", 1700043200)).ok());
  ASSERT_TRUE(store_->DeleteUser("alice").ok());
  EXPECT_EQ(*store_->User("alice"), std::nullopt);
  EXPECT_EQ(*store_->Session("a1"), std::nullopt);
  EXPECT_EQ(*store_->Session("a2"), std::nullopt);
  EXPECT_EQ(*store_->Session("b1"), SampleSession("b1", "bob", 1700043200));
  absl::Status again = store_->DeleteUser("alice");
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(again.message(), HasSubstr("nothing was changed"));
}

TEST_F(SqliteStoreUsersTest, SessionsRoundTripTouchAndDelete) {
  ASSERT_TRUE(store_->PutUser(SampleUser("alice", Role::kViewer)).ok());
  const SessionRecord s = SampleSession("0123abcd", "alice", 1700043200);
  ASSERT_TRUE(store_->PutSession(s).ok());
  Reopen();
  EXPECT_EQ(*store_->Session("0123abcd"), s);
  EXPECT_EQ(store_->PutSession(s).code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(store_->TouchSession("0123abcd", 1700000777).ok());
  SessionRecord touched = s;
  touched.last_seen = 1700000777;
  EXPECT_EQ(*store_->Session("0123abcd"), touched);
  EXPECT_EQ(store_->TouchSession("ffff", 1).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*store_->DeleteSession("0123abcd"), 1);
  EXPECT_EQ(*store_->DeleteSession("0123abcd"), 0);
  EXPECT_EQ(*store_->Session("0123abcd"), std::nullopt);
}

TEST_F(SqliteStoreUsersTest, ASessionNeedsItsUser) {
  absl::Status s = store_->PutSession(SampleSession("aa", "ghost", 1700043200));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("user ghost"));
  EXPECT_EQ(*store_->Session("aa"), std::nullopt);
}

TEST_F(SqliteStoreUsersTest, DeleteSessionsOfAndDeleteExpiredSessions) {
  ASSERT_TRUE(store_->PutUser(SampleUser("alice", Role::kViewer)).ok());
  ASSERT_TRUE(store_->PutUser(SampleUser("bob", Role::kViewer)).ok());
  ASSERT_TRUE(store_->PutSession(SampleSession("a1", "alice", 100)).ok());
  ASSERT_TRUE(store_->PutSession(SampleSession("a2", "alice", 200)).ok());
  ASSERT_TRUE(store_->PutSession(SampleSession("b1", "bob", 150)).ok());
  ASSERT_TRUE(store_->PutSession(SampleSession("b2", "bob", 300)).ok());
  EXPECT_EQ(*store_->DeleteExpiredSessions(150), 2);  // a1 (100) and b1 (150)
  EXPECT_EQ(*store_->Session("a1"), std::nullopt);
  EXPECT_EQ(*store_->Session("b1"), std::nullopt);
  EXPECT_NE(*store_->Session("a2"), std::nullopt);
  EXPECT_EQ(*store_->DeleteSessionsOf("bob"), 1);
  EXPECT_EQ(*store_->Session("b2"), std::nullopt);
  EXPECT_NE(*store_->Session("a2"), std::nullopt);
  EXPECT_EQ(*store_->DeleteSessionsOf("bob"), 0);
}

TEST_F(SqliteStoreUsersTest, AnUnknownRoleIsAnErrorNamingTheRow) {
  ASSERT_TRUE(store_->PutUser(SampleUser("alice", Role::kViewer)).ok());
  RawDb(path_).Exec("UPDATE users SET role = 'emperor' WHERE name = 'alice'");
  absl::StatusOr<std::optional<UserRecord>> user = store_->User("alice");
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(user.status().message(), HasSubstr("table users, row alice"));
  EXPECT_THAT(user.status().message(), HasSubstr("unknown role \"emperor\""));
  EXPECT_THAT(user.status().message(), HasSubstr(path_));
  EXPECT_FALSE(store_->Users().ok());
}

TEST_F(SqliteStoreUsersTest, ChangePasswordEndsTheUsersSessionsInOneTransaction) {
  ASSERT_TRUE(store_->PutUser(SampleUser("alice", Role::kOperator)).ok());
  ASSERT_TRUE(store_->PutUser(SampleUser("bob", Role::kViewer)).ok());
  ASSERT_TRUE(store_->PutSession(SampleSession("a1", "alice", 1700043200)).ok());
  ASSERT_TRUE(store_->PutSession(SampleSession("b1", "bob", 1700043200)).ok());
  // A failure ending the sessions leaves the old password (and the sessions) in place.
  RawDb raw(path_);
  raw.FailEvery("DELETE", "sessions", "injected failure");
  absl::StatusOr<UserRecord> failed = store_->ChangePassword("alice", "new-hash", 1700005555);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(failed.status().message(), HasSubstr("injected failure"));
  EXPECT_EQ(*store_->User("alice"), SampleUser("alice", Role::kOperator));
  EXPECT_NE(*store_->Session("a1"), std::nullopt);
  raw.StopFailing("DELETE", "sessions");

  absl::StatusOr<UserRecord> changed = store_->ChangePassword("alice", "new-hash", 1700005555);
  ASSERT_TRUE(changed.ok()) << changed.status();
  UserRecord expected = SampleUser("alice", Role::kOperator);
  expected.password_hash = "new-hash";
  expected.password_changed_at = 1700005555;
  EXPECT_EQ(*changed, expected);
  EXPECT_EQ(*store_->User("alice"), expected);
  EXPECT_EQ(*store_->Session("a1"), std::nullopt);
  EXPECT_NE(*store_->Session("b1"), std::nullopt);
  absl::StatusOr<UserRecord> missing = store_->ChangePassword("nobody", "h", 1);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("nothing was changed"));
}

SessionRecord SessionAt(const std::string& hash, const std::string& user, int64_t created,
                        int64_t last_seen) {
  return SessionRecord{hash, user, "csrf-" + hash, created, created + 43200, last_seen};
}

TEST_F(SqliteStoreUsersTest, OpenSessionRemovesTheUsersEndedAndOldestSessions) {
  ASSERT_TRUE(store_->PutUser(SampleUser("alice", Role::kViewer)).ok());
  ASSERT_TRUE(store_->PutUser(SampleUser("bob", Role::kViewer)).ok());
  const int64_t now = 1700050000;
  ASSERT_TRUE(store_->PutSession(SessionAt("expired", "bob", now - 43200, now - 10)).ok());
  ASSERT_TRUE(store_->PutSession(SessionAt("bob-idle", "bob", now - 5000, now - 4000)).ok());
  ASSERT_TRUE(store_->PutSession(SessionAt("a-idle", "alice", now - 5000, now - 1801)).ok());
  ASSERT_TRUE(store_->PutSession(SessionAt("a-old", "alice", now - 40000, now - 5)).ok());
  for (int i = 0; i < 4; ++i) {
    const std::string hash = "a" + std::to_string(i);
    ASSERT_TRUE(store_->PutSession(SessionAt(hash, "alice", now - 100 + i, now - 5)).ok());
  }
  // At most 3 sessions of alice's, and the cleanup of a 30000 s maximum age, 1800 s idle.
  const SessionCleanup cleanup{now, now - 30000, now - 1800, 3};
  absl::StatusOr<int> removed = store_->OpenSession(SessionAt("new", "alice", now, now), cleanup);
  ASSERT_TRUE(removed.ok()) << removed.status();
  // Every expired session, alice's idle one, her too old one, and her oldest beyond 3 - 1.
  EXPECT_EQ(*removed, 5);
  for (const char* gone : {"expired", "a-idle", "a-old", "a0", "a1"}) {
    EXPECT_EQ(*store_->Session(gone), std::nullopt) << gone;
  }
  for (const char* kept : {"bob-idle", "a2", "a3", "new"}) {
    EXPECT_NE(*store_->Session(kept), std::nullopt) << kept;
  }
  // A session that cannot be inserted removes nothing either.
  absl::StatusOr<int> again = store_->OpenSession(SessionAt("new", "alice", now, now), cleanup);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(*store_->Session("a2"), std::nullopt);
  EXPECT_EQ(RawDb(path_).Query("SELECT COUNT(*) FROM sessions WHERE user = 'alice'"), "3");
  absl::StatusOr<int> ghost = store_->OpenSession(SessionAt("g", "ghost", now, now), cleanup);
  EXPECT_EQ(ghost.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace relayguard::controller
