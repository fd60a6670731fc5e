// relayguardctl scan: every known relay trick against many servers (no controller needed).
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "agent/auth/auth_scan.h"
#include "agent/probe/relay_scan.h"
#include "agent/probe/scan_targets.h"
#include "common/command_line.h"
#include "controller/cli/commands/commands.h"

namespace relayguard::controller {
namespace {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot open it");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct ScanFlags {
  agent::ScanOptions options;
  bool json = false, csv = false, source_given = false, auth = false;
  std::vector<std::string> targets;
};

int Scan(ScanFlags& f) {
  agent::ScanOptions& options = f.options;
  const bool json = f.json, csv = f.csv, source_given = f.source_given;
  const std::vector<std::string>& targets = f.targets;
  absl::StatusOr<std::vector<agent::SmtpEndpoint>> endpoints =
      agent::ParseScanTargets(targets, ReadWholeFile);
  if (!endpoints.ok()) {
    std::cerr << "relayguardctl scan: " << endpoints.status().message() << "\n";
    return 2;
  }
  // The tricks' own domains must make well-formed addresses (target host/ip come per target).
  agent::RelayTrickDomains check = options.domains;
  check.target_host = "host.invalid";
  check.target_ip = "192.0.2.1";
  if (absl::Status s = agent::ValidateRelayTrickDomains(check); !s.ok()) {
    std::cerr << "relayguardctl scan: " << s.message() << "\n";
    return 1;
  }
  if (f.auth) {
    options.extra_tests = agent::BogusAuthScanTests(
        options.domains.local_user + "@" + options.domains.sender_domain,
        options.domains.victim_user + "@" + options.domains.victim_domain);
  }
  // An IPv6 target needs an IPv6 source; without --from pick the family's "any" per target.
  std::vector<agent::SmtpEndpoint> v4, v6;
  for (const agent::SmtpEndpoint& e : *endpoints) {
    (e.host.family == IpFamily::kV4 ? v4 : v6).push_back(e);
  }
  const bool tty = isatty(STDERR_FILENO);
  auto progress = [&](size_t done, size_t total) {
    if (tty) std::fprintf(stderr, "\r  scanned %zu/%zu", done, total);
  };
  std::vector<agent::ScanResult> results;
  for (auto* group : {&v4, &v6}) {
    if (group->empty()) continue;
    agent::ScanOptions o = options;
    if (!source_given && group == &v6) o.probe.source = IpAddress{IpFamily::kV6, {}};
    if (source_given && o.probe.source.family != group->front().host.family) {
      std::cerr << "relayguardctl scan: --from " << o.probe.source.ToString()
                << " cannot reach " << group->front().ToString() << " (other address family)\n";
      return 2;
    }
    std::vector<agent::ScanResult> part = agent::RunRelayScan(*group, o, progress);
    results.insert(results.end(), part.begin(), part.end());
  }
  if (tty) std::fprintf(stderr, "\n");
  std::cout << (json ? agent::ScanJson(results) : csv ? agent::ScanCsv(results)
                                                      : agent::ScanTable(results));
  size_t relays = 0;
  for (const agent::ScanResult& r : results) relays += r.verdict == agent::ProbeVerdict::kRelayAccepted;
  if (!json && !csv) {
    std::cerr << "scan: " << results.size() << " targets, " << relays << " open relays\n";
  }
  return relays > 0 ? 4 : 0;
}

}  // namespace

void AddScanCommand(CLI::App& app, CtlRun& run) {
  auto f = std::make_shared<ScanFlags>();
  f->options.probe.source = IpAddress{IpFamily::kV4, {0, 0, 0, 0}};
  CLI::App* cmd = app.add_subcommand(
      "scan", "relay scan of many servers (no controller needed): every known relay trick "
              "(nmap smtp-open-relay's 16, Nessus 11852's extra senders) with MAIL FROM and RCPT "
              "TO only (and DATA with --data); no message body is ever sent");
  cmd->add_option("TARGET", f->targets,
                  "HOST:PORT or [V6]:PORT (IP literals), CIDR or CIDR:PORT (every host, port 25 "
                  "unless given), @FILE (one target per line, # comments)")
      ->required();
  cmd->add_option_function<std::string>(
         "--from",
         [f](const std::string& v) {
           f->options.probe.source = *ParseIpAddress(v);
           f->source_given = true;
         },
         "source address to connect from (default: any)")
      ->type_name("ADDR")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            absl::StatusOr<IpAddress> a = ParseIpAddress(v);
            return a.ok() ? "" : std::string(a.status().message());
          },
          ""));
  cmd->add_option_function<int>(
         "--concurrency", [f](int n) { f->options.concurrency = n; }, "connections at once")
      ->default_str("32")
      ->check(IntBetween(1, 1024));
  cmd->add_option_function<int>(
         "--timeout-s",
         [f](int n) { f->options.probe.timeout = std::chrono::seconds(n); },
         "per SMTP command")
      ->default_str("10")
      ->check(IntBetween(1, 1024));
  cmd->add_option("--sender-domain", f->options.domains.sender_domain,
                  "foreign sender domain of the tricks");
  cmd->add_option("--victim-domain", f->options.domains.victim_domain,
                  "foreign recipient domain of the tricks");
  cmd->add_flag("--data", f->options.probe.data_mode,
                "for MTAs that refuse only at DATA: after an accepted RCPT send DATA; 354 = "
                "relays (the connection is dropped before any body), 5xx = refused");
  cmd->add_option_function<std::string>(
         "--starttls",
         [f](const std::string& v) { f->options.probe.starttls = *agent::ParseStartTls(v); },
         "every trick in plaintext and, when EHLO offers STARTTLS, again after STARTTLS "
         "(both; relays if either does)")
      ->default_str("both")
      ->check(OneOf({"off", "when-offered", "both"}));
  cmd->add_option_function<std::vector<std::string>>(
         "--tls-on-connect",
         [f](const std::vector<std::string>& ports) {
           for (const std::string& p : ports) {
             f->options.tls_on_connect_ports.push_back(static_cast<uint16_t>(std::stoi(p)));
           }
         },
         "targets on these ports speak TLS from the first byte (SMTPS, e.g. 465)")
      ->type_name("PORTS")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->check(IntBetween(1, 65535, "needs ports 1..65535 separated by commas"));
  cmd->add_flag("--auth", f->auth,
                "also the bogus SMTP AUTH tests (a random user's wrong credentials, malformed "
                "PLAIN, an unsupported mechanism; after STARTTLS when offered): a server that "
                "answers 235 to one, or accepts the foreign RCPT after refusing it, relays "
                "(\"accepts bogus AUTH (TEST)\"); no credential is needed");
  CLI::Option* json = cmd->add_flag("--json", f->json, "machine-readable output");
  cmd->add_flag("--csv", f->csv, "one row per target")->excludes(json);
  cmd->footer(
      "No controller needed.\nexit codes: 0 no target relays, 4 at least one relays, 1 usage, 2 bad "
      "targets\n");
  OnChosen(*cmd, run, [f] { return Scan(*f); });
}

}  // namespace relayguard::controller
