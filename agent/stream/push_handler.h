// What the agent does with a push from the controller: validate the playbook text, run it
// through the apply transaction, cache the policy it now enforces, and say ACK or NACK. Knows
// nothing of gRPC (controller_session.cc converts).
#ifndef RELAYGUARD_AGENT_STREAM_PUSH_HANDLER_H_
#define RELAYGUARD_AGENT_STREAM_PUSH_HANDLER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "agent/apply/apply_transaction.h"

namespace relayguard::agent {

struct PushRequest {
  std::string nonce;
  std::string policy_name;
  uint64_t policy_version = 0;
  std::string policy_yaml;
};

struct PushReply {
  bool ack = false;                // the policy now holds (applied or unchanged and verified)
  uint64_t version = 0;            // the version in force after the push
  TransactionReport report;
};

class PushHandler {
 public:
  // `cache_path`: where the last applied playbook is kept (STATE/policy.yaml).
  PushHandler(ApplyTransaction& transaction, FileSystem& fs, std::string cache_path)
      : transaction_(transaction), fs_(fs), cache_path_(std::move(cache_path)) {}

  // Applies a pushed policy. Never throws; every failure becomes a NACK with the reason.
  // A push sent again with the nonce of one this handler applied (the controller died before it
  // stored the answer, and its successor re-sends) that still holds is answered with the
  // original answer: the change that nonce made (backup commit, diff), not "unchanged", so the
  // controller records it and a rollback of the rollout finds it.
  PushReply Apply(const PushRequest& push);
  // A dry run of the pushed policy: the diff it would make, nothing touched. `ack` is true when
  // the plan could be computed; the report's outcome says dry-run (would change) or unchanged.
  PushReply Plan(const PushRequest& push);
  // Rolls back (to `to_commit`, or before the last apply). ACK when restored or unchanged.
  // A rollback sent again with the nonce of one this handler restored (the controller died
  // before it stored the answer, and its successor re-sends it) is answered with the original
  // answer ("restored", its result commit) and touches nothing: restoring again would answer
  // "unchanged" and the controller would never learn the restore happened. `nonce` may be empty
  // (not remembered).
  PushReply Rollback(const std::string& nonce, const std::optional<std::string>& to_commit);

  // The policy in force according to the cache (name, version), if any.
  std::optional<Policy> CachedPolicy();

  // Told of every pushed or planned policy before its transaction runs (the log monitor learns
  // the probe settings it is about to probe with). Set before the stream starts.
  void OnPolicy(std::function<void(const Policy&)> hook) { on_policy_ = std::move(hook); }

 private:
  ApplyTransaction& transaction_;
  FileSystem& fs_;
  std::string cache_path_;
  std::function<void(const Policy&)> on_policy_;
  // The answers of the newest applies that changed something, by nonce; and of the newest
  // rollbacks that restored something, by nonce. Both guarded by answered_mu_.
  static constexpr size_t kRememberedAnswers = 64;
  std::mutex answered_mu_;
  std::deque<std::pair<std::string, PushReply>> answered_;
  std::deque<std::pair<std::string, PushReply>> restored_;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_STREAM_PUSH_HANDLER_H_
