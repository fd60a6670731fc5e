// LoginLimiter: lock-out after max failures within the window, its expiry, the wait rounded up,
// one noted refusal per lock-out, attempts under way counted, the bound on how many keys it
// remembers, and the keys it is given (LoginNameKey, LoginClientKey).
#include "controller/auth/login_limiter.h"

#include <gtest/gtest.h>

#include <string>

namespace relayguard::controller {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const LoginLimiter::TimePoint kT0{seconds(1000)};

TEST(LoginLimiterTest, LocksOutAfterMaxFailuresWithinTheWindowUntilTheOldestLeavesIt) {
  LoginLimiter limiter(3, seconds(300));
  limiter.RecordFailure("10.0.0.1", kT0);
  limiter.RecordFailure("10.0.0.1", kT0 + seconds(10));
  EXPECT_EQ(limiter.RetryAfter("10.0.0.1", kT0 + seconds(10)), 0);
  limiter.RecordFailure("10.0.0.1", kT0 + seconds(20));
  EXPECT_EQ(limiter.RetryAfter("10.0.0.1", kT0 + seconds(20)), 280);
  EXPECT_EQ(limiter.RetryAfter("10.0.0.1", kT0 + seconds(299) + milliseconds(1)), 1);
  EXPECT_EQ(limiter.RetryAfter("other", kT0 + seconds(20)), 0);
  // The oldest failure left the window: two remain, one more try is allowed.
  EXPECT_EQ(limiter.RetryAfter("10.0.0.1", kT0 + seconds(300)), 0);
  limiter.RecordFailure("10.0.0.1", kT0 + seconds(301));
  EXPECT_EQ(limiter.RetryAfter("10.0.0.1", kT0 + seconds(301)), 9);  // until t0+310
  EXPECT_EQ(limiter.RetryAfter("10.0.0.1", kT0 + seconds(1000)), 0);
  EXPECT_EQ(limiter.keys(), 0u);  // everything expired is forgotten
}

TEST(LoginLimiterTest, FailuresSpreadWiderThanTheWindowNeverLockOut) {
  LoginLimiter limiter(3, seconds(60));
  for (int i = 0; i < 20; ++i) {
    limiter.RecordFailure("alice", kT0 + seconds(31 * i));
    EXPECT_EQ(limiter.RetryAfter("alice", kT0 + seconds(31 * i)), 0) << i;
  }
}

TEST(LoginLimiterTest, OneRefusalNotedPerLockOut) {
  LoginLimiter limiter(2, seconds(60));
  EXPECT_FALSE(limiter.FirstRefusal("k", kT0));
  limiter.RecordFailure("k", kT0);
  limiter.RecordFailure("k", kT0);
  EXPECT_TRUE(limiter.FirstRefusal("k", kT0 + seconds(1)));
  EXPECT_FALSE(limiter.FirstRefusal("k", kT0 + seconds(2)));
  EXPECT_FALSE(limiter.FirstRefusal("k", kT0 + seconds(59)));
  // The lock-out ended; the next one is noted again.
  EXPECT_FALSE(limiter.FirstRefusal("k", kT0 + seconds(61)));
  limiter.RecordFailure("k", kT0 + seconds(62));
  limiter.RecordFailure("k", kT0 + seconds(63));
  EXPECT_TRUE(limiter.FirstRefusal("k", kT0 + seconds(64)));
}

TEST(LoginLimiterTest, ForgetClearsAKey) {
  LoginLimiter limiter(1, seconds(60));
  limiter.RecordFailure("alice", kT0);
  EXPECT_GT(limiter.RetryAfter("alice", kT0), 0);
  limiter.Forget("alice");
  limiter.Forget("nobody");
  EXPECT_EQ(limiter.RetryAfter("alice", kT0), 0);
}

TEST(LoginLimiterTest, RemembersAtMostMaxKeysForgettingTheLeastRecentlyFailed) {
  LoginLimiter limiter(1, seconds(600), 3);
  limiter.RecordFailure("a", kT0);
  limiter.RecordFailure("b", kT0 + seconds(1));
  limiter.RecordFailure("c", kT0 + seconds(2));
  limiter.RecordFailure("a", kT0 + seconds(3));  // a is now the most recent
  limiter.RecordFailure("d", kT0 + seconds(4));  // evicts b
  EXPECT_EQ(limiter.keys(), 3u);
  const auto now = kT0 + seconds(5);
  EXPECT_GT(limiter.RetryAfter("a", now), 0);
  EXPECT_EQ(limiter.RetryAfter("b", now), 0);
  EXPECT_GT(limiter.RetryAfter("c", now), 0);
  EXPECT_GT(limiter.RetryAfter("d", now), 0);
  for (int i = 0; i < 1000; ++i) limiter.RecordFailure("k" + std::to_string(i), now);
  EXPECT_EQ(limiter.keys(), 3u);
}

TEST(LoginLimiterTest, AttemptsUnderWayCountAsFailuresUntilTheyEnd) {
  LoginLimiter limiter(3, seconds(300));
  limiter.BeginAttempt("k", kT0);
  limiter.BeginAttempt("k", kT0);
  EXPECT_EQ(limiter.RetryAfter("k", kT0), 0);
  limiter.BeginAttempt("k", kT0);
  EXPECT_EQ(limiter.RetryAfter("k", kT0), 1);  // only attempts under way: they end soon
  EXPECT_TRUE(limiter.FirstRefusal("k", kT0));
  EXPECT_FALSE(limiter.FirstRefusal("k", kT0));  // one noted refusal, not one per attempt
  limiter.EndAttempt("k", /*failed=*/false, kT0 + seconds(1));
  EXPECT_EQ(limiter.RetryAfter("k", kT0 + seconds(1)), 0);
  limiter.EndAttempt("k", /*failed=*/true, kT0 + seconds(1));
  limiter.EndAttempt("k", /*failed=*/true, kT0 + seconds(2));
  limiter.BeginAttempt("k", kT0 + seconds(2));
  limiter.EndAttempt("k", /*failed=*/true, kT0 + seconds(3));
  EXPECT_EQ(limiter.RetryAfter("k", kT0 + seconds(3)), 298);  // three failures now
  EXPECT_EQ(limiter.RetryAfter("k", kT0 + seconds(1000)), 0);
  EXPECT_EQ(limiter.keys(), 0u);
}

TEST(LoginLimiterTest, ASucceededAttemptLeavesNothingBehind) {
  LoginLimiter limiter(3, seconds(300));
  limiter.BeginAttempt("k", kT0);
  EXPECT_EQ(limiter.keys(), 1u);
  limiter.EndAttempt("k", /*failed=*/false, kT0);
  EXPECT_EQ(limiter.keys(), 0u);
  limiter.EndAttempt("never-begun", /*failed=*/false, kT0);  // harmless
  EXPECT_EQ(limiter.keys(), 0u);
}

TEST(LoginLimiterTest, ForgetKeepsAttemptsUnderWay) {
  LoginLimiter limiter(2, seconds(300));
  limiter.RecordFailure("alice", kT0);
  limiter.BeginAttempt("alice", kT0);
  EXPECT_GT(limiter.RetryAfter("alice", kT0), 0);
  limiter.Forget("alice");  // another attempt succeeded meanwhile
  EXPECT_EQ(limiter.RetryAfter("alice", kT0), 0);
  limiter.BeginAttempt("alice", kT0);
  EXPECT_GT(limiter.RetryAfter("alice", kT0), 0);  // the two under way still count
}

TEST(LoginLimiterTest, KeysWithAttemptsUnderWayAreNotEvicted) {
  LoginLimiter limiter(1, seconds(600), 2);
  limiter.BeginAttempt("busy", kT0);
  limiter.RecordFailure("b", kT0 + seconds(1));
  limiter.RecordFailure("c", kT0 + seconds(2));  // evicts b, not the older busy
  EXPECT_EQ(limiter.keys(), 2u);
  const auto now = kT0 + seconds(3);
  EXPECT_GT(limiter.RetryAfter("busy", now), 0);
  EXPECT_EQ(limiter.RetryAfter("b", now), 0);
  EXPECT_GT(limiter.RetryAfter("c", now), 0);
}

TEST(LoginKeysTest, EveryInvalidNameIsOneShortKey) {
  EXPECT_EQ(LoginNameKey("alice"), "alice");
  const std::string longest(64, 'a');
  EXPECT_EQ(LoginNameKey(longest), longest);
  for (const std::string& bad : {std::string(65, 'a'), std::string(1 << 20, 'x'),
                                 std::string("Alice"), std::string("al\nice"), std::string(""),
                                 std::string("al\0ice", 6), std::string("(invalid)")}) {
    EXPECT_EQ(LoginNameKey(bad), "(invalid)") << bad.size();
  }
}

TEST(LoginKeysTest, IPv6ClientsAreKeyedByTheirSlash64) {
  const struct {
    const char* client;
    const char* key;
  } cases[] = {
      {"192.0.2.7", "192.0.2.7"},
      {"127.0.0.1", "127.0.0.1"},
      {"::ffff:192.0.2.7", "192.0.2.7"},
      {"2001:db8:1:2::1", "2001:db8:1:2::/64"},
      {"2001:db8:1:2:ffff:eeee:dddd:cccc", "2001:db8:1:2::/64"},
      {"2001:DB8:1:2::abcd", "2001:db8:1:2::/64"},
      {"2001:db8:1:3::1", "2001:db8:1:3::/64"},
      {"::1", "::/64"},
      {"not an address", "not an address"},
  };
  for (const auto& c : cases) EXPECT_EQ(LoginClientKey(c.client), c.key) << c.client;
  EXPECT_EQ(LoginClientKey(std::string(1 << 20, 'z')), std::string(kMaxLoginKeyBytes, 'z'));
}

}  // namespace
}  // namespace relayguard::controller
