// SqliteStore: the fleet rollbacks sent and not answered yet (schema migration 9). A row is
// written before its rollback goes out and deleted in the transaction that stores the answer.
#include <sqlite3.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "controller/store/sqlite_statement.h"
#include "controller/store/sqlite_store.h"

namespace relayguard::controller {

using sql::Statement;
using sql::Transaction;

absl::Status SqliteStore::AddPendingRollback(const PendingRollbackRecord& r) {
  Statement insert(db_, path_,
                   absl::StrCat("saving the pending rollback ", r.nonce, " of host ", r.host));
  RETURN_IF_ERROR(insert.Prepare(
      "INSERT INTO pending_rollbacks (host, nonce, rollout_id, to_commit, sent_at) "
      "VALUES (?, ?, ?, ?, ?) ON CONFLICT (host, nonce) DO NOTHING"));
  return insert.Bind(r.host, r.nonce, r.rollout_id, r.to_commit, r.sent_at).Run();
}

absl::Status SqliteStore::DeletePendingRollback(const std::string& host,
                                                const std::string& nonce) {
  Statement del(db_, path_,
                absl::StrCat("deleting the pending rollback ", nonce, " of host ", host));
  RETURN_IF_ERROR(del.Prepare("DELETE FROM pending_rollbacks WHERE host = ? AND nonce = ?"));
  return del.Bind(host, nonce).Run();
}

absl::StatusOr<std::vector<PendingRollbackRecord>> SqliteStore::PendingRollbacks() {
  Statement q(db_, path_, "listing the pending rollbacks");
  RETURN_IF_ERROR(
      q.Prepare("SELECT host, nonce, rollout_id, to_commit, sent_at FROM pending_rollbacks "
                "ORDER BY sent_at, host, nonce"));
  std::vector<PendingRollbackRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(PendingRollbackRecord{q.Text(0), q.Text(1), q.Text(2), q.Text(3), q.Int64(4)});
  }
  return out;
}

absl::Status SqliteStore::AddRollbackResult(const HostResult& result) {
  const std::string what =
      absl::StrCat("storing the answer to rollback ", result.nonce, " of host ", result.host);
  Transaction tx(db_, path_);
  RETURN_IF_ERROR(tx.Begin(what));
  RETURN_IF_ERROR(AddResult(result));
  RETURN_IF_ERROR(DeletePendingRollback(result.host, result.nonce));
  return tx.Commit(what);
}

}  // namespace relayguard::controller
