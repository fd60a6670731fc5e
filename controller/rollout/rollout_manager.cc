#include "controller/rollout/rollout_manager.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "controller/rollout/operator_reason.h"

namespace relayguard::controller {

absl::Status RolloutManager::Recover() {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(std::vector<RolloutRecord> all, store_.Rollouts());
  for (RolloutRecord& r : all) {
    if (r.state.status != RolloutStatus::kRunning && r.state.status != RolloutStatus::kPaused) {
      continue;
    }
    std::string id = r.spec.id;
    engines_.emplace(id, RolloutEngine::Restore(r.spec, r.state));
    Bookkeeping& book = books_[id];
    book.created_by = r.created_by;
    book.reason = r.reason;
    book.created_at = r.created_at;
    book.updated_at = r.updated_at;
    book.saved_once = true;
    book.saved_status = r.state;
    book.saved_status.hosts.clear();
    for (const auto& [host, progress] : r.state.hosts) {
      if (progress.phase == HostPhase::kPushed || progress.phase == HostPhase::kRollingBack) {
        awaited_at_recover_.emplace(host, progress.nonce);
      }
    }
    Logger("controller.rollout")->info("continuing rollout {} ({} v{})", id, r.spec.policy,
                                       r.spec.version);
    for (const std::string& host : channel_.OnlineHosts()) {
      Execute(id, engines_.at(id).OnHostOnline(host, clock_.WallSeconds()));
    }
  }
  ASSIGN_OR_RETURN(std::vector<PendingRollbackRecord> pending,
                   store_.WithStore([](Store& s) { return s.PendingRollbacks(); }));
  const int64_t now = clock_.WallSeconds();
  for (PendingRollbackRecord& r : pending) {
    if (now - r.sent_at > kResendRollbacksFor) {
      Logger("controller.rollout")
          ->warn("{}: rollback {} was sent {} s ago and its answer never stored; too old to send "
                 "again, dropped",
                 r.host, r.nonce, now - r.sent_at);
      ForgetPendingRollback(r.host, r.nonce);
      continue;
    }
    Logger("controller.rollout")
        ->info("{}: rollback {} was sent before a restart and its answer not stored; sending it "
               "again when the host is online",
               r.host, r.nonce);
    resend_rollbacks_[{r.host, r.nonce}] = std::move(r);
  }
  for (const std::string& host : channel_.OnlineHosts()) ResendRollbacksLocked(host);
  return absl::OkStatus();
}

void RolloutManager::ResendRollbacksLocked(const std::string& host) {
  const int64_t now = clock_.WallSeconds();
  for (auto it = resend_rollbacks_.lower_bound({host, ""});
       it != resend_rollbacks_.end() && it->first.first == host;) {
    const PendingRollbackRecord& r = it->second;
    if (now - r.sent_at > kResendRollbacksFor) {
      Logger("controller.rollout")
          ->warn("{}: rollback {} was sent {} s ago and never answered; too old to send again, "
                 "dropped",
                 host, r.nonce, now - r.sent_at);
      ForgetPendingRollback(r.host, r.nonce);
      it = resend_rollbacks_.erase(it);
      continue;
    }
    // The same nonce: an agent that restored already answers as it did, without restoring again.
    if (channel_.ResendRollback(host, r.rollout_id, r.to_commit, r.nonce)) {
      Logger("controller.rollout")->info("{}: rollback {} sent again", host, r.nonce);
    }
    ++it;
  }
}

RolloutRecord RolloutManager::Snapshot(const std::string& id) {
  const RolloutEngine& engine = engines_.at(id);
  const Bookkeeping& book = books_[id];
  RolloutRecord r;
  r.spec = engine.spec();
  r.state = engine.state();
  r.created_by = book.created_by;
  r.reason = book.reason;
  r.created_at = book.created_at;
  r.updated_at = book.updated_at;
  return r;
}

absl::Status RolloutManager::Save(const std::string& id) {
  RolloutEngine& engine = engines_.at(id);
  Bookkeeping& book = books_[id];
  for (std::string& host : engine.TakeChangedHosts()) book.unsaved_hosts.insert(std::move(host));
  const RolloutState& state = engine.state();
  const RolloutState& saved = book.saved_status;
  const bool status_changed = saved.status != state.status ||
                              saved.current_wave != state.current_wave ||
                              saved.halt_reason != state.halt_reason ||
                              saved.next_nonce != state.next_nonce;
  if (book.saved_once && book.unsaved_hosts.empty() && !status_changed) return absl::OkStatus();
  book.updated_at = clock_.WallSeconds();
  if (!book.saved_once) {
    // The first save writes the audit entry of the start with the rollout, in one transaction:
    // a kill after it cannot leave a stored rollout nobody is recorded as having started.
    RolloutRecord record = Snapshot(id);
    const RolloutSpec& spec = engine.spec();
    AuditEntry start{0,
                     book.created_at,
                     book.created_by,
                     "rollout start",
                     absl::StrCat(id, " ", spec.policy, " v", spec.version),
                     "ok",
                     book.reason};
    RETURN_IF_ERROR(store_.WithStore([&](Store& s) { return s.CreateRollout(record, start); }));
    book.saved_once = true;
    store_.Changed(ChangeTopic::kAudit);
    faults_.Reached("rollout-created");
  } else {
    // Only what changed since the last save: an event touches one host, or a wave's worth.
    std::vector<std::string> changed(book.unsaved_hosts.begin(), book.unsaved_hosts.end());
    RETURN_IF_ERROR(store_.WithStore([&](Store& s) {
      return s.SaveRolloutProgress(id, state, book.updated_at, changed);
    }));
  }
  book.unsaved_hosts.clear();
  book.saved_status.status = state.status;
  book.saved_status.current_wave = state.current_wave;
  book.saved_status.halt_reason = state.halt_reason;
  book.saved_status.next_nonce = state.next_nonce;
  store_.Changed(ChangeTopic::kRollouts);
  return absl::OkStatus();
}

void RolloutManager::Execute(const std::string& id, const std::vector<Action>& actions) {
  auto log = Logger("controller.rollout");
  const RolloutSpec& spec = engines_.at(id).spec();
  // Save before sending: if we die after a push went out, the restarted engine re-sends it
  // with the same nonce and the agent's transaction is idempotent.
  if (std::any_of(actions.begin(), actions.end(), [](const Action& a) {
        return a.kind == Action::Kind::kCompleted || a.kind == Action::Kind::kPaused ||
               (a.kind == Action::Kind::kWaveStarted && a.wave > 0);
      })) {
    faults_.Reached("wave-done");
  }
  if (absl::Status s = Save(id); !s.ok()) log->error("cannot save rollout {}: {}", id, s.message());
  const bool pushes = std::any_of(actions.begin(), actions.end(), [](const Action& a) {
    return a.kind == Action::Kind::kPush;
  });
  absl::StatusOr<std::optional<PolicyVersionRecord>> policy = std::nullopt;
  if (pushes) {
    policy = store_.WithStore([&](Store& s) { return s.PolicyVersion(spec.policy, spec.version); });
  }
  for (const Action& a : actions) {
    switch (a.kind) {
      case Action::Kind::kPush: {
        if (!policy.ok() || !policy->has_value()) {
          log->error("rollout {}: policy {} v{} is not in the store", id, spec.policy,
                     spec.version);
          break;
        }
        PushCommand push{a.nonce, id, spec.policy, spec.version, (*policy)->yaml};
        if (!channel_.Send(a.host, push)) {
          log->warn("rollout {}: {} went away before the push", id, a.host);
        } else {
          faults_.Reached("push-sent");
        }
        break;
      }
      case Action::Kind::kRollBack:
        // Back to the commit from before this rollout (not merely before the newest apply).
        channel_.Send(a.host, RollbackCommand{a.nonce, id, CommitBeforeRollout(id, a.host)});
        break;
      case Action::Kind::kWaveStarted:
        log->info("rollout {}: wave {} started", id, a.wave + 1);
        faults_.Reached("wave-started");
        break;
      case Action::Kind::kPaused:
        log->info("rollout {}: paused after wave {}", id, a.wave + 1);
        break;
      case Action::Kind::kHalted:
        log->warn("rollout {} halted: {}", id, a.reason);
        break;
      case Action::Kind::kCompleted:
        log->info("rollout {} completed", id);
        faults_.Reached("rollout-done");
        break;
    }
  }
}

absl::StatusOr<PolicyVersionRecord> RolloutManager::LatestPolicy(const std::string& name) {
  ASSIGN_OR_RETURN(std::vector<PolicyVersionRecord> latest,
                   store_.WithStore([](Store& s) { return s.LatestPolicies(); }));
  auto it = std::find_if(latest.begin(), latest.end(),
                         [&](const PolicyVersionRecord& p) { return p.name == name; });
  if (it == latest.end()) {
    return absl::NotFoundError(absl::StrCat("no playbook named \"", name,
                                            "\" is loaded (see the controller's playbook dir)"));
  }
  return *it;
}

absl::StatusOr<std::pair<PolicyVersionRecord, std::vector<PlanAnswer>>> RolloutManager::Plan(
    const StartRequest& request, std::chrono::seconds timeout, const std::string& who) {
  ASSIGN_OR_RETURN(PolicyVersionRecord policy, LatestPolicy(request.policy));
  ASSIGN_OR_RETURN(std::vector<HostRecord> known, store_.Hosts());
  ASSIGN_OR_RETURN(std::vector<std::string> targets,
                   ResolveTargets(known, request.hosts, request.labels));
  if (targets.empty()) return absl::InvalidArgumentError("the plan targets no host");
  store_.RecordAudit(who, "plan", absl::StrCat(policy.name, " v", policy.version),
                     absl::OkStatus());
  return std::make_pair(policy, channel_.AskPlans(targets, policy, timeout));
}

absl::StatusOr<RolloutRecord> RolloutManager::Start(const StartRequest& request,
                                                    const std::string& who) {
  RETURN_IF_ERROR(CheckReason(request.reason));
  std::lock_guard<std::mutex> lock(mu_);
  auto fail = [&](absl::Status s) {
    store_.RecordAudit(who, "rollout start", request.policy, s, request.reason);
    return s;
  };
  ASSIGN_OR_RETURN(std::vector<WaveSize> waves, ParseWaves(request.waves));
  absl::StatusOr<PolicyVersionRecord> policy = LatestPolicy(request.policy);
  if (absl::IsNotFound(policy.status())) return fail(policy.status());
  if (!policy.ok()) return policy.status();
  if (request.expect_version != 0 && request.expect_version != policy->version) {
    return fail(absl::FailedPreconditionError(absl::StrCat(
        request.policy, " is at version ", policy->version, " now, not the planned version ",
        request.expect_version, " (playbooks were reloaded): plan again; nothing was started")));
  }
  absl::StatusOr<std::vector<HostRecord>> known = store_.Hosts();
  if (!known.ok()) return fail(known.status());
  absl::StatusOr<std::vector<std::string>> targets =
      ResolveTargets(*known, request.hosts, request.labels);
  if (!targets.ok()) return fail(targets.status());
  if (targets->empty()) return fail(absl::InvalidArgumentError("the rollout targets no host"));
  RolloutSpec spec;
  ASSIGN_OR_RETURN(spec.id, store_.WithStore([](Store& s) { return s.NextRolloutId(); }));
  spec.policy = policy->name;
  spec.version = policy->version;
  spec.hosts = *targets;
  spec.waves = waves;
  spec.wave_failure_budget = request.wave_failure_budget;
  spec.pause_between_waves = request.pause_between_waves;
  spec.rollback_on_halt = request.rollback_on_halt;
  spec.offline_deadline_s = request.offline_deadline_s;
  RolloutEngine engine(spec);
  absl::StatusOr<std::vector<Action>> actions =
      engine.Start(channel_.OnlineHosts(), clock_.WallSeconds());
  if (!actions.ok()) return fail(actions.status());
  std::string id = spec.id;
  engines_.emplace(id, std::move(engine));
  Bookkeeping& book = books_[id];
  book.created_by = who;
  book.reason = request.reason;
  book.created_at = clock_.WallSeconds();
  Execute(id, *actions);  // its first save writes the "rollout start" audit entry
  return Snapshot(id);
}

absl::StatusOr<RolloutRecord> RolloutManager::Get(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (engines_.count(id)) return Snapshot(id);
  ASSIGN_OR_RETURN(std::optional<RolloutRecord> r,
                   store_.WithStore([&](Store& s) { return s.Rollout(id); }));
  if (!r) return absl::NotFoundError(absl::StrCat("no rollout \"", id, "\""));
  return *r;
}

absl::StatusOr<RolloutRecord> RolloutManager::Command(const std::string& id,
                                                      const std::string& who,
                                                      const std::string& what,
                                                      const std::string& reason) {
  RETURN_IF_ERROR(CheckReason(reason));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = engines_.find(id);
  absl::StatusOr<std::vector<Action>> actions =
      it == engines_.end()
          ? absl::StatusOr<std::vector<Action>>(absl::FailedPreconditionError(
                absl::StrCat("rollout \"", id, "\" is not active (unknown or finished)")))
      : what == "pause"  ? it->second.Pause()
      : what == "resume" ? it->second.Resume(clock_.WallSeconds())
                         : it->second.Abort();
  store_.RecordAudit(who, absl::StrCat("rollout ", what), id, actions.status(), reason);
  if (!actions.ok()) return actions.status();
  Execute(id, *actions);
  return Snapshot(id);
}

absl::StatusOr<RolloutRecord> RolloutManager::Pause(const std::string& id, const std::string& who,
                                                    const std::string& reason) {
  return Command(id, who, "pause", reason);
}
absl::StatusOr<RolloutRecord> RolloutManager::Resume(const std::string& id, const std::string& who,
                                                     const std::string& reason) {
  return Command(id, who, "resume", reason);
}
absl::StatusOr<RolloutRecord> RolloutManager::Abort(const std::string& id, const std::string& who,
                                                    const std::string& reason) {
  return Command(id, who, "abort", reason);
}

std::string RolloutManager::CommitBeforeRollout(const std::string& id, const std::string& host) {
  absl::StatusOr<std::optional<HostResult>> change =
      store_.WithStore([&](Store& s) { return s.FirstChangeInRollout(id, host); });
  if (!change.ok()) {
    Logger("controller.rollout")->error("rollout {}: {}", id, change.status().message());
    return "";
  }
  return change->has_value() ? (*change)->backup_commit : "";
}

std::vector<HostRollback> RolloutManager::SendRollbacks(
    const RollbackTargets& targets, const std::vector<std::string>& chosen,
    const std::string& who, const std::string& reason, const std::string& audit_target,
    std::map<std::string, size_t>* index_of_nonce) {
  std::vector<HostRollback> out;
  size_t offline = 0, skipped = 0;
  for (const std::string& host : chosen) {
    HostRollback r;
    r.host = host;
    r.to_commit = targets.to_commit;
    if (!targets.rollout_id.empty()) {
      r.to_commit = CommitBeforeRollout(targets.rollout_id, host);
      if (r.to_commit.empty()) {
        r.status = RollbackStatus::kSkipped;
        r.error = "the rollout did not change this host";
        ++skipped;
        out.push_back(r);
        continue;
      }
    }
    const std::string nonce = channel_.NewRollbackNonce(targets.rollout_id);
    // Kept before it is sent, as a push is: if the controller dies before it stores the answer,
    // its successor sends the rollback again with this nonce (Recover).
    const PendingRollbackRecord pending{host, nonce, targets.rollout_id, r.to_commit,
                                        clock_.WallSeconds()};
    if (absl::Status s =
            store_.WithStore([&](Store& st) { return st.AddPendingRollback(pending); });
        !s.ok()) {
      Logger("controller.rollout")
          ->error("{}; sending the rollback anyway (a controller restart before its answer is "
                  "stored would lose that answer)",
                  s.message());
    }
    // Owed until answered, before it goes out (the answer may come before SendRollback
    // returns): if the host's stream drops first, the rollback is sent again when it is back.
    {
      std::lock_guard<std::mutex> lock(mu_);
      resend_rollbacks_[{host, nonce}] = pending;
    }
    const bool sent = channel_.SendRollback(host, targets.rollout_id, r.to_commit, nonce);
    r.status = sent ? RollbackStatus::kSent : RollbackStatus::kOffline;
    if (sent) {
      (*index_of_nonce)[nonce] = out.size();
    } else {
      ++offline;
      {
        std::lock_guard<std::mutex> lock(mu_);
        resend_rollbacks_.erase({host, nonce});
      }
      ForgetPendingRollback(host, nonce);
    }
    out.push_back(r);
  }
  store_.RecordAudit(who, "rollback", audit_target,
                     !index_of_nonce->empty()
                         ? absl::OkStatus()
                         : absl::FailedPreconditionError(absl::StrCat(
                               "nothing sent: ", offline, " offline, ", skipped, " skipped")),
                     reason);
  return out;
}

absl::StatusOr<std::vector<std::string>> RolloutManager::ResolveRollback(
    const RollbackTargets& targets) {
  absl::StatusOr<std::vector<HostRecord>> known = store_.Hosts();
  if (!known.ok()) return known.status();
  absl::StatusOr<std::optional<RolloutRecord>> rollout = std::optional<RolloutRecord>();
  if (!targets.rollout_id.empty()) {
    rollout = store_.WithStore([&](Store& s) { return s.Rollout(targets.rollout_id); });
    if (!rollout.ok()) return rollout.status();
  }
  return ResolveRollbackTargets(*known, targets, *rollout);
}

absl::StatusOr<std::vector<RollbackPreview>> RolloutManager::PreviewRollback(
    const RollbackTargets& targets) {
  absl::StatusOr<std::vector<std::string>> chosen = ResolveRollback(targets);
  if (!chosen.ok()) return chosen.status();
  const std::vector<std::string> online = channel_.OnlineHosts();
  std::vector<RollbackPreview> out;
  for (const std::string& host : *chosen) {
    RollbackPreview p;
    p.host = host;
    p.online = std::find(online.begin(), online.end(), host) != online.end();
    if (!targets.rollout_id.empty()) {
      absl::StatusOr<std::optional<HostResult>> change = store_.WithStore(
          [&](Store& s) { return s.FirstChangeInRollout(targets.rollout_id, host); });
      if (!change.ok()) return change.status();
      if (!change->has_value() || (*change)->backup_commit.empty()) {
        p.note = "skipped: the rollout did not change this host";
        out.push_back(p);
        continue;
      }
      p.to_commit = (*change)->backup_commit;
      p.diff = (*change)->diff;
      p.note = absl::StrCat("undoes rollout ", targets.rollout_id, "'s change");
    } else {
      // Every stored change from the one that left the wanted commit (the newest apply when no
      // commit is named) up to now, newest first: what returning to that commit undoes.
      absl::StatusOr<std::vector<HostResult>> history =
          store_.WithStore([&](Store& s) { return s.ResultsForHost(host, 200); });
      if (!history.ok()) return history.status();
      p.to_commit = targets.to_commit;
      bool found = false;
      for (const HostResult& r : *history) {
        if (r.result_commit.empty() || r.backup_commit.empty()) continue;  // changed nothing
        absl::StrAppend(&p.diff, r.diff);
        if (targets.to_commit.empty() || absl::StartsWith(r.backup_commit, targets.to_commit)) {
          found = true;
          const std::string when = absl::FormatTime(
              "%Y-%m-%d %H:%M:%S UTC", absl::FromUnixSeconds(r.at), absl::UTCTimeZone());
          p.note = absl::StrCat("returns to ", r.backup_commit.substr(0, 12), ", before the ",
                                r.rollout_id.empty() ? "change" : r.rollout_id, " of ", when);
          break;
        }
      }
      if (!found) {
        p.diff.clear();
        p.note = targets.to_commit.empty()
                     ? "no change of this host is on record here; the agent returns to the commit "
                       "before its newest apply"
                     : "that commit is not the start of a change on record here; the agent "
                       "checks it exists";
      }
    }
    p.will_roll_back = p.online;
    if (!p.online) p.note = absl::StrCat("offline: nothing would be sent (", p.note, ")");
    out.push_back(p);
  }
  return out;
}

absl::StatusOr<std::vector<HostRollback>> RolloutManager::Rollback(const RollbackTargets& targets,
                                                                   std::chrono::seconds wait,
                                                                   const std::string& who,
                                                                   const std::string& reason) {
  RETURN_IF_ERROR(CheckReason(reason));
  const std::string audit_target =
      targets.rollout_id.empty()
          ? (targets.to_commit.empty() ? "hosts" : absl::StrCat("commit ", targets.to_commit))
          : absl::StrCat("rollout ", targets.rollout_id);
  auto fail = [&](absl::Status s) {
    store_.RecordAudit(who, "rollback", audit_target, s, reason);
    return s;
  };
  absl::StatusOr<std::vector<std::string>> chosen = ResolveRollback(targets);
  if (!chosen.ok()) return fail(chosen.status());
  faults_.Reached("rollback-resolved");
  std::map<std::string, size_t> index_of_nonce;
  std::vector<HostRollback> out =
      SendRollbacks(targets, *chosen, who, reason, audit_target, &index_of_nonce);
  if (!index_of_nonce.empty()) faults_.Reached("rollback-sent");
  std::vector<std::string> nonces;
  for (const auto& [nonce, i] : index_of_nonce) nonces.push_back(nonce);
  for (const auto& [nonce, answer] : channel_.AwaitRollbacks(nonces, wait)) {
    HostRollback& r = out[index_of_nonce.at(nonce)];
    if (answer.has_value()) {
      const HostResult& result = answer->result;
      r.status = !answer->ack                                ? RollbackStatus::kFailed
                 : result.outcome == ApplyOutcome::kRestored ? RollbackStatus::kRestored
                                                             : RollbackStatus::kUnchanged;
      r.error = result.error.empty() ? "" : absl::StrCat(result.phase, ": ", result.error);
      r.result_commit = result.result_commit;
    } else if (wait.count() > 0) {
      r.status = RollbackStatus::kNoAnswer;
      r.error = absl::StrCat("no answer within ", wait.count(), " s");
    }
  }
  faults_.Reached("rollback-done");
  return out;
}

void RolloutManager::OnHostOnline(const std::string& host) {
  std::lock_guard<std::mutex> lock(mu_);
  ResendRollbacksLocked(host);
  for (auto& [id, engine] : engines_) Execute(id, engine.OnHostOnline(host, clock_.WallSeconds()));
}

void RolloutManager::OnHostOffline(const std::string& host) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, engine] : engines_) Execute(id, engine.OnHostOffline(host, clock_.WallSeconds()));
}

