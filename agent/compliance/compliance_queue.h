// The agent's outbox of compliance reports: each one a file under STATE/compliance-queue, named
// by its sequence number, written atomically, deleted when the controller acknowledges it. A
// controller that is unreachable for a while gets every check made meanwhile when it is back;
// an agent restart loses nothing. Bounded: beyond `max_entries` the oldest reports are dropped
// (with a warning), so an agent cut off for months cannot fill its disk.
#ifndef RELAYGUARD_AGENT_COMPLIANCE_COMPLIANCE_QUEUE_H_
#define RELAYGUARD_AGENT_COMPLIANCE_COMPLIANCE_QUEUE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/os/file_system.h"

namespace relayguard::agent {

class ComplianceQueue {
 public:
  // Opens (creating) `dir` and indexes the reports already in it.
  static absl::StatusOr<std::unique_ptr<ComplianceQueue>> Open(FileSystem& fs,
                                                               const std::string& dir,
                                                               size_t max_entries = 1000);

  // Stores `make(seq)` under the next sequence number (increasing, never reused, also across
  // restarts) and returns that number. Thread-safe.
  absl::StatusOr<uint64_t> Push(const std::function<std::string(uint64_t seq)>& make);

  // Up to `limit` stored reports with a sequence number above `after`, oldest first.
  std::vector<std::pair<uint64_t, std::string>> PendingAfter(uint64_t after, size_t limit);

  // The controller has the report `seq`: forget it. Unknown numbers are ignored.
  void Ack(uint64_t seq);

  size_t size();
  uint64_t last_seq();

 private:
  ComplianceQueue(FileSystem& fs, std::string dir, size_t max_entries)
      : fs_(fs), dir_(std::move(dir)), max_entries_(max_entries) {}
  std::string PathOf(uint64_t seq) const;

  FileSystem& fs_;
  const std::string dir_;
  const size_t max_entries_;
  std::mutex mu_;
  uint64_t last_seq_ = 0;
  std::map<uint64_t, bool> entries_;  // the stored sequence numbers
};

// What enforcement may do per policy version on this host, kept in STATE/enforce-state:
// versions whose enforcement failed here (suspended until a newer version is pushed) and
// versions the controller put on hold (its failure budget is spent). Thread-safe.
class EnforceState {
 public:
  EnforceState(FileSystem& fs, std::string path);

  bool Suspended(const std::string& policy, uint64_t version);
  std::string Held(const std::string& policy, uint64_t version);  // reason; empty if none
  absl::Status Suspend(const std::string& policy, uint64_t version);
  absl::Status Hold(const std::string& policy, uint64_t version, const std::string& reason);

 private:
  absl::Status Save();  // with mu_ held

  FileSystem& fs_;
  const std::string path_;
  std::mutex mu_;
  // "policy vN" -> "" (suspended) ; "policy vN" -> reason (held)
  std::map<std::string, bool> suspended_;
  std::map<std::string, std::string> held_;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_COMPLIANCE_COMPLIANCE_QUEUE_H_
