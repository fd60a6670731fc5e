#include "controller/rollout/rollout_manager.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace relayguard::controller {

void RolloutManager::AuditResult(const std::string& who, const std::string& action,
                                 const std::string& target, const absl::Status& result) {
  AuditEntry entry;
  entry.at = clock_.WallSeconds();
  entry.who = who;
  entry.action = action;
  entry.target = target;
  entry.result = result.ok() ? "ok" : std::string(result.message());
  if (auto id = store_.Audit(entry); !id.ok()) {
    Logger("controller.rollout")->error("cannot record audit entry: {}", id.status().message());
  }
}

absl::Status RolloutManager::RecordHost(const HostRecord& host) {
  std::lock_guard<std::mutex> lock(mu_);
  return store_.UpsertHost(host);
}

absl::StatusOr<std::vector<HostRecord>> RolloutManager::Hosts() {
  std::lock_guard<std::mutex> lock(mu_);
  return store_.Hosts();
}

absl::StatusOr<std::vector<RolloutRecord>> RolloutManager::Rollouts() {
  std::lock_guard<std::mutex> lock(mu_);
  return store_.Rollouts();
}

absl::StatusOr<std::vector<AuditEntry>> RolloutManager::AuditLog(size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  return store_.AuditLog(limit);
}

absl::Status RolloutManager::AddPolicy(const PolicyVersionRecord& policy) {
  std::lock_guard<std::mutex> lock(mu_);
  return store_.PutPolicyVersion(policy);
}

void RolloutManager::RecordAudit(const std::string& who, const std::string& action,
                                 const std::string& target, const absl::Status& result) {
  std::lock_guard<std::mutex> lock(mu_);
  AuditResult(who, action, target, result);
}

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
    book.created_at = r.created_at;
    book.updated_at = r.updated_at;
    book.saved_once = true;
    book.saved_status = r.state;
    book.saved_status.hosts.clear();
    Logger("controller.rollout")->info("continuing rollout {} ({} v{})", id, r.spec.policy,
                                       r.spec.version);
    for (const std::string& host : registry_.OnlineHosts()) {
      Execute(id, engines_.at(id).OnHostOnline(host, clock_.WallSeconds()));
    }
  }
  return absl::OkStatus();
}

RolloutRecord RolloutManager::Snapshot(const std::string& id) {
  const RolloutEngine& engine = engines_.at(id);
  const Bookkeeping& book = books_[id];
  RolloutRecord r;
  r.spec = engine.spec();
  r.state = engine.state();
  r.created_by = book.created_by;
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
    RETURN_IF_ERROR(store_.SaveRollout(Snapshot(id)));
    book.saved_once = true;
  } else {
    // Only what changed since the last save: an event touches one host, or a wave's worth.
    RETURN_IF_ERROR(store_.SaveRolloutProgress(
        id, state, book.updated_at,
        std::vector<std::string>(book.unsaved_hosts.begin(), book.unsaved_hosts.end())));
  }
  book.unsaved_hosts.clear();
  book.saved_status.status = state.status;
  book.saved_status.current_wave = state.current_wave;
  book.saved_status.halt_reason = state.halt_reason;
  book.saved_status.next_nonce = state.next_nonce;
  return absl::OkStatus();
}

