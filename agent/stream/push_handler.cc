#include "agent/stream/push_handler.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "agent/policy/policy_loader.h"

namespace relayguard::agent {

std::optional<Policy> PushHandler::CachedPolicy() {
  absl::StatusOr<std::string> text = fs_.ReadFile(cache_path_);
  if (!text.ok()) return std::nullopt;
  absl::StatusOr<Policy> policy = ParsePolicy(*text, cache_path_);
  if (!policy.ok()) return std::nullopt;
  return *policy;
}

namespace {

absl::StatusOr<Policy> PushedPolicy(const PushRequest& push) {
  absl::StatusOr<Policy> policy =
      ParsePolicy(push.policy_yaml, absl::StrCat("push ", push.policy_name, " v",
                                                 push.policy_version));
  if (policy.ok() && (policy->name != push.policy_name || policy->version != push.policy_version)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pushed playbook is ", policy->name, " v", policy->version, " but the push says ",
        push.policy_name, " v", push.policy_version));
  }
  return policy;
}

}  // namespace

PushReply PushHandler::Plan(const PushRequest& push) {
  PushReply reply;
  absl::StatusOr<Policy> policy = PushedPolicy(push);
  if (!policy.ok()) {
    reply.report.outcome = Outcome::kRefused;
    reply.report.failed_phase = "validate-policy";
    reply.report.error = std::string(policy.status().message());
    return reply;
  }
  if (on_policy_) on_policy_(*policy);
  reply.report = transaction_.Apply(*policy, /*dry_run=*/true);
  reply.ack = reply.report.outcome == Outcome::kDryRun ||
              reply.report.outcome == Outcome::kUnchanged;
  return reply;
}

PushReply PushHandler::Apply(const PushRequest& push) {
  PushReply reply;
  std::optional<Policy> cached = CachedPolicy();
  reply.version = cached ? cached->version : 0;
  absl::StatusOr<Policy> policy =
      ParsePolicy(push.policy_yaml, absl::StrCat("push ", push.policy_name, " v",
                                                 push.policy_version));
  if (policy.ok() && (policy->name != push.policy_name || policy->version != push.policy_version)) {
    policy = absl::InvalidArgumentError(absl::StrCat(
        "pushed playbook is ", policy->name, " v", policy->version, " but the push says ",
        push.policy_name, " v", push.policy_version));
  }
  if (!policy.ok()) {
    reply.report.action = "apply";
    reply.report.outcome = Outcome::kRefused;
    reply.report.failed_phase = "validate-policy";
    reply.report.error = std::string(policy.status().message());
    reply.report.policy = push.policy_name;
    reply.report.version = push.policy_version;
    return reply;
  }
  if (on_policy_) on_policy_(*policy);
  reply.report = transaction_.Apply(*policy, /*dry_run=*/false);
  bool holds = reply.report.outcome == Outcome::kApplied ||
               (reply.report.outcome == Outcome::kUnchanged && reply.report.error.empty());
  if (holds) {
    reply.ack = true;
    reply.version = policy->version;
    absl::Status cached_ok =
        fs_.WriteFileAtomic(cache_path_, push.policy_yaml, FileInfo{0600, getuid(), getgid(), true});
    if (!cached_ok.ok()) {
      reply.report.warnings.push_back(
          absl::StrCat("could not cache the policy: ", cached_ok.message()));
    }
  }
  if (push.nonce.empty() || !holds) return reply;
  std::lock_guard<std::mutex> lock(answered_mu_);
  if (reply.report.outcome == Outcome::kApplied) {
    answered_.emplace_back(push.nonce, reply);
    if (answered_.size() > kRememberedAnswers) answered_.pop_front();
    return reply;
  }
  // Unchanged: when this nonce's own apply made the change that holds, answer as it did.
  for (const auto& [nonce, original] : answered_) {
    if (nonce == push.nonce && original.report.policy == push.policy_name &&
        original.report.version == push.policy_version) {
      return original;
    }
  }
  return reply;
}

PushReply PushHandler::Rollback(const std::string& nonce,
                                const std::optional<std::string>& to_commit) {
  if (!nonce.empty()) {
    std::lock_guard<std::mutex> lock(answered_mu_);
    for (const auto& [restored_nonce, original] : restored_) {
      if (restored_nonce == nonce) return original;
    }
  }
  PushReply reply;
  std::optional<Policy> cached = CachedPolicy();
  ProbeSettings probe = cached ? cached->probe : DefaultProbeSettings();
  reply.report = transaction_.Rollback(to_commit, probe);
  reply.ack = reply.report.outcome == Outcome::kRestored ||
              reply.report.outcome == Outcome::kUnchanged;
  if (reply.ack && reply.report.outcome == Outcome::kRestored) {
    // The policy no longer holds: forget it, so the controller sees version 0 and can re-push.
    (void)fs_.RemoveFile(cache_path_);
  }
  cached = CachedPolicy();
  reply.version = cached ? cached->version : 0;
  if (!nonce.empty() && reply.ack && reply.report.outcome == Outcome::kRestored) {
    std::lock_guard<std::mutex> lock(answered_mu_);
    restored_.emplace_back(nonce, reply);
    if (restored_.size() > kRememberedAnswers) restored_.pop_front();
  }
  return reply;
}

}  // namespace relayguard::agent
