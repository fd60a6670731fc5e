// relayguardctl attempts: what the hosts' log monitors counted (refused relay attempts, failed
// logins, relays) per host and source since a time; --json.
#include <ctime>
#include <iostream>
#include <memory>

#include "common/command_line.h"
#include "common/duration.h"
#include "controller/cli/attempts_output.h"
#include "controller/cli/commands/commands.h"

namespace relayguard::controller {
namespace pb = ::relayguard::v1;

namespace {

struct AttemptsFlags {
  std::string host;
  std::string since = "24h";
  int limit = 100;
  bool json = false;
};

int Attempts(const CtlContext& ctl, const AttemptsFlags& f) {
  absl::StatusOr<int64_t> since = ParseSince(f.since, static_cast<int64_t>(std::time(nullptr)));
  if (!since.ok()) {  // checked while parsing the command line already
    std::cerr << "relayguardctl: --since: " << since.status().message() << "\n";
    return kCtlExitUsage;
  }
  return ctl.WithStub([&](pb::Operator::Stub& stub) {
    pb::ListAttemptsRequest req;
    req.set_host(f.host);
    req.set_since(*since);
    req.set_limit(f.limit);
    pb::ListAttemptsResponse r;
    if (grpc::Status s = stub.ListAttempts(CallContext().get(), req, &r); !s.ok()) {
      return ctl.Fail(s);
    }
    std::cout << (f.json ? ProtoJson(r) : AttemptsTable(r));
    return kCtlExitOk;
  });
}

}  // namespace

void AddAttemptsCommand(CLI::App& app, const CtlContext& ctl, CtlRun& run) {
  auto f = std::make_shared<AttemptsFlags>();
  CLI::App* cmd = app.add_subcommand(
      "attempts",
      "what the hosts' log monitors counted: relay attempts refused, distinct recipients, failed "
      "logins and relays per host and source address, most refused first");
  cmd->add_option("--host", f->host, "one host only")
      ->check(CLI::Validator(
          [](std::string& host) -> std::string {
            return host.find(',') == std::string::npos ? ""
                                                       : "takes one host, got \"" + host + "\"";
          },
          "HOST"));
  cmd->add_option("--since", f->since,
                  "from when: a duration back from now (10m, 24h, 7d) or an RFC 3339 time "
                  "(2026-12-05T10:00:00Z)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            absl::StatusOr<int64_t> at = ParseSince(text, 0);
            return at.ok() ? "" : std::string(at.status().message());
          },
          "WHEN"));
  cmd->add_option("--limit", f->limit, "rows (host and source pairs)")->check(IntBetween(1, 10000));
  AddJsonFlag(*cmd, f->json);
  OnChosen(*cmd, run, [&ctl, f] { return Attempts(ctl, *f); });
}

}  // namespace relayguard::controller