void RolloutManager::Execute(const std::string& id, const std::vector<Action>& actions) {
  auto log = Logger("controller.rollout");
  const RolloutSpec& spec = engines_.at(id).spec();
  // Save before sending: if we die after a push went out, the restarted engine re-sends it
  // with the same nonce and the agent's transaction is idempotent.
  if (absl::Status s = Save(id); !s.ok()) log->error("cannot save rollout {}: {}", id, s.message());
  const bool pushes = std::any_of(actions.begin(), actions.end(), [](const Action& a) {
    return a.kind == Action::Kind::kPush;
  });
  absl::StatusOr<std::optional<PolicyVersionRecord>> policy =
      pushes ? store_.PolicyVersion(spec.policy, spec.version)
             : absl::StatusOr<std::optional<PolicyVersionRecord>>(std::nullopt);
  for (const Action& a : actions) {
    switch (a.kind) {
      case Action::Kind::kPush: {
        if (!policy.ok() || !policy->has_value()) {
          log->error("rollout {}: policy {} v{} is not in the store", id, spec.policy,
                     spec.version);
          break;
        }
        AgentCommand c{AgentCommand::Kind::kPush, a.nonce, id, spec.policy, spec.version,
                       (*policy)->yaml, "", ""};
        if (!registry_.Send(a.host, c)) log->warn("rollout {}: {} went away before the push", id, a.host);
        break;
      }
      case Action::Kind::kRollBack: {
        // Back to the commit from before this rollout (not merely before the newest apply).
        AgentCommand c{AgentCommand::Kind::kRollback, a.nonce, id, spec.policy, spec.version, "",
                       CommitBeforeRollout(id, a.host), ""};
        registry_.Send(a.host, c);
        break;
      }
      case Action::Kind::kWaveStarted:
        log->info("rollout {}: wave {} started", id, a.wave + 1);
        break;
      case Action::Kind::kPaused:
        log->info("rollout {}: paused after wave {}", id, a.wave + 1);
        break;
      case Action::Kind::kHalted:
        log->warn("rollout {} halted: {}", id, a.reason);
        break;
      case Action::Kind::kCompleted:
        log->info("rollout {} completed", id);
        break;
    }
  }
}

absl::StatusOr<std::vector<std::string>> RolloutManager::ResolveTargets(
    const StartRequest& request) {
  ASSIGN_OR_RETURN(std::vector<HostRecord> known, store_.Hosts());
  std::vector<std::string> targets;
  for (const HostRecord& h : known) {
    if (Matches(h, request.hosts, request.labels)) targets.push_back(h.name);
  }
  for (const std::string& name : request.hosts) {
    if (std::find(targets.begin(), targets.end(), name) == targets.end()) {
      return absl::NotFoundError(absl::StrCat("unknown host \"", name,
                                              "\" (it has never connected)"));
    }
  }
  return targets;
}

absl::StatusOr<std::pair<PolicyVersionRecord, std::vector<PlanAnswer>>> RolloutManager::Plan(
    const StartRequest& request, std::chrono::seconds timeout, const std::string& who) {
  std::vector<std::string> targets;
  PolicyVersionRecord policy;
  std::map<std::string, std::string> nonce_of;  // host -> nonce
  {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(std::vector<PolicyVersionRecord> latest, store_.LatestPolicies());
    auto it = std::find_if(latest.begin(), latest.end(), [&](const PolicyVersionRecord& p) {
      return p.name == request.policy;
    });
    if (it == latest.end()) {
      return absl::NotFoundError(absl::StrCat("no playbook named \"", request.policy,
                                              "\" is loaded (see the controller's playbook dir)"));
    }
    policy = *it;
    ASSIGN_OR_RETURN(targets, ResolveTargets(request));
    if (targets.empty()) return absl::InvalidArgumentError("the plan targets no host");
    AuditResult(who, "plan", absl::StrCat(policy.name, " v", policy.version), absl::OkStatus());
  }
  std::vector<PlanAnswer> answers;
  for (const std::string& host : targets) {
    std::string nonce;
    {
      std::lock_guard<std::mutex> lock(plan_mu_);
      nonce = absl::StrCat("plan-", next_plan_++);
    }
    AgentCommand c{AgentCommand::Kind::kPlan, nonce, "", policy.name, policy.version, policy.yaml,
                   "", ""};
    if (registry_.Send(host, c)) nonce_of[host] = nonce;
  }
  std::unique_lock<std::mutex> lock(plan_mu_);
  plan_cv_.wait_for(lock, timeout, [&] {
    for (const auto& [host, nonce] : nonce_of) {
      if (!plan_answers_.count(nonce)) return false;
    }
    return true;
  });
  for (const std::string& host : targets) {
    auto n = nonce_of.find(host);
    if (n == nonce_of.end()) {
      answers.push_back({host, PlanStatus::kOffline, "", "not connected"});
      continue;
    }
    auto a = plan_answers_.find(n->second);
    if (a == plan_answers_.end()) {
      answers.push_back({host, PlanStatus::kNoAnswer, "",
                         absl::StrCat("no answer within ", timeout.count(), " s")});
      continue;
    }
    answers.push_back(a->second);
    plan_answers_.erase(a);
  }
  return std::make_pair(policy, answers);
}

