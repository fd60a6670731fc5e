#include "controller/cli/scan_command.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "agent/probe/relay_scan.h"
#include "agent/probe/scan_targets.h"

namespace relayguard::controller {
namespace {

constexpr char kUsage[] = R"(usage: relayguardctl scan [FLAGS] TARGET...
  TARGET: HOST:PORT or [V6]:PORT (IP literals), CIDR or CIDR:PORT (every host, port 25 unless
          given), @FILE (one target per line, # comments)
  --from ADDR            source address to connect from (default: any)
  --concurrency N        connections at once (default 32)
  --timeout-s N          per SMTP command (default 10)
  --sender-domain D      foreign sender domain of the tricks (default example.org)
  --victim-domain D      foreign recipient domain of the tricks (default example.net)
  --data                 for MTAs that refuse only at DATA: after an accepted RCPT send DATA;
                         354 = relays (the connection is dropped before any body), 5xx = refused
  --starttls MODE        off | when-offered | both (default both: every trick in plaintext and,
                         when EHLO offers STARTTLS, again after STARTTLS; relays if either does)
  --tls-on-connect PORTS targets on these ports (comma-separated, e.g. 465) speak TLS from the
                         first byte (SMTPS, "submissions"): every connection starts with the
                         TLS handshake
  --json | --csv         machine-readable output (default: a table)
Every known relay trick (nmap smtp-open-relay's 16, Nessus 11852's extra senders) is tried with
MAIL FROM and RCPT TO only (and DATA with --data); no message body is ever sent.
exit codes: 0 no target relays, 4 at least one relays, 1 usage, 2 bad targets
)";

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot open it");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int RunScanCommand(const std::vector<std::string>& args) {
  agent::ScanOptions options;
  options.probe.source = IpAddress{IpFamily::kV4, {0, 0, 0, 0}};
  bool json = false, csv = false, source_given = false;
  std::vector<std::string> targets;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    std::string v;
    int n = 0;
    if (a == "--json") {
      json = true;
    } else if (a == "--data") {
      options.probe.data_mode = true;
    } else if (a == "--csv") {
      csv = true;
    } else if (a == "--from" && value(&v)) {
      absl::StatusOr<IpAddress> source = ParseIpAddress(v);
      if (!source.ok()) {
        std::cerr << "relayguardctl scan: --from: " << source.status().message() << "\n";
        return 1;
      }
      options.probe.source = *source;
      source_given = true;
    } else if ((a == "--concurrency" || a == "--timeout-s") && value(&v)) {
      if (!absl::SimpleAtoi(v, &n) || n < 1 || n > 1024) {
        std::cerr << "relayguardctl scan: " << a << " needs 1..1024, got \"" << v << "\"\n";
        return 1;
      }
      if (a == "--concurrency") options.concurrency = n;
      if (a == "--timeout-s") options.probe.timeout = std::chrono::seconds(n);
    } else if (a == "--starttls" && value(&v)) {
      absl::StatusOr<agent::StartTls> mode = agent::ParseStartTls(v);
      if (!mode.ok()) {
        std::cerr << "relayguardctl scan: --starttls: " << mode.status().message() << "\n";
        return 1;
      }
      options.probe.starttls = *mode;
    } else if (a == "--tls-on-connect" && value(&v)) {
      for (absl::string_view port : absl::StrSplit(v, ',')) {
        if (!absl::SimpleAtoi(port, &n) || n < 1 || n > 65535) {
          std::cerr << "relayguardctl scan: --tls-on-connect needs ports 1..65535 separated by "
                       "commas, got \""
                    << v << "\"\n";
          return 1;
        }
        options.tls_on_connect_ports.push_back(static_cast<uint16_t>(n));
      }
    } else if (a == "--sender-domain" && value(&v)) {
      options.domains.sender_domain = v;
    } else if (a == "--victim-domain" && value(&v)) {
      options.domains.victim_domain = v;
    } else if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (a.rfind("--", 0) == 0) {
      std::cerr << "relayguardctl scan: unknown flag or missing value: " << a << "\n" << kUsage;
      return 1;
    } else {
      targets.push_back(a);
    }
  }
  if (targets.empty() || (json && csv)) {
    std::cerr << kUsage;
    return 1;
  }
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

}  // namespace relayguard::controller
