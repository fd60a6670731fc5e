// The on-disk outbox of compliance reports and the per-version enforcement state.
#include "agent/compliance/compliance_queue.h"

#include <unistd.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace relayguard::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

class ComplianceQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-queue-unit.XXXXXX";
    root_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::unique_ptr<ComplianceQueue> Open(size_t max = 1000) {
    return std::move(ComplianceQueue::Open(fs_, root_ + "/queue", max)).value();
  }
  static std::string Text(uint64_t seq) { return "report " + std::to_string(seq); }

  std::string root_;
  RealFileSystem fs_;
};

TEST_F(ComplianceQueueTest, ReportsAreNumberedInOrderAndSurviveAReopen) {
  {
    auto q = Open();
    EXPECT_EQ(*q->Push(Text), 1u);
    EXPECT_EQ(*q->Push(Text), 2u);
    EXPECT_EQ(*q->Push(Text), 3u);
  }
  auto q = Open();
  EXPECT_EQ(q->size(), 3u);
  EXPECT_THAT(q->PendingAfter(0, 10),
              ElementsAre(Pair(1u, "report 1"), Pair(2u, "report 2"), Pair(3u, "report 3")));
  EXPECT_THAT(q->PendingAfter(1, 1), ElementsAre(Pair(2u, "report 2")));
}

TEST_F(ComplianceQueueTest, AnAcknowledgedReportIsGoneAndItsNumberNeverComesBack) {
  {
    auto q = Open();
    ASSERT_TRUE(q->Push(Text).ok());
    ASSERT_TRUE(q->Push(Text).ok());
    q->Ack(1);
    q->Ack(2);
    q->Ack(99);  // unknown: ignored
    EXPECT_EQ(q->size(), 0u);
  }
  auto q = Open();  // every report file is gone, the counter is not
  EXPECT_THAT(q->PendingAfter(0, 10), IsEmpty());
  EXPECT_EQ(*q->Push(Text), 3u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(root_ + "/queue"),
                          std::filesystem::directory_iterator()),
            2);  // last-seq and report 3
}

TEST_F(ComplianceQueueTest, BeyondItsBoundTheOldestReportsAreDropped) {
  auto q = Open(3);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(q->Push(Text).ok());
  EXPECT_EQ(q->size(), 3u);
  EXPECT_THAT(q->PendingAfter(0, 10),
              ElementsAre(Pair(3u, "report 3"), Pair(4u, "report 4"), Pair(5u, "report 5")));
}

TEST_F(ComplianceQueueTest, AnUnusableDirectoryIsAClearError) {
  ASSERT_TRUE(fs_.WriteFileAtomic(root_ + "/file", "x", FileInfo{0600, getuid(), getgid(), true})
                  .ok());
  absl::StatusOr<std::unique_ptr<ComplianceQueue>> q =
      ComplianceQueue::Open(fs_, root_ + "/file/queue");
  ASSERT_FALSE(q.ok());
  EXPECT_THAT(std::string(q.status().message()),
              ::testing::HasSubstr("cannot create the compliance queue " + root_ + "/file/queue"));
}

TEST(EnforceStateTest, SuspensionsAndHoldsArePerVersionAndPersist) {
  char tmpl[] = "/tmp/rg-enforce-unit.XXXXXX";
  const std::string root = mkdtemp(tmpl);
  RealFileSystem fs;
  {
    EnforceState state(fs, root + "/enforce-state");
    EXPECT_FALSE(state.Suspended("p", 2));
    EXPECT_EQ(state.Held("p", 2), "");
    ASSERT_TRUE(state.Suspend("p", 2).ok());
    ASSERT_TRUE(state.Hold("q", 5, "3 hosts failed to enforce q v5 (budget 1): a, b, c").ok());
  }
  EnforceState state(fs, root + "/enforce-state");
  EXPECT_TRUE(state.Suspended("p", 2));
  EXPECT_FALSE(state.Suspended("p", 3));  // a new version may be enforced again
  EXPECT_EQ(state.Held("q", 5), "3 hosts failed to enforce q v5 (budget 1): a, b, c");
  EXPECT_EQ(state.Held("q", 6), "");
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace relayguard::agent