void RolloutManager::OnPlanAnswer(const std::string& nonce, const PlanAnswer& answer) {
  {
    std::lock_guard<std::mutex> lock(plan_mu_);
    plan_answers_[nonce] = answer;
  }
  plan_cv_.notify_all();
}

absl::StatusOr<RolloutRecord> RolloutManager::Start(const StartRequest& request,
                                                    const std::string& who) {
  std::lock_guard<std::mutex> lock(mu_);
  auto fail = [&](absl::Status s) {
    AuditResult(who, "rollout start", request.policy, s);
    return s;
  };
  ASSIGN_OR_RETURN(std::vector<WaveSize> waves, ParseWaves(request.waves));
  ASSIGN_OR_RETURN(std::vector<PolicyVersionRecord> latest, store_.LatestPolicies());
  auto policy = std::find_if(latest.begin(), latest.end(), [&](const PolicyVersionRecord& p) {
    return p.name == request.policy;
  });
  if (policy == latest.end()) {
    return fail(absl::NotFoundError(absl::StrCat("no playbook named \"", request.policy,
                                                 "\" is loaded (see the controller's playbook dir)")));
  }
  absl::StatusOr<std::vector<std::string>> resolved = ResolveTargets(request);
  if (!resolved.ok()) return fail(resolved.status());
  std::vector<std::string> targets = *resolved;
  if (targets.empty()) return fail(absl::InvalidArgumentError("the rollout targets no host"));
  RolloutSpec spec;
  ASSIGN_OR_RETURN(spec.id, store_.NextRolloutId());
  spec.policy = policy->name;
  spec.version = policy->version;
  spec.hosts = targets;
  spec.waves = waves;
  spec.wave_failure_budget = request.wave_failure_budget;
  spec.pause_between_waves = request.pause_between_waves;
  spec.rollback_on_halt = request.rollback_on_halt;
  spec.offline_deadline_s = request.offline_deadline_s;
  RolloutEngine engine(spec);
  absl::StatusOr<std::vector<Action>> actions =
      engine.Start(registry_.OnlineHosts(), clock_.WallSeconds());
  if (!actions.ok()) return fail(actions.status());
  std::string id = spec.id;
  engines_.emplace(id, std::move(engine));
  Bookkeeping& book = books_[id];
  book.created_by = who;
  book.created_at = clock_.WallSeconds();
  Execute(id, *actions);
  AuditResult(who, "rollout start", absl::StrCat(id, " ", spec.policy, " v", spec.version),
              absl::OkStatus());
  return Snapshot(id);
}

absl::StatusOr<RolloutRecord> RolloutManager::Get(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (engines_.count(id)) return Snapshot(id);
  ASSIGN_OR_RETURN(std::optional<RolloutRecord> r, store_.Rollout(id));
  if (!r) return absl::NotFoundError(absl::StrCat("no rollout \"", id, "\""));
  return *r;
}

absl::StatusOr<RolloutRecord> RolloutManager::Command(const std::string& id,
                                                      const std::string& who,
                                                      const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = engines_.find(id);
  absl::StatusOr<std::vector<Action>> actions =
      it == engines_.end()
          ? absl::StatusOr<std::vector<Action>>(absl::FailedPreconditionError(
                absl::StrCat("rollout \"", id, "\" is not active (unknown or finished)")))
      : what == "pause"  ? it->second.Pause()
      : what == "resume" ? it->second.Resume(clock_.WallSeconds())
                         : it->second.Abort();
  AuditResult(who, absl::StrCat("rollout ", what), id, actions.status());
  if (!actions.ok()) return actions.status();
  Execute(id, *actions);
  return Snapshot(id);
}

