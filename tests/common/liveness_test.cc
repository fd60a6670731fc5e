#include "common/liveness.h"

#include <gtest/gtest.h>

namespace relayguard {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(LivenessTest, SendsAHeartbeatOncePerInterval) {
  const Liveness::TimePoint t0{};
  Liveness live(seconds(30), 3, t0);
  EXPECT_FALSE(live.TakeSendDue(t0 + seconds(29)));
  EXPECT_TRUE(live.TakeSendDue(t0 + seconds(30)));
  EXPECT_FALSE(live.TakeSendDue(t0 + seconds(31))) << "counted as sent at 30 s";
  EXPECT_TRUE(live.TakeSendDue(t0 + seconds(60)));
}

TEST(LivenessTest, APeerIsSilentAfterMissingTheAllowedIntervals) {
  const Liveness::TimePoint t0{};
  Liveness live(seconds(10), 3, t0);
  EXPECT_FALSE(live.PeerSilent(t0 + seconds(30)));
  EXPECT_TRUE(live.PeerSilent(t0 + seconds(30) + milliseconds(1)));
  live.Heard(t0 + seconds(25));
  EXPECT_FALSE(live.PeerSilent(t0 + seconds(50)));
  EXPECT_EQ(live.SilentFor(t0 + seconds(50)), seconds(25));
  EXPECT_TRUE(live.PeerSilent(t0 + seconds(56)));
}

}  // namespace
}  // namespace relayguard
