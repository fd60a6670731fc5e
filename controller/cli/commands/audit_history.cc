// relayguardctl history HOST and audit: what the controller saw of one host, and every
// operator action.
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/apply_outcome_proto.h"
#include "common/command_line.h"
#include "common/table.h"
#include "controller/cli/commands/commands.h"

namespace relayguard::controller {
namespace pb = ::relayguard::v1;

namespace {

struct ListFlags {
  std::string host;
  int limit = 50;
  bool json = false;
};

void AddLimit(CLI::App& cmd, int& limit) {
  cmd.add_option("--limit", limit, "how many, newest first")->check(IntBetween(0, 1000000, "needs a non-negative number"));
}

int History(const CtlContext& ctl, const ListFlags& f) {
  return ctl.WithStub([&](pb::Operator::Stub& stub) {
    pb::HostHistoryRequest req;
    req.set_host(f.host);
    req.set_limit(f.limit);
    pb::HostHistoryResponse r;
    if (grpc::Status s = stub.HostHistory(CallContext().get(), req, &r); !s.ok()) {
      return ctl.Fail(s);
    }
    if (f.json) {
      std::cout << ProtoJson(r);
      return kCtlExitOk;
    }
    Table t({{"WHEN", 20}, {"ROLLOUT", 10}, {"OUTCOME", 16}, {"COMMIT", 10}, {"DETAIL"}});
    for (const pb::HostResultInfo& e : r.results()) {
      t.AddRow({LocalWhen(e.at()), e.rollout_id().empty() ? "-" : e.rollout_id(),
                ApplyOutcomeText(e.outcome()), e.result_commit().substr(0, 10),
                e.phase().empty() ? e.error() : absl::StrCat(e.phase(), ": ", e.error())});
    }
    std::cout << t.Render();
    return kCtlExitOk;
  });
}

int Audit(const CtlContext& ctl, const ListFlags& f) {
  return ctl.WithStub([&](pb::Operator::Stub& stub) {
    pb::ListAuditRequest req;
    req.set_limit(f.limit);
    pb::ListAuditResponse r;
    if (grpc::Status s = stub.ListAudit(CallContext().get(), req, &r); !s.ok()) {
      return ctl.Fail(s);
    }
    if (f.json) {
      std::cout << ProtoJson(r);
      return kCtlExitOk;
    }
    Table t({{"WHEN", 20}, {"WHO", 20}, {"ACTION", 18}, {"TARGET", 30}, {"RESULT", 12},
             {"REASON"}});
    for (const pb::AuditEntry& e : r.entries()) {
      t.AddRow({LocalWhen(e.at()), e.who(), e.action(), e.target(), e.result(),
                e.reason().empty() ? "-" : e.reason()});
    }
    std::cout << t.Render();
    return kCtlExitOk;
  });
}

}  // namespace

void AddHistoryCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run) {
  auto f = std::make_shared<ListFlags>();
  CLI::App* cmd = app.add_subcommand("history", "what the controller saw of one host");
  cmd->add_option("HOST", f->host, "the host")->required();
  AddLimit(*cmd, f->limit);
  AddJsonFlag(*cmd, f->json);
  OnChosen(*cmd, run, [&ctl, f] { return History(ctl, *f); });
}

void AddAuditCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run) {
  auto f = std::make_shared<ListFlags>();
  CLI::App* cmd =
      app.add_subcommand("audit", "every operator action: who, what, when, result and the reason "
                                  "the operator gave");
  AddLimit(*cmd, f->limit);
  AddJsonFlag(*cmd, f->json);
  OnChosen(*cmd, run, [&ctl, f] { return Audit(ctl, *f); });
}

}  // namespace relayguard::controller