absl::StatusOr<RolloutRecord> RolloutManager::Pause(const std::string& id, const std::string& who) {
  return Command(id, who, "pause");
}
absl::StatusOr<RolloutRecord> RolloutManager::Resume(const std::string& id,
                                                     const std::string& who) {
  return Command(id, who, "resume");
}
absl::StatusOr<RolloutRecord> RolloutManager::Abort(const std::string& id, const std::string& who) {
  return Command(id, who, "abort");
}

bool RolloutManager::Matches(const HostRecord& h, const std::vector<std::string>& hosts,
                             const std::map<std::string, std::string>& labels) {
  if (std::find(hosts.begin(), hosts.end(), h.name) != hosts.end()) return true;
  if (labels.empty()) return false;
  for (const auto& [k, v] : labels) {
    auto it = h.labels.find(k);
    if (it == h.labels.end() || it->second != v) return false;
  }
  return true;
}

std::string RolloutManager::CommitBeforeRollout(const std::string& id, const std::string& host) {
  absl::StatusOr<std::optional<HostResult>> change = store_.FirstChangeInRollout(id, host);
  if (!change.ok()) {
    Logger("controller.rollout")->error("rollout {}: {}", id, change.status().message());
    return "";
  }
  return change->has_value() ? (*change)->backup_commit : "";
}

absl::StatusOr<std::vector<HostRollback>> RolloutManager::Rollback(const RollbackTargets& targets,
                                                                   std::chrono::seconds wait,
                                                                   const std::string& who) {
  const std::string audit_target =
      targets.rollout_id.empty() ? "hosts" : absl::StrCat("rollout ", targets.rollout_id);
  std::vector<HostRollback> out;
  std::map<std::string, size_t> index_of_nonce;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto fail = [&](absl::Status s) {
      AuditResult(who, "rollback", audit_target, s);
      return s;
    };
    absl::StatusOr<std::vector<HostRecord>> known = store_.Hosts();
    if (!known.ok()) return fail(known.status());
    for (const std::string& name : targets.hosts) {
      if (std::none_of(known->begin(), known->end(),
                       [&](const HostRecord& h) { return h.name == name; })) {
        return fail(absl::NotFoundError(absl::StrCat("unknown host \"", name, "\"")));
      }
    }
    const bool narrowed = !targets.hosts.empty() || !targets.labels.empty();
    std::vector<std::string> chosen;
    if (!targets.rollout_id.empty()) {
      absl::StatusOr<std::optional<RolloutRecord>> rollout = store_.Rollout(targets.rollout_id);
      if (!rollout.ok()) return fail(rollout.status());
      if (!rollout->has_value()) {
        return fail(absl::NotFoundError(absl::StrCat("no rollout \"", targets.rollout_id, "\"")));
      }
      const std::vector<std::string>& in_rollout = (*rollout)->spec.hosts;
      for (const std::string& name : targets.hosts) {
        if (std::find(in_rollout.begin(), in_rollout.end(), name) == in_rollout.end()) {
          return fail(absl::NotFoundError(absl::StrCat("host \"", name,
                                                       "\" is not a target of rollout ",
                                                       targets.rollout_id)));
        }
      }
      for (const HostRecord& h : *known) {
        bool in = std::find(in_rollout.begin(), in_rollout.end(), h.name) != in_rollout.end();
        if (in && (!narrowed || Matches(h, targets.hosts, targets.labels))) {
          chosen.push_back(h.name);
        }
      }
    } else {
      if (!narrowed) {
        return fail(absl::InvalidArgumentError("rollback needs --host, --label or --rollout"));
      }
      for (const HostRecord& h : *known) {
        if (Matches(h, targets.hosts, targets.labels)) chosen.push_back(h.name);
      }
    }
    if (chosen.empty()) return fail(absl::InvalidArgumentError("no host matches"));
    for (const std::string& host : chosen) {
      HostRollback r;
      r.host = host;
      if (!targets.rollout_id.empty()) {
        r.to_commit = CommitBeforeRollout(targets.rollout_id, host);
        if (r.to_commit.empty()) {
          r.status = RollbackStatus::kSkipped;
          r.error = "the rollout did not change this host";
          out.push_back(r);
          continue;
        }
      }
      std::string nonce;
      {
        std::lock_guard<std::mutex> answers(plan_mu_);
        nonce = absl::StrCat(targets.rollout_id.empty() ? "rollback" : targets.rollout_id,
                             "-rollback-", next_rollback_++, "-", clock_.WallSeconds());
        awaited_[nonce].rollout_id = targets.rollout_id;
      }
      AgentCommand c{AgentCommand::Kind::kRollback, nonce, targets.rollout_id, "", 0, "",
                     r.to_commit, ""};
      r.status = registry_.Send(host, c) ? RollbackStatus::kSent : RollbackStatus::kOffline;
      if (r.status == RollbackStatus::kSent) {
        index_of_nonce[nonce] = out.size();
      } else {
        std::lock_guard<std::mutex> answers(plan_mu_);
        awaited_.erase(nonce);
      }
      out.push_back(r);
    }
    size_t sent = index_of_nonce.size(), offline = 0, skipped = 0;
    for (const HostRollback& r : out) {
      offline += r.status == RollbackStatus::kOffline;
      skipped += r.status == RollbackStatus::kSkipped;
    }
    AuditResult(who, "rollback", audit_target,
                sent > 0 ? absl::OkStatus()
                         : absl::FailedPreconditionError(absl::StrCat(
                               "nothing sent: ", offline, " offline, ", skipped, " skipped")));
  }
  std::unique_lock<std::mutex> lock(plan_mu_);
  plan_cv_.wait_for(lock, wait, [&] {
    for (const auto& [nonce, i] : index_of_nonce) {
      if (!awaited_[nonce].answered) return false;
    }
    return true;
  });
  for (const auto& [nonce, i] : index_of_nonce) {
    AwaitedRollback& a = awaited_[nonce];
    HostRollback& r = out[i];
    if (a.answered) {
      r.status = !a.ack                              ? RollbackStatus::kFailed
                 : a.result.outcome == "restored" ? RollbackStatus::kRestored
                                                  : RollbackStatus::kUnchanged;
      r.error = a.result.error.empty() ? "" : absl::StrCat(a.result.phase, ": ", a.result.error);
      r.result_commit = a.result.result_commit;
    } else if (wait.count() > 0) {
      r.status = RollbackStatus::kNoAnswer;
      r.error = absl::StrCat("no answer within ", wait.count(), " s");
    }
    awaited_.erase(nonce);
  }
  return out;
}

