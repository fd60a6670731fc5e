// LoginLimiter: lock-out after max failures within the window, its expiry, the wait rounded up,
// one noted refusal per lock-out, and the bound on how many keys it remembers.
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

}  // namespace
}  // namespace relayguard::controller
