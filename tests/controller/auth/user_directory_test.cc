// UserDirectory over a real SqliteStore (temp dir) and a clock the test moves: accounts, logins
// and their limits (also under parallel attempts), session expiry (idle and maximum age), the cap
// on sessions per user, logout, a password change or removal ending sessions (atomically), a
// role change applying at once, store failures told apart from ended sessions, and the audit
// rows (never a password).
#include "controller/auth/user_directory.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "controller/auth/password_hash.h"
#include "controller/auth/tokens.h"
#include "tests/controller/store/store_test_fixture.h"

namespace relayguard::controller {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

// Wall and steady time move together.
class MovingClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override {
    return std::chrono::steady_clock::time_point(std::chrono::seconds(wall - 1700000000 + 5));
  }
  int64_t WallSeconds() override { return wall; }
  void SleepFor(std::chrono::milliseconds) override {}
  void Advance(int64_t s) { wall += s; }
  int64_t wall = 1700000000;
};

const char kAlicePassword[] = "alice's long passphrase";
const char kNewPassword[] = "a brand new passphrase";
const char kLoopback[] = "127.0.0.1";

class UserDirectoryTest : public SqliteStoreTest {
 protected:
  void SetUp() override {
    SqliteStoreTest::SetUp();
    facade_ = std::make_unique<StoreFacade>(*store_, clock_);
    users_ = std::make_unique<UserDirectory>(*facade_, clock_);
    absl::StatusOr<UserRecord> alice =
        users_->AddUser("alice", Role::kOperator, kAlicePassword, "operator-root");
    ASSERT_TRUE(alice.ok()) << alice.status();
  }

  Session LoginAlice(const std::string& password = kAlicePassword) {
    absl::StatusOr<Session> s = users_->Login("alice", password, kLoopback);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : Session{};
  }

  // Every audit row, oldest first, as "who|action|target|result".
  std::vector<std::string> AuditRows() {
    std::vector<std::string> rows;
    absl::StatusOr<std::vector<AuditEntry>> log = store_->AuditLog(1000);
    EXPECT_TRUE(log.ok()) << log.status();
    for (auto it = log->rbegin(); it != log->rend(); ++it) {
      rows.push_back(it->who + "|" + it->action + "|" + it->target + "|" + it->result);
    }
    return rows;
  }

  MovingClock clock_;
  std::unique_ptr<StoreFacade> facade_;
  std::unique_ptr<UserDirectory> users_;
};

TEST_F(UserDirectoryTest, AddUserStoresAnArgon2idHashAndAudits) {
  absl::StatusOr<std::optional<UserRecord>> alice = store_->User("alice");
  ASSERT_TRUE(alice.ok() && alice->has_value());
  EXPECT_EQ((*alice)->role, Role::kOperator);
  EXPECT_EQ((*alice)->created_at, 1700000000);
  EXPECT_THAT((*alice)->password_hash, ::testing::StartsWith("$argon2id$v=19$m=19456,t=2,p=1$"));
  EXPECT_TRUE(VerifyPassword(kAlicePassword, (*alice)->password_hash));
  EXPECT_THAT(AuditRows(),
              ::testing::ElementsAre("operator-root|user add|user alice, role operator|ok"));
}

TEST_F(UserDirectoryTest, AddUserRefusesABadNameOrPasswordOrATakenName) {
  absl::StatusOr<UserRecord> bad_name = users_->AddUser("Bob", Role::kViewer, kNewPassword, "op");
  EXPECT_EQ(bad_name.status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<UserRecord> short_pw = users_->AddUser("bob", Role::kViewer, "short", "op");
  EXPECT_EQ(short_pw.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(short_pw.status().message(), HasSubstr("too short"));
  absl::StatusOr<UserRecord> taken = users_->AddUser("alice", Role::kAdmin, kNewPassword, "op");
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  absl::StatusOr<std::vector<UserRecord>> all = users_->Users();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].role, Role::kOperator);
  EXPECT_TRUE(VerifyPassword(kAlicePassword, (*all)[0].password_hash));
  const std::vector<std::string> rows = AuditRows();
  ASSERT_EQ(rows.size(), 3u);  // the add, the short password, the taken name; not "Bob"
  EXPECT_THAT(rows[1],
              MatchesRegex("op\\|user add\\|user bob, role viewer\\|the password is too short.*"));
  EXPECT_THAT(rows[2], HasSubstr("op|user add|user alice, role admin|user alice already exists"));
}

