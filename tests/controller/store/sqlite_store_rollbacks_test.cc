// SqliteStore's pending fleet rollbacks (controller/store/sqlite_store_rollbacks.cc): round trip
// across a reopen, and the answer stored with the deletion of its pending row in one
// transaction (a failure injected into either half leaves both as they were).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "controller/store/sqlite_store.h"
#include "tests/controller/store/store_test_fixture.h"

namespace relayguard::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class SqliteStoreRollbacksTest : public SqliteStoreTest {
 protected:
  static HostResult Restored(const PendingRollbackRecord& r) {
    return HostResult{r.rollout_id, r.host,   r.nonce, ApplyOutcome::kRestored, "", "", "",
                      "b0",         "c1",     r.sent_at + 2};
  }
  const PendingRollbackRecord mx1_{"mx1", "r-000001-rollback-1-100", "r-000001", "abc123", 100};
  const PendingRollbackRecord mx2_{"mx2", "rollback-2-90", "", "", 90};
};

TEST_F(SqliteStoreRollbacksTest, PendingRollbacksRoundTripOldestFirstAcrossAReopen) {
  ASSERT_TRUE(store_->AddPendingRollback(mx1_).ok());
  ASSERT_TRUE(store_->AddPendingRollback(mx2_).ok());
  // Adding the same (host, nonce) again keeps the stored row as it was.
  PendingRollbackRecord changed = mx1_;
  changed.to_commit = "other";
  ASSERT_TRUE(store_->AddPendingRollback(changed).ok());
  Reopen();
  EXPECT_THAT(*store_->PendingRollbacks(), ElementsAre(mx2_, mx1_));
  ASSERT_TRUE(store_->DeletePendingRollback("mx2", mx2_.nonce).ok());
  ASSERT_TRUE(store_->DeletePendingRollback("mx2", mx2_.nonce).ok());  // gone already: no error
  ASSERT_TRUE(store_->DeletePendingRollback("mx2", mx1_.nonce).ok());  // another host's nonce
  EXPECT_THAT(*store_->PendingRollbacks(), ElementsAre(mx1_));
}

TEST_F(SqliteStoreRollbacksTest, AnAnswerIsStoredWithTheDeletionOfItsPendingRollback) {
  ASSERT_TRUE(store_->AddPendingRollback(mx1_).ok());
  ASSERT_TRUE(store_->AddPendingRollback(mx2_).ok());
  ASSERT_TRUE(store_->AddRollbackResult(Restored(mx1_)).ok());
  EXPECT_THAT(*store_->PendingRollbacks(), ElementsAre(mx2_));
  EXPECT_THAT(*store_->ResultsForRollout("r-000001"), ElementsAre(Restored(mx1_)));
  // An answer with no pending row (sent when the row could not be written) is still stored.
  HostResult late = Restored(mx1_);
  late.nonce = "r-000001-rollback-9-100";
  ASSERT_TRUE(store_->AddRollbackResult(late).ok());
  EXPECT_EQ(store_->ResultsForRollout("r-000001")->size(), 2u);
  EXPECT_THAT(*store_->PendingRollbacks(), ElementsAre(mx2_));
}

TEST_F(SqliteStoreRollbacksTest, AFailedDeletionStoresNoResult) {
  ASSERT_TRUE(store_->AddPendingRollback(mx1_).ok());
  {
    RawDb raw(path_);
    raw.FailEvery("DELETE", "pending_rollbacks", "injected");
  }
  absl::Status s = store_->AddRollbackResult(Restored(mx1_));
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("rollback " + mx1_.nonce));
  EXPECT_THAT(*store_->ResultsForHost("mx1", 10), IsEmpty());
  EXPECT_THAT(*store_->PendingRollbacks(), ElementsAre(mx1_));
}

TEST_F(SqliteStoreRollbacksTest, AFailedResultKeepsThePendingRollback) {
  ASSERT_TRUE(store_->AddPendingRollback(mx1_).ok());
  {
    RawDb raw(path_);
    raw.FailEvery("INSERT", "results", "injected");
  }
  EXPECT_FALSE(store_->AddRollbackResult(Restored(mx1_)).ok());
  EXPECT_THAT(*store_->ResultsForHost("mx1", 10), IsEmpty());
  EXPECT_THAT(*store_->PendingRollbacks(), ElementsAre(mx1_));
}

}  // namespace
}  // namespace relayguard::controller
