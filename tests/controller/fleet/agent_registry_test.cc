#include "controller/fleet/agent_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace relayguard::controller {
namespace {

// A push with nonce `nonce` and nothing else.
AgentCommand Push(const std::string& nonce) {
  PushCommand c;
  c.nonce = nonce;
  return c;
}

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

const AgentRegistry::TimePoint kT0{};

// A stream that records what was sent to it and how it was closed.
struct FakeStream {
  std::vector<std::string> sent;
  std::vector<std::string> closed;
  AgentRegistry::Link Link() {
    AgentRegistry::Link link;
    link.send = [this](const AgentCommand& c) {
      sent.push_back(std::get<PushCommand>(c).nonce);
      return true;
    };
    link.close = [this](const std::string& reason) { closed.push_back(reason); };
    return link;
  }
};

TEST(AgentRegistryTest, SendsToTheNewestStreamOfAHost) {
  AgentRegistry registry;
  FakeStream old_stream, new_stream;
  uint64_t old_gen = registry.Register("mx1", old_stream.Link(), kT0, 100);
  registry.Register("mx1", new_stream.Link(), kT0, 101);
  registry.Unregister("mx1", old_gen);  // the old stream finishing must not remove the new one
  EXPECT_TRUE(registry.Send("mx1", Push("n1")));
  EXPECT_THAT(new_stream.sent, ElementsAre("n1"));
  EXPECT_THAT(old_stream.sent, IsEmpty());
  EXPECT_FALSE(registry.Send("mx2", AgentCommand{}));
  EXPECT_THAT(registry.OnlineHosts(), ElementsAre("mx1"));
}

TEST(AgentRegistryTest, ClosesOnlyStreamsSilentPastTheTimeout) {
  AgentRegistry registry;
  FakeStream chatty, quiet;
  uint64_t chatty_gen = registry.Register("chatty", chatty.Link(), kT0, 1000);
  registry.Register("quiet", quiet.Link(), kT0, 1000);
  registry.Heard("chatty", chatty_gen, kT0 + seconds(60), 1060);
  EXPECT_THAT(registry.CloseSilent(kT0 + seconds(90), seconds(90)), IsEmpty());
  auto closed = registry.CloseSilent(kT0 + seconds(91), seconds(90));
  EXPECT_THAT(closed, ElementsAre(Pair("quiet", milliseconds(91000))));
  ASSERT_EQ(quiet.closed.size(), 1u);
  EXPECT_THAT(quiet.closed[0], HasSubstr("heartbeat timeout"));
  EXPECT_THAT(chatty.closed, IsEmpty());
  // Until gRPC finishes the stream (and it unregisters) it is not closed or reported again.
  EXPECT_THAT(registry.CloseSilent(kT0 + seconds(95), seconds(90)), IsEmpty());
  EXPECT_EQ(quiet.closed.size(), 1u);
  EXPECT_EQ(registry.LastHeard("chatty"), 1060);
  EXPECT_EQ(registry.LastHeard("nobody"), 0);
}

TEST(AgentRegistryTest, AStaleGenerationDoesNotCountAsHeard) {
  AgentRegistry registry;
  FakeStream first, second;
  uint64_t first_gen = registry.Register("mx1", first.Link(), kT0, 1000);
  registry.Register("mx1", second.Link(), kT0, 1000);
  registry.Heard("mx1", first_gen, kT0 + seconds(80), 1080);
  EXPECT_EQ(registry.LastHeard("mx1"), 1000);
  EXPECT_THAT(registry.CloseSilent(kT0 + seconds(100), seconds(90)),
              ElementsAre(Pair("mx1", milliseconds(100000))));
  EXPECT_THAT(second.closed.size(), 1u);
  EXPECT_THAT(first.closed, IsEmpty());
}

}  // namespace
}  // namespace relayguard::controller