bool RolloutManager::AwaitsAnswer(const std::string& host, const std::string& nonce) {
  std::lock_guard<std::mutex> lock(mu_);
  return AwaitsAnswerLocked(host, nonce);
}

bool RolloutManager::AwaitsAnswerLocked(const std::string& host, const std::string& nonce) {
  return RolloutAwaitingLocked(host, nonce).has_value() || channel_.AwaitsRollback(host, nonce);
}

std::optional<std::string> RolloutManager::RolloutAwaitingLocked(const std::string& host,
                                                                 const std::string& nonce) {
  if (nonce.empty()) return std::nullopt;
  for (const auto& [id, engine] : engines_) {
    auto it = engine.state().hosts.find(host);
    if (it == engine.state().hosts.end() || it->second.nonce != nonce) continue;
    if (it->second.phase == HostPhase::kPushed || it->second.phase == HostPhase::kRollingBack) {
      return id;
    }
  }
  return std::nullopt;
}

bool RolloutManager::OnAnswer(const std::string& host, const HostResult& result, bool ack) {
  // Checked and taken under one lock: of two copies of an answer arriving at once, one is taken.
  std::lock_guard<std::mutex> lock(mu_);
  HostResult stored = result;
  stored.at = clock_.WallSeconds();
  std::optional<std::string> rollout_id = RolloutAwaitingLocked(host, result.nonce);
  // The rollout of the rollback `host` owes with this nonce; nullopt when it owes none.
  std::optional<std::string> rollback_of =
      result.nonce.empty() ? std::nullopt : channel_.OwedRollback(host, result.nonce);
  if (!rollout_id.has_value() && !rollback_of.has_value()) return false;
  stored.rollout_id = rollout_id.has_value() ? *rollout_id : *rollback_of;
  events_.AgentAnswered(ack, result.outcome);
  faults_.Reached(rollout_id.has_value() ? "answer-received" : "rollback-answer-received");
  if (!rollout_id.has_value()) {
    StoreRollbackAnswerLocked(stored);
    faults_.Reached("rollback-answer-stored");
  } else if (AlreadyStoredLocked(stored)) {
    Logger("controller.rollout")->info("{}: the answer to {} is in the store already (stored "
                                       "before a restart); not added again", host, result.nonce);
  } else if (absl::Status s = store_.WithStore([&](Store& st) { return st.AddResult(stored); });
             !s.ok()) {
    Logger("controller.rollout")->error("cannot store result of {}: {}", host, s.message());
  }
  // Handed to the channel only now: whoever waits for this rollback (Rollback) sees it answered
  // once it is in the store, with its pending row gone, never before.
  if (rollback_of.has_value()) channel_.OnRollbackAnswer(stored, ack);
  store_.Changed(ChangeTopic::kHosts);  // its history grew
  for (auto& [id, engine] : engines_) {
    std::vector<Action> actions =
        ack ? engine.OnAck(host, result.nonce, clock_.WallSeconds())
            : engine.OnNack(host, result.nonce, result.phase + ": " + result.error,
                            clock_.WallSeconds());
    Execute(id, actions);
  }
  return true;
}

