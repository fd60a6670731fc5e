// relayguardctl compliance: every host's newest scheduled check, the fleet's share compliant,
// the enforcement holds; --diff, --history, --json, --csv (compliance_output.h renders them).
#include <ctime>
#include <iostream>
#include <memory>

#include "common/command_line.h"
#include "controller/cli/commands/commands.h"
#include "controller/cli/compliance_output.h"

namespace relayguard::controller {
namespace pb = ::relayguard::v1;

namespace {

struct ComplianceFlags {
  std::string host;
  bool history = false, diff = false, json = false, csv = false;
  int limit = 50;
};

int Compliance(const CtlContext& ctl, const ComplianceFlags& f) {
  return ctl.WithStub([&](pb::Operator::Stub& stub) {
    pb::ComplianceRequest req;
    req.set_host(f.host);
    req.set_history(f.history);
    req.set_limit(f.limit);
    pb::ComplianceResponse r;
    if (grpc::Status s = stub.Compliance(CallContext().get(), req, &r); !s.ok()) {
      return ctl.Fail(s);
    }
    if (f.json) {
      std::cout << ComplianceJson(r);
    } else if (f.csv) {
      std::cout << (f.history ? ComplianceHistoryCsv(r) : ComplianceCsv(r));
    } else if (f.history) {
      std::cout << ComplianceHistoryTable(r);
    } else {
      std::cout << ComplianceTable(r, static_cast<int64_t>(std::time(nullptr)));
      if (f.diff) std::cout << ComplianceDiff(r);
    }
    return ComplianceExitCode(r);
  });
}

}  // namespace

void AddComplianceCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run) {
  auto f = std::make_shared<ComplianceFlags>();
  CLI::App* cmd = app.add_subcommand(
      "compliance",
      "every host's newest scheduled check (status, policy, mode, when, enforcement), the "
      "fleet's share compliant and the enforcement holds; an offline host is \"unreachable\" "
      "(its last check kept)");
  cmd->add_option("--host", f->host, "one host only")
      ->check(CLI::Validator(
          [](std::string& host) -> std::string {
            return host.find(',') == std::string::npos ? "" : "takes one host, got \"" + host +
                                                                  "\"";
          },
          "HOST"));
  cmd->add_flag("--history", f->history, "the checks, newest first (--limit)");
  cmd->add_option("--limit", f->limit, "history entries")->check(IntBetween(0, 1000000, "needs a non-negative number"));
  cmd->add_flag("--diff", f->diff,
                "each drifted host's settings, listeners, changed files with their diffs, "
                "enforcement commits");
  CLI::Option* json = AddJsonFlag(*cmd, f->json);
  cmd->add_flag("--csv", f->csv, "one row per host (or history entry)")->excludes(json);
  cmd->footer(
      "Connection (relayguardctl --help): --controller HOST:PORT, --ca, --cert, --key or "
      "--insecure, before or after the command.\n"
      "exit codes: 0 every host compliant, 4 some host's newest check found drift, an open relay\n"
      "  or an error (also when it is offline now), 5 otherwise some host is unreachable or was\n"
      "  never checked, 1 usage, 2 the controller refused or failed\n");
  OnChosen(*cmd, run, [&ctl, f] { return Compliance(ctl, *f); });
}

}  // namespace relayguard::controller
