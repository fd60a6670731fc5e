// relayguardctl rollout start|status|list|pause|resume|abort: rollouts in waves; --wait
// follows one until it finishes, printing progress.
#include <iostream>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/command_line.h"
#include "common/table.h"
#include "controller/cli/commands/commands.h"
#include "controller/rollout/rollout_proto.h"

namespace relayguard::controller {
namespace pb = ::relayguard::v1;

namespace {

struct StartFlags {
  std::string policy;
  Targets targets;
  std::string waves = "100%";
  int budget = 0;
  bool pause = false, rollback_on_halt = false;
  int64_t offline_deadline = 0;
  std::string reason;
};

struct FollowFlags {
  bool wait = false, json = false;
};

void PrintRollout(const pb::RolloutInfo& r, bool json) {
  if (json) {
    std::cout << ProtoJson(r);
    return;
  }
  std::cout << "rollout " << r.id() << "  policy " << r.policy() << " v" << r.version() << "  "
            << RolloutStatusText(r.status()) << "  wave " << r.current_wave() + 1 << "/" << r.waves() << "\n";
  if (!r.created_by().empty()) {
    std::cout << "  started by " << r.created_by()
              << (r.reason().empty() ? std::string() : ": " + r.reason()) << "\n";
  }
  if (!r.halt_reason().empty()) std::cout << "  halted: " << r.halt_reason() << "\n";
  Table t({{"", 24}, {"", 13}, {"", 8}, {""}}, "  ");
  for (const pb::RolloutHost& h : r.hosts()) {
    t.AddRow({h.host(), HostPhaseText(h.phase()), absl::StrCat("wave ", h.wave() + 1), h.error()});
  }
  std::cout << t.Render();
}

int ExitForRollout(const pb::RolloutInfo& r) {
  return r.status() == pb::ROLLOUT_STATUS_HALTED || r.status() == pb::ROLLOUT_STATUS_ABORTED
             ? kCtlExitHalted
             : kCtlExitOk;
}

// Prints `info`, after following it while it runs when --wait says so.
int Follow(const CtlContext& ctl, pb::Operator::Stub& stub, pb::RolloutInfo info,
           const FollowFlags& f) {
  std::string last;
  while (f.wait && info.status() == pb::ROLLOUT_STATUS_RUNNING) {
    std::string line = absl::StrCat(RolloutStatusText(info.status()), " wave ", info.current_wave() + 1, "/",
                                    info.waves());
    int done = 0;
    for (const auto& h : info.hosts()) done += h.phase() == pb::HOST_PHASE_SUCCEEDED || h.phase() == pb::HOST_PHASE_FAILED;
    absl::StrAppend(&line, ", ", done, "/", info.hosts_size(), " hosts answered");
    if (line != last && !f.json) std::cerr << "  ... " << line << "\n";
    last = line;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    pb::GetRolloutRequest get;
    get.set_id(info.id());
    if (grpc::Status s = stub.GetRollout(CallContext().get(), get, &info); !s.ok()) {
      return ctl.Fail(s);
    }
  }
  PrintRollout(info, f.json);
  return ExitForRollout(info);
}

int Start(const CtlContext& ctl, const StartFlags& f, const FollowFlags& follow) {
  return ctl.WithStub([&](pb::Operator::Stub& stub) {
    pb::StartRolloutRequest req;
    req.set_policy(f.policy);
    for (const std::string& h : TargetHosts(f.targets)) req.add_hosts(h);
    for (const auto& [k, v] : f.targets.labels) (*req.mutable_labels())[k] = v;
    req.set_waves(f.waves);
    req.set_wave_failure_budget(f.budget);
    req.set_pause_between_waves(f.pause);
    req.set_rollback_on_halt(f.rollback_on_halt);
    req.set_offline_deadline_s(f.offline_deadline);
    req.set_reason(f.reason);
    pb::RolloutInfo info;
    if (grpc::Status s = stub.StartRollout(CallContext().get(), req, &info); !s.ok()) {
      return ctl.Fail(s);
    }
    if (!follow.json) std::cerr << "started rollout " << info.id() << "\n";
    return Follow(ctl, stub, info, follow);
  });
}

int List(const CtlContext& ctl, bool json) {
  return ctl.WithStub([&](pb::Operator::Stub& stub) {
    pb::ListRolloutsResponse r;
    if (grpc::Status s = stub.ListRollouts(CallContext().get(), {}, &r); !s.ok()) {
      return ctl.Fail(s);
    }
    if (json) {
      std::cout << ProtoJson(r);
      return kCtlExitOk;
    }
    Table t({{"", 10}, {"", 24}, {"", 10}, {""}});
    for (const pb::RolloutInfo& info : r.rollouts()) {
      t.AddRow({info.id(), absl::StrCat(info.policy(), " v", info.version()), RolloutStatusText(info.status()),
                absl::StrCat("wave ", info.current_wave() + 1, "/", info.waves())});
    }
    std::cout << t.Render();
    return kCtlExitOk;
  });
}

using RolloutCall = grpc::Status (pb::Operator::Stub::*)(grpc::ClientContext*,
                                                         const pb::GetRolloutRequest&,
                                                         pb::RolloutInfo*);

// status, pause, resume, abort: one call on rollout ID, then its state. `with_reason`: the
// command changes the rollout and takes --reason.
void AddIdCommand(CLI::App& rollout, const CtlContext& ctl, CtlRun& run, const std::string& name,
                  const std::string& description, RolloutCall call, bool with_reason) {
  auto id = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>();
  auto follow = std::make_shared<FollowFlags>();
  CLI::App* cmd = rollout.add_subcommand(name, description);
  cmd->add_option("ID", *id, "rollout id (r-000001)")->required();
  if (with_reason) AddReasonOption(*cmd, *reason);
  cmd->add_flag("--wait", follow->wait, "follow the rollout until it finishes");
  AddJsonFlag(*cmd, follow->json);
  OnChosen(*cmd, run, [&ctl, id, reason, follow, call] {
      return ctl.WithStub([&](pb::Operator::Stub& stub) {
        pb::GetRolloutRequest req;
        req.set_id(*id);
        req.set_reason(*reason);
        pb::RolloutInfo info;
        if (grpc::Status s = (stub.*call)(CallContext().get(), req, &info); !s.ok()) {
          return ctl.Fail(s);
        }
        return Follow(ctl, stub, info, *follow);
      });
  });
}

}  // namespace

void AddRolloutCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run) {
  CLI::App* rollout = app.add_subcommand("rollout", "rollouts in waves");
  rollout->require_subcommand(1);

  auto start = std::make_shared<StartFlags>();
  auto follow = std::make_shared<FollowFlags>();
  CLI::App* cmd = rollout->add_subcommand("start", "push POLICY to the targets, wave by wave");
  cmd->add_option("POLICY", start->policy, "playbook name (its latest loaded version)")
      ->required();
  AddTargetOptions(*cmd, start->targets);
  cmd->add_option("--waves", start->waves, "wave sizes: hosts or percentages")
      ->type_name("1,10%,100%");
  cmd->add_option("--budget", start->budget, "failures a wave may have before the rollout halts")
      ->check(IntBetween(0, 1000000, "needs a non-negative number"));
  cmd->add_flag("--pause-between-waves", start->pause, "pause after each wave until resumed");
  cmd->add_flag("--rollback-on-halt", start->rollback_on_halt,
                "roll the changed hosts back when the rollout halts");
  cmd->add_option("--offline-deadline", start->offline_deadline,
                  "seconds an offline target may take to come back before it counts as failed")
      ->check(IntBetween(0, 31536000, "needs a non-negative number of seconds"));
  AddReasonOption(*cmd, start->reason);
  cmd->add_flag("--wait", follow->wait, "follow the rollout until it finishes");
  AddJsonFlag(*cmd, follow->json);
  OnChosen(*cmd, run, [&ctl, start, follow] { return Start(ctl, *start, *follow); });

  auto list_json = std::make_shared<bool>(false);
  CLI::App* list = rollout->add_subcommand("list", "every rollout");
  AddJsonFlag(*list, *list_json);
  OnChosen(*list, run, [&ctl, list_json] { return List(ctl, *list_json); });

  AddIdCommand(*rollout, ctl, run, "status", "one rollout and its hosts",
               &pb::Operator::Stub::GetRollout, false);
  AddIdCommand(*rollout, ctl, run, "pause", "pause after the current wave",
               &pb::Operator::Stub::PauseRollout, true);
  AddIdCommand(*rollout, ctl, run, "resume", "resume a paused rollout",
               &pb::Operator::Stub::ResumeRollout, true);
  AddIdCommand(*rollout, ctl, run, "abort", "stop a rollout; nothing more is pushed",
               &pb::Operator::Stub::AbortRollout, true);
}

}  // namespace relayguard::controller