absl::StatusOr<std::vector<HostResult>> RolloutManager::HostHistory(const std::string& host,
                                                                     size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  return store_.ResultsForHost(host, limit);
}

void RolloutManager::OnHostOnline(const std::string& host) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, engine] : engines_) Execute(id, engine.OnHostOnline(host, clock_.WallSeconds()));
}

void RolloutManager::OnHostOffline(const std::string& host) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, engine] : engines_) Execute(id, engine.OnHostOffline(host, clock_.WallSeconds()));
}

void RolloutManager::OnAnswer(const std::string& host, const HostResult& result, bool ack) {
  std::lock_guard<std::mutex> lock(mu_);
  HostResult stored = result;
  stored.at = clock_.WallSeconds();
  bool awaited = false;
  {
    std::lock_guard<std::mutex> answers(plan_mu_);
    if (auto it = awaited_.find(result.nonce); it != awaited_.end()) {
      stored.rollout_id = it->second.rollout_id;
      it->second.answered = true;
      it->second.ack = ack;
      it->second.result = stored;
      awaited = true;
    }
  }
  if (awaited) plan_cv_.notify_all();
  for (const auto& [id, engine] : engines_) {
    auto it = engine.state().hosts.find(host);
    if (it != engine.state().hosts.end() && it->second.nonce == result.nonce) stored.rollout_id = id;
  }
  if (absl::Status s = store_.AddResult(stored); !s.ok()) {
    Logger("controller.rollout")->error("cannot store result of {}: {}", host, s.message());
  }
  for (auto& [id, engine] : engines_) {
    std::vector<Action> actions =
        ack ? engine.OnAck(host, result.nonce, clock_.WallSeconds())
            : engine.OnNack(host, result.nonce, result.phase + ": " + result.error,
                            clock_.WallSeconds());
    Execute(id, actions);
  }
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
