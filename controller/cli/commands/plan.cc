// relayguardctl plan: every target computes its diff for a policy; nothing changes.
#include <iostream>
#include <memory>

#include "absl/strings/str_split.h"
#include "controller/cli/commands/commands.h"
#include "controller/rollout/rollout_proto.h"

namespace relayguard::controller {
namespace pb = ::relayguard::v1;

namespace {

struct PlanFlags {
  std::string policy;
  Targets targets;
  bool json = false;
};

int Plan(const CtlContext& ctl, const PlanFlags& f) {
  return ctl.WithStub([&](pb::Operator::Stub& stub) {
    pb::PlanRequest req;
    req.set_policy(f.policy);
    for (const std::string& h : TargetHosts(f.targets)) req.add_hosts(h);
    for (const auto& [k, v] : f.targets.labels) (*req.mutable_labels())[k] = v;
    pb::PlanResponse r;
    if (grpc::Status s = stub.Plan(CallContext(std::chrono::seconds(90)).get(), req, &r);
        !s.ok()) {
      return ctl.Fail(s);
    }
    if (f.json) {
      std::cout << ProtoJson(r);
    } else {
      std::cout << "plan for " << r.policy() << " v" << r.version() << " (nothing was changed)\n";
      for (const pb::HostPlan& h : r.hosts()) {
        std::cout << "== " << h.host() << std::string(h.host().size() < 24 ? 24 - h.host().size()
                                                                           : 0, ' ')
                  << " " << PlanStatusText(h.status()) << " " << h.error() << "\n";
        for (absl::string_view line : absl::StrSplit(h.diff(), '\n', absl::SkipEmpty())) {
          std::cout << "   | " << line << "\n";
        }
      }
    }
    std::map<std::string, int> counts;
    for (const pb::HostPlan& h : r.hosts()) ++counts[PlanStatusText(h.status())];
    std::cerr << "fleet: " << r.hosts_size() << " hosts: " << CountsText(counts) << "\n";
    return kCtlExitOk;
  });
}

}  // namespace

void AddPlanCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run) {
  auto f = std::make_shared<PlanFlags>();
  CLI::App* cmd = app.add_subcommand(
      "plan", "every target computes its diff for POLICY; nothing changes");
  cmd->add_option("POLICY", f->policy, "playbook name")->required();
  AddTargetOptions(*cmd, f->targets);
  AddJsonFlag(*cmd, f->json);
  OnChosen(*cmd, run, [&ctl, f] { return Plan(ctl, *f); });
}

}  // namespace relayguard::controller
