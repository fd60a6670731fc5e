// Reconnect delays (agent/stream/backoff.h): table-driven over attempts and random draws.
#include "agent/stream/backoff.h"

#include <gtest/gtest.h>

namespace relayguard::agent {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, GrowsGeometricallyUpToTheMaxWithJitterBelowTheDelay) {
  const BackoffPolicy policy;  // 500 ms, x2, max 30 s, jitter 0.5
  struct Case {
    int attempt;
    double random;
    milliseconds want;
  };
  const Case cases[] = {
      {0, 0.0, milliseconds(250)},        {0, 0.999999, milliseconds(499)},
      {0, 0.5, milliseconds(375)},        {1, 0.0, milliseconds(500)},
      {3, 0.0, milliseconds(2000)},       {5, 0.0, milliseconds(8000)},
      {6, 0.0, milliseconds(15000)},      {7, 0.0, milliseconds(15000)},  // 32 s capped at 30 s
      {7, 0.999999, milliseconds(29999)}, {1000, 0.0, milliseconds(15000)},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(BackoffDelay(policy, c.attempt, c.random), c.want)
        << "attempt " << c.attempt << ", random " << c.random;
  }
}

TEST(BackoffTest, WithoutJitterTheDelayIsExact) {
  BackoffPolicy policy;
  policy.initial = milliseconds(100);
  policy.max = milliseconds(1000);
  policy.multiplier = 3.0;
  policy.jitter = 0.0;
  EXPECT_EQ(BackoffDelay(policy, 0, 0.7), milliseconds(100));
  EXPECT_EQ(BackoffDelay(policy, 1, 0.7), milliseconds(300));
  EXPECT_EQ(BackoffDelay(policy, 2, 0.7), milliseconds(900));
  EXPECT_EQ(BackoffDelay(policy, 3, 0.7), milliseconds(1000));
}

}  // namespace
}  // namespace relayguard::agent