TEST_F(UserDirectoryTest, LoginStartsASessionWhoseTokenIsStoredOnlyAsItsHash) {
  Session s = LoginAlice();
  EXPECT_EQ(s.user, "alice");
  EXPECT_EQ(s.role, Role::kOperator);
  EXPECT_THAT(s.token, MatchesRegex("[A-Za-z0-9_-]{43}"));
  EXPECT_THAT(s.csrf_token, MatchesRegex("[A-Za-z0-9_-]{43}"));
  EXPECT_NE(s.token, s.csrf_token);
  EXPECT_EQ(s.expires_at, 1700000000 + 43200);
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("SELECT COUNT(*) FROM sessions"), "1");
  EXPECT_EQ(raw.Query("SELECT token_hash FROM sessions"), TokenHash(s.token));
  EXPECT_EQ(raw.Query("SELECT COUNT(*) FROM sessions WHERE token_hash = '" + s.token + "'"), "0");
  absl::StatusOr<Session> again = users_->Authenticate(s.token);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->user, "alice");
  EXPECT_EQ(again->csrf_token, s.csrf_token);
  EXPECT_EQ(AuditRows().back(), "web:alice|web login|from 127.0.0.1|ok");
}

TEST_F(UserDirectoryTest, AnUnknownUserAndAWrongPasswordGetTheSameAnswer) {
  absl::StatusOr<Session> wrong = users_->Login("alice", "not her passphrase", kLoopback);
  absl::StatusOr<Session> unknown = users_->Login("mallory", kAlicePassword, kLoopback);
  absl::StatusOr<Session> invalid = users_->Login("Mal\nlory", kAlicePassword, kLoopback);
  for (const absl::StatusOr<Session>* r : {&wrong, &unknown, &invalid}) {
    EXPECT_EQ(r->status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(r->status().message(), "wrong user name or password");
  }
  const std::vector<std::string> rows = AuditRows();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1], "web:alice|web login|from 127.0.0.1|wrong user name or password");
  EXPECT_EQ(rows[2], "web:mallory|web login|from 127.0.0.1|wrong user name or password");
  EXPECT_EQ(rows[3], "web:(invalid name)|web login|from 127.0.0.1|wrong user name or password");
  for (const std::string& row : rows) {
    EXPECT_THAT(row, Not(HasSubstr(kAlicePassword)));
    EXPECT_THAT(row, Not(HasSubstr("not her passphrase")));
  }
}

TEST_F(UserDirectoryTest, FailuresFromOneClientLockItOutUntilTheWindowPasses) {
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(10);
    EXPECT_EQ(
        users_->Login("mallory", "guess number " + std::to_string(i), "192.0.2.7").status().code(),
        absl::StatusCode::kUnauthenticated);
  }
  // Even the right password of another user is refused from there now.
  int retry_after = 0;
  absl::StatusOr<Session> refused =
      users_->Login("alice", kAlicePassword, "192.0.2.7", &retry_after);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.status().message(), HasSubstr("too many failed logins from 192.0.2.7"));
  EXPECT_EQ(retry_after, 300 - 40);  // the first failure was 40 s ago
  EXPECT_EQ(users_->Login("alice", kAlicePassword, "192.0.2.7").status().code(),
            absl::StatusCode::kResourceExhausted);
  // Another client is not affected.
  EXPECT_TRUE(users_->Login("alice", kAlicePassword, kLoopback).ok());
  clock_.Advance(260);
  EXPECT_TRUE(users_->Login("alice", kAlicePassword, "192.0.2.7").ok());
  // One audit row for the lock-out, not one per refused attempt.
  int refusals = 0;
  for (const std::string& row : AuditRows()) refusals += row.find("too many") != std::string::npos;
  EXPECT_EQ(refusals, 1);
}