void RolloutManager::ForgetPendingRollback(const std::string& host, const std::string& nonce) {
  if (absl::Status s =
          store_.WithStore([&](Store& st) { return st.DeletePendingRollback(host, nonce); });
      !s.ok()) {
    Logger("controller.rollout")->error("{}", s.message());
  }
}

void RolloutManager::StoreRollbackAnswerLocked(const HostResult& result) {
  // With the deletion of its pending row, in one transaction: the answer is stored exactly once
  // whenever the controller dies (before: the rollback is sent again; after: nothing is).
  if (absl::Status s = store_.WithStore([&](Store& st) { return st.AddRollbackResult(result); });
      !s.ok()) {
    // Still pending in the store: a restarted controller sends it again; one loaded at Recover
    // is also sent again when the host reconnects.
    Logger("controller.rollout")->error("cannot store result of {}: {}", result.host, s.message());
    return;
  }
  resend_rollbacks_.erase({result.host, result.nonce});
}

bool RolloutManager::AlreadyStoredLocked(const HostResult& result) {
  auto it = awaited_at_recover_.find({result.host, result.nonce});
  if (it == awaited_at_recover_.end()) return false;
  awaited_at_recover_.erase(it);
  absl::StatusOr<std::vector<HostResult>> stored =
      store_.WithStore([&](Store& s) { return s.ResultsForRollout(result.rollout_id); });
  if (!stored.ok()) return false;  // add it: a second row beats a lost one
  return std::any_of(stored->begin(), stored->end(), [&](const HostResult& r) {
    return r.host == result.host && r.nonce == result.nonce;
  });
}

void RolloutManager::OnTick() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, engine] : engines_) {
    std::vector<Action> actions = engine.OnTick(clock_.WallSeconds());
    if (!actions.empty()) {
      Execute(id, actions);
    } else if (absl::Status s = Save(id); !s.ok()) {
      // A save that failed earlier is retried every tick (a no-op when nothing is owed).
      Logger("controller.rollout")->error("cannot save rollout {}: {}", id, s.message());
    }
  }
}

}  // namespace relayguard::controller
