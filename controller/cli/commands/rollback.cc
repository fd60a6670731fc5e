// relayguardctl rollback: restore hosts, each verified by its agent; waits for every answer.
#include <iostream>
#include <memory>

#include "common/table.h"
#include "controller/cli/commands/commands.h"
#include "controller/rollout/rollout_proto.h"

namespace relayguard::controller {
namespace pb = ::relayguard::v1;

namespace {

constexpr int kWaitS = 120;

struct RollbackFlags {
  std::string rollout;
  Targets targets;
  std::string reason;
  bool no_wait = false, json = false;
};

int Rollback(const CtlContext& ctl, const RollbackFlags& f) {
  return ctl.WithStub([&](pb::Operator::Stub& stub) {
    pb::RollbackHostsRequest req;
    req.set_rollout_id(f.rollout);
    for (const std::string& h : TargetHosts(f.targets)) req.add_hosts(h);
    for (const auto& [k, v] : f.targets.labels) (*req.mutable_labels())[k] = v;
    req.set_wait_s(f.no_wait ? 0 : kWaitS);
    req.set_reason(f.reason);
    if (!f.no_wait && !f.json) {
      std::cerr << "rolling back"
                << (f.rollout.empty() ? std::string() : " the hosts of rollout " + f.rollout)
                << "; every agent restores, reloads and verifies (up to " << kWaitS << " s)\n";
    }
    pb::RollbackHostsResponse r;
    if (grpc::Status s =
            stub.RollbackHosts(CallContext(std::chrono::seconds(kWaitS + 30)).get(), req, &r);
        !s.ok()) {
      return ctl.Fail(s);
    }
    std::map<std::string, int> counts;
    int failed = 0, unanswered = 0;
    for (const pb::HostRollback& h : r.hosts()) {
      ++counts[RollbackStatusText(h.status())];
      failed += h.status() == pb::ROLLBACK_STATUS_FAILED;
      unanswered += h.status() == pb::ROLLBACK_STATUS_OFFLINE ||
                    h.status() == pb::ROLLBACK_STATUS_NO_ANSWER;
    }
    if (f.json) {
      std::cout << ProtoJson(r);
    } else {
      Table t({{"HOST", 24}, {"ROLLBACK", 10}, {"TO", 10}, {"DETAIL"}});
      for (const pb::HostRollback& h : r.hosts()) {
        t.AddRow({h.host(), RollbackStatusText(h.status()),
                  h.to_commit().empty() ? "previous" : h.to_commit().substr(0, 10), h.error()});
      }
      std::cout << t.Render();
      std::cerr << "rollback: " << r.hosts_size() << " hosts: " << CountsText(counts) << "\n";
    }
    if (failed > 0) return kCtlExitHalted;
    return unanswered > 0 ? kCtlExitFailed : kCtlExitOk;
  });
}

}  // namespace

void AddRollbackCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run) {
  auto f = std::make_shared<RollbackFlags>();
  CLI::App* cmd = app.add_subcommand(
      "rollback",
      "restore hosts, verified by each agent: with --rollout to their commit from before that "
      "rollout, else to the one before their newest apply; waits for every answer (up to 120 s)");
  cmd->add_option("--rollout", f->rollout, "the rollout whose hosts to restore")->type_name("ID");
  AddTargetOptions(*cmd, f->targets);
  AddReasonOption(*cmd, f->reason);
  cmd->add_flag("--no-wait", f->no_wait, "only send the rollback; do not wait for answers");
  AddJsonFlag(*cmd, f->json);
  OnChosen(*cmd, run, [&ctl, f] { return Rollback(ctl, *f); });
}

}  // namespace relayguard::controller