TEST_F(UserDirectoryTest, FailuresForOneNameLockItOutFromEveryClient) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(
        users_
            ->Login("alice", "wrong guess " + std::to_string(i), "198.51.100." + std::to_string(i))
            .ok());
  }
  int retry_after = 0;
  absl::StatusOr<Session> refused = users_->Login("alice", kAlicePassword, kLoopback, &retry_after);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(retry_after, 300);
  ASSERT_TRUE(users_->AddUser("bob", Role::kViewer, kNewPassword, "op").ok());
  EXPECT_TRUE(users_->Login("bob", kNewPassword, kLoopback).ok());
  clock_.Advance(300);
  EXPECT_TRUE(users_->Login("alice", kAlicePassword, kLoopback).ok());
}

TEST_F(UserDirectoryTest, AnIdleSessionEnds) {
  Session s = LoginAlice();
  clock_.Advance(1700);
  ASSERT_TRUE(users_->Authenticate(s.token).ok());  // activity keeps it alive
  clock_.Advance(1800);
  ASSERT_TRUE(users_->Authenticate(s.token).ok());
  clock_.Advance(1801);
  absl::StatusOr<Session> ended = users_->Authenticate(s.token);
  EXPECT_EQ(ended.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(ended.status().message(), HasSubstr("idle for more than 1800 s"));
  EXPECT_EQ(RawDb(path_).Query("SELECT COUNT(*) FROM sessions"), "0");
  EXPECT_THAT(users_->Authenticate(s.token).status().message(), HasSubstr("not signed in"));
}

TEST_F(UserDirectoryTest, ASessionEndsAtItsMaximumAgeHoweverActive) {
  Session s = LoginAlice();
  for (int i = 0; i < 43; ++i) {
    clock_.Advance(1000);
    ASSERT_TRUE(users_->Authenticate(s.token).ok()) << i;
  }
  clock_.Advance(200);  // 43200 s after login
  absl::StatusOr<Session> ended = users_->Authenticate(s.token);
  EXPECT_EQ(ended.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(ended.status().message(), HasSubstr("maximum age"));
}

TEST_F(UserDirectoryTest, ExpiredSessionsAreRemovedAtTheNextLogin) {
  LoginAlice();
  LoginAlice();
  clock_.Advance(43200);
  LoginAlice();
  EXPECT_EQ(RawDb(path_).Query("SELECT COUNT(*) FROM sessions"), "1");
}

TEST_F(UserDirectoryTest, LogoutEndsTheSession) {
  Session s = LoginAlice();
  Session other = LoginAlice();
  ASSERT_TRUE(users_->Logout(s.token).ok());
  EXPECT_EQ(users_->Authenticate(s.token).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(users_->Logout(s.token).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(users_->Authenticate(other.token).ok());
  EXPECT_EQ(AuditRows().back(), "web:alice|web logout|session|ok");
  EXPECT_EQ(users_->Authenticate("").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(users_->Authenticate("forged-token").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(UserDirectoryTest, APasswordChangeEndsEverySessionOfTheUser) {
  Session s1 = LoginAlice();
  Session s2 = LoginAlice();
  ASSERT_TRUE(users_->AddUser("bob", Role::kViewer, kNewPassword, "op").ok());
  absl::StatusOr<Session> bob = users_->Login("bob", kNewPassword, kLoopback);
  ASSERT_TRUE(bob.ok());
  clock_.Advance(5);
  absl::StatusOr<UserRecord> changed = users_->SetPassword("alice", kNewPassword, "operator-root");
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(changed->password_changed_at, 1700000005);
  EXPECT_EQ(changed->created_at, 1700000000);
  EXPECT_FALSE(users_->Authenticate(s1.token).ok());
  EXPECT_FALSE(users_->Authenticate(s2.token).ok());
  EXPECT_TRUE(users_->Authenticate(bob->token).ok());
  EXPECT_FALSE(users_->Login("alice", kAlicePassword, kLoopback).ok());
  EXPECT_TRUE(users_->Login("alice", kNewPassword, kLoopback).ok());
  EXPECT_EQ(users_->SetPassword("nobody", kNewPassword, "op").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(users_->SetPassword("alice", "short", "op").status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<std::string> rows = AuditRows();
  EXPECT_THAT(rows, ::testing::Contains("operator-root|user passwd|user alice|ok"));
  for (const std::string& row : rows) {
    EXPECT_THAT(row, Not(HasSubstr(kNewPassword)));
    EXPECT_THAT(row, Not(HasSubstr(kAlicePassword)));
  }
}

TEST_F(UserDirectoryTest, RemovingAUserEndsItsSessions) {
  Session s = LoginAlice();
  ASSERT_TRUE(users_->RemoveUser("alice", "operator-root").ok());
  EXPECT_EQ(users_->Authenticate(s.token).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(users_->Login("alice", kAlicePassword, kLoopback).status().code(),
            absl::StatusCode::kUnauthenticated);
  absl::Status again = users_->RemoveUser("alice", "operator-root");
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(AuditRows(), ::testing::Contains("operator-root|user remove|user alice|ok"));
  // The last admin may go too (relayguardctl can always add one back).
  ASSERT_TRUE(users_->AddUser("root", Role::kAdmin, kNewPassword, "op").ok());
  EXPECT_TRUE(users_->RemoveUser("root", "op").ok());
  EXPECT_TRUE(users_->Users()->empty());
}

TEST_F(UserDirectoryTest, ARoleChangeAppliesToOpenSessionsAtOnce) {
  Session s = LoginAlice();
  UserRecord alice = **store_->User("alice");
  alice.role = Role::kViewer;
  ASSERT_TRUE(store_->UpdateUser(alice).ok());
  absl::StatusOr<Session> now = users_->Authenticate(s.token);
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(now->role, Role::kViewer);
}

TEST_F(UserDirectoryTest, AuthenticateRefreshesLastSeenAtMostOncePerSecond) {
  Session s = LoginAlice();
  const std::string hash = TokenHash(s.token);
  clock_.Advance(42);
  ASSERT_TRUE(users_->Authenticate(s.token).ok());
  EXPECT_EQ((**store_->Session(hash)).last_seen, 1700000042);
  ASSERT_TRUE(users_->Authenticate(s.token).ok());
  EXPECT_EQ((**store_->Session(hash)).last_seen, 1700000042);
}

// Logins for `name` from `clients` all at once (one thread each); the codes they got.
std::vector<absl::StatusCode> ParallelLogins(UserDirectory& users, const std::string& name,
                                             const std::string& password,
                                             const std::vector<std::string>& clients) {
  std::vector<absl::StatusCode> codes(clients.size());
  std::latch start(static_cast<std::ptrdiff_t>(clients.size()));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < clients.size(); ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      codes[i] = users.Login(name, password, clients[i]).status().code();
    });
  }
  for (std::thread& t : threads) t.join();
  return codes;
}

TEST_F(UserDirectoryTest, ParallelGuessesForOneNameRunAtMostMaxFailuresChecks) {
  std::vector<std::string> clients;
  for (int i = 0; i < 14; ++i) clients.push_back("198.51.100." + std::to_string(i));
  const std::vector<absl::StatusCode> codes =
      ParallelLogins(*users_, "alice", "a wrong guess at it", clients);
  const auto wrong = std::count(codes.begin(), codes.end(), absl::StatusCode::kUnauthenticated);
  const auto refused = std::count(codes.begin(), codes.end(), absl::StatusCode::kResourceExhausted);
  EXPECT_GE(wrong, 1);
  EXPECT_LE(wrong, 5);  // max_failures: never one check more, however many arrive at once
  EXPECT_EQ(wrong + refused, 14);
  int checked = 0;
  for (const std::string& row : AuditRows()) checked += row.find("wrong user") != std::string::npos;
  EXPECT_EQ(checked, wrong);
}

TEST_F(UserDirectoryTest, ParallelGuessesFromOneClientRunAtMostMaxFailuresChecks) {
  std::vector<std::string> clients(14, "192.0.2.7");
  std::vector<absl::StatusCode> codes = ParallelLogins(*users_, "alice", "guess", clients);
  auto checked = std::count(codes.begin(), codes.end(), absl::StatusCode::kUnauthenticated);
  EXPECT_GE(checked, 1);
  EXPECT_LE(checked, 5);
  // One at a time until refused: five checks in all, however they arrived.
  for (int i = 0; i < 6; ++i) {
    const absl::StatusCode code =
        users_->Login("alice", "one more guess", "192.0.2.7").status().code();
    if (code != absl::StatusCode::kUnauthenticated) {
      EXPECT_EQ(code, absl::StatusCode::kResourceExhausted);
      break;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 5);
  codes = ParallelLogins(*users_, "alice", "guess again", clients);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), absl::StatusCode::kResourceExhausted), 14);
  EXPECT_EQ(users_->Login("alice", kAlicePassword, "192.0.2.7").status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(UserDirectoryTest, EveryInvalidNameCountsAsOneName) {
  for (int i = 0; i < 5; ++i) {
    // Huge junk names from different clients: one key, however many and however long.
    EXPECT_EQ(users_->Login(std::string(100000 + i, 'X'), "guess", "203.0.113." + std::to_string(i))
                  .status()
                  .code(),
              absl::StatusCode::kUnauthenticated);
  }
  EXPECT_EQ(users_->Login("Not Valid", "guess", "203.0.113.99").status().code(),
            absl::StatusCode::kResourceExhausted);
  // Valid names are not affected.
  EXPECT_TRUE(users_->Login("alice", kAlicePassword, "203.0.113.99").ok());
}

TEST_F(UserDirectoryTest, IPv6ClientsOfOneSlash64ShareTheirLimit) {
  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(
        users_->Login("mallory" + std::to_string(i), "guess", "2001:db8:1:2::" + std::to_string(i))
            .status()
            .code(),
        absl::StatusCode::kUnauthenticated);
  }
  absl::StatusOr<Session> refused =
      users_->Login("alice", kAlicePassword, "2001:db8:1:2:aaaa:bbbb:cccc:dddd");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(users_->Login("alice", kAlicePassword, "2001:db8:1:3::1").ok());
}

TEST_F(UserDirectoryTest, IPv4MappedClientsShareTheLimitOfTheIPv4Address) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(users_->Login("mallory" + std::to_string(i), "guess", "192.0.2.7").ok());
  }
  EXPECT_EQ(users_->Login("alice", kAlicePassword, "::ffff:192.0.2.7").status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(users_->Login("alice", kAlicePassword, "192.0.2.8").ok());
}

TEST_F(UserDirectoryTest, AFailedSessionEndKeepsTheOldPassword) {
  Session s = LoginAlice();
  RawDb raw(path_);
  raw.FailEvery("DELETE", "sessions", "injected: sessions cannot be deleted");
  absl::StatusOr<UserRecord> changed = users_->SetPassword("alice", kNewPassword, "op");
  EXPECT_EQ(changed.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(changed.status().message(), HasSubstr("injected"));
  UserRecord alice = **store_->User("alice");
  EXPECT_TRUE(VerifyPassword(kAlicePassword, alice.password_hash));
  EXPECT_FALSE(VerifyPassword(kNewPassword, alice.password_hash));
  EXPECT_EQ(alice.password_changed_at, 1700000000);
  EXPECT_TRUE(users_->Authenticate(s.token).ok());
  EXPECT_THAT(AuditRows().back(), HasSubstr("op|user passwd|user alice|"));
  EXPECT_THAT(AuditRows().back(), Not(HasSubstr("|ok")));
  raw.StopFailing("DELETE", "sessions");
  EXPECT_TRUE(users_->SetPassword("alice", kNewPassword, "op").ok());
  EXPECT_EQ(users_->Authenticate(s.token).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(UserDirectoryTest, AUserKeepsItsTenNewestSessions) {
  std::vector<Session> sessions;
  for (int i = 0; i < 12; ++i) {
    clock_.Advance(1);
    sessions.push_back(LoginAlice());
  }
  EXPECT_EQ(RawDb(path_).Query("SELECT COUNT(*) FROM sessions WHERE user = 'alice'"), "10");
  EXPECT_EQ(users_->Authenticate(sessions[0].token).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(users_->Authenticate(sessions[1].token).status().code(),
            absl::StatusCode::kUnauthenticated);
  for (size_t i = 2; i < sessions.size(); ++i) {
    EXPECT_TRUE(users_->Authenticate(sessions[i].token).ok()) << i;
  }
}

TEST_F(UserDirectoryTest, ALoginRemovesTheUsersIdleSessions) {
  Session idle = LoginAlice();
  clock_.Advance(1000);
  Session active = LoginAlice();
  clock_.Advance(801);  // idle: 1801 s since last seen; active: 801 s
  Session fresh = LoginAlice();
  RawDb raw(path_);
  EXPECT_EQ(raw.Query("SELECT COUNT(*) FROM sessions"), "2");
  EXPECT_EQ(
      raw.Query("SELECT COUNT(*) FROM sessions WHERE token_hash = '" + TokenHash(idle.token) + "'"),
      "0");
  EXPECT_TRUE(users_->Authenticate(active.token).ok());
  EXPECT_TRUE(users_->Authenticate(fresh.token).ok());
}

TEST_F(UserDirectoryTest, AuthenticateWithoutTouchKeepsLastSeenAndEveryExpiryRule) {
  Session s = LoginAlice();
  const std::string hash = TokenHash(s.token);
  clock_.Advance(1000);
  absl::StatusOr<Session> checked = users_->Authenticate(s.token, /*touch=*/false);
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_EQ(checked->user, "alice");
  EXPECT_EQ((**store_->Session(hash)).last_seen, 1700000000);
  clock_.Advance(801);  // 1801 s since the last request of the user's
  absl::StatusOr<Session> ended = users_->Authenticate(s.token, /*touch=*/false);
  EXPECT_EQ(ended.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(ended.status().message(), HasSubstr("idle for more than 1800 s"));

  Session old = LoginAlice();
  for (int i = 0; i < 43; ++i) {
    clock_.Advance(1000);
    ASSERT_TRUE(users_->Authenticate(old.token).ok()) << i;  // a user's request: touches
  }
  clock_.Advance(200);
  ended = users_->Authenticate(old.token, /*touch=*/false);
  EXPECT_EQ(ended.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(ended.status().message(), HasSubstr("maximum age"));
}

TEST_F(UserDirectoryTest, AStoreFailureIsNotAnEndedSession) {
  Session s = LoginAlice();
  RawDb raw(path_);
  // A failing write (the last_seen refresh) is the store's error.
  raw.FailEvery("UPDATE", "sessions", "injected: sessions are read-only");
  clock_.Advance(5);
  absl::StatusOr<Session> failed = users_->Authenticate(s.token);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(users_->Authenticate(s.token, /*touch=*/false).ok());  // no write, no failure
  raw.StopFailing("UPDATE", "sessions");
  // A stored role this build does not know is DataLoss, not "sign in again".
  raw.Exec("UPDATE users SET role = 'superuser' WHERE name = 'alice'");
  EXPECT_EQ(users_->Authenticate(s.token).status().code(), absl::StatusCode::kDataLoss);
  raw.Exec("UPDATE users SET role = 'operator' WHERE name = 'alice'");
  // A missing table (a broken database) is Internal, for a known and an unknown token alike.
  raw.Exec("ALTER TABLE sessions RENAME TO sessions_gone");
  for (const std::string& token : {s.token, std::string("forged-token")}) {
    absl::Status broken = users_->Authenticate(token).status();
    EXPECT_EQ(broken.code(), absl::StatusCode::kInternal) << broken;
    EXPECT_NE(broken.code(), absl::StatusCode::kUnauthenticated);
  }
  raw.Exec("ALTER TABLE sessions_gone RENAME TO sessions");
  // The answers for ended sessions name no file.
  clock_.Advance(1801);
  for (const std::string& token : {s.token, s.token, std::string("forged-token")}) {
    absl::Status ended = users_->Authenticate(token).status();
    EXPECT_EQ(ended.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(std::string(ended.message()), Not(HasSubstr(dir_)));
    EXPECT_THAT(std::string(ended.message()), Not(HasSubstr(".db")));
  }
}

}  // namespace
}  // namespace relayguard::controller
