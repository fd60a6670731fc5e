// SqliteStore's dashboard users and sessions (schema migration 7): round trips, AlreadyExists and
// NotFound, a removed user's sessions going with it, expiry, and an unknown role read back.
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
  EXPECT_THAT(*users, ElementsAre(SampleUser("alice", Role::kViewer),
                                  SampleUser("bob", Role::kOperator),
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

}  // namespace
}  // namespace relayguard::controller
