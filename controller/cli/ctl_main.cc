// relayguardctl: the operator CLI. Tables for people, --json for scripts; `--wait` follows a
// rollout until it finishes, printing progress.
#include <grpcpp/grpcpp.h>

#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/json_writer.h"
#include "common/tls_files.h"
#include "controller/cli/compliance_output.h"
#include "controller/cli/scan_command.h"
#include "relayguard/v1/operator.grpc.pb.h"

namespace {

namespace pb = ::relayguard::v1;

constexpr char kUsage[] = R"(usage: relayguardctl [FLAGS] COMMAND
commands:
  hosts
  plan POLICY (--hosts a,b | --label k=v ...)   every target computes its diff; nothing changes
  rollout start POLICY (--hosts a,b | --label k=v ...) [--waves 1,10%,100%] [--budget N]
                [--pause-between-waves] [--rollback-on-halt] [--offline-deadline S] [--wait]
  rollout status ID [--wait]      rollout list
  rollout pause|resume|abort ID
  rollback (--rollout ID [--host H,.. | --label K=V] | --host H,.. | --label K=V) [--no-wait]
                                  restore hosts, verified by each agent: with --rollout to their
                                  commit from before that rollout, else to the one before their
                                  newest apply; waits for every answer (up to 120 s)
  history HOST [--limit N]        what the controller saw of one host
  audit [--limit N]               every operator action: who, what, when, result
  playbooks reload                re-read the controller's playbook directory
  compliance [--host H] [--history] [--limit N] [--diff] [--json | --csv]
                                  every host's newest scheduled check (status, policy, mode,
                                  when, enforcement), the fleet's share compliant and the
                                  enforcement holds; --diff: each drifted host's settings,
                                  changed files with their diffs, enforcement commits;
                                  --history: the checks newest first (--limit, default 50);
                                  an offline host is "unreachable" (its last check kept)
  scan TARGET... [--from A] [--json|--csv]   relay scan of many servers (no controller needed;
                                  relayguardctl scan --help)
flags: --controller HOST:PORT (default 127.0.0.1:7443) (--ca F --cert F --key F | --insecure) --json
exit codes: 0 ok, 1 usage, 2 the controller refused or failed, 3 the rollout halted or was aborted,
  4 (compliance) some host's newest check found drift, an open relay or an error (also when it
  is offline now), 5 (compliance) otherwise some host is unreachable or was never checked
)";

struct Flags {
  std::vector<std::string> words;
  std::string controller = "127.0.0.1:7443";
  std::string ca, cert, key, hosts, waves = "100%";
  std::map<std::string, std::string> labels;
  int budget = 0, limit = 50;
  int64_t offline_deadline = 0;
  bool insecure = false, json = false, wait = false, pause = false, rollback_on_halt = false;
  bool no_wait = false, csv = false, history = false, diff = false;
  std::string rollout;
};

void PrintRollout(const pb::RolloutInfo& r, bool json) {
  if (json) {
    relayguard::JsonWriter w;
    w.BeginObject().Key("id").String(r.id()).Key("policy").String(r.policy());
    w.Key("version").Int(static_cast<int64_t>(r.version())).Key("status").String(r.status());
    w.Key("current_wave").Int(r.current_wave()).Key("waves").Int(r.waves());
    w.Key("halt_reason").String(r.halt_reason()).Key("hosts").BeginArray();
    for (const auto& h : r.hosts()) {
      w.BeginObject().Key("host").String(h.host()).Key("phase").String(h.phase());
      w.Key("wave").Int(h.wave()).Key("error").String(h.error()).EndObject();
    }
    w.EndArray().EndObject();
    std::cout << w.str() << "\n";
    return;
  }
  std::cout << "rollout " << r.id() << "  policy " << r.policy() << " v" << r.version() << "  "
            << r.status() << "  wave " << r.current_wave() + 1 << "/" << r.waves() << "\n";
  if (!r.halt_reason().empty()) std::cout << "  halted: " << r.halt_reason() << "\n";
  for (const auto& h : r.hosts()) {
    std::printf("  %-24s %-13s wave %-3d %s\n", h.host().c_str(), h.phase().c_str(), h.wave() + 1,
                h.error().c_str());
  }
}

// "2026-12-02 01:20:12" in local time; "-" for 0.
std::string When(int64_t seconds) {
  if (seconds == 0) return "-";
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char when[32];
  std::strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
  return when;
}

int ExitForRollout(const pb::RolloutInfo& r) {
  return r.status() == "halted" || r.status() == "aborted" ? 3 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "scan") {
    return relayguard::controller::RunScanCommand(std::vector<std::string>(argv + 2, argv + argc));
  }
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "relayguardctl: " << a << " needs a value\n" << kUsage;
        std::exit(1);
      }
      return argv[++i];
    };
    if (a == "--controller") f.controller = value();
    else if (a == "--ca") f.ca = value();
    else if (a == "--cert") f.cert = value();
    else if (a == "--key") f.key = value();
    else if (a == "--hosts" || a == "--host") f.hosts = value();
    else if (a == "--waves") f.waves = value();
    else if (a == "--rollout") f.rollout = value();
    else if (a == "--budget" || a == "--limit" || a == "--offline-deadline") {
      std::string v = value();
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 0) {
        std::cerr << "relayguardctl: " << a << " needs a non-negative number, got \"" << v
                  << "\"\n";
        return 1;
      }
      if (a == "--budget") f.budget = static_cast<int>(n);
      if (a == "--limit") f.limit = static_cast<int>(n);
      if (a == "--offline-deadline") f.offline_deadline = n;
    } else if (a == "--label") {
      std::string v = value();
      size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::cerr << "relayguardctl: --label needs KEY=VALUE, got \"" << v << "\"\n";
        return 1;
      }
      f.labels[v.substr(0, eq)] = v.substr(eq + 1);
    } else if (a == "--insecure") f.insecure = true;
    else if (a == "--json") f.json = true;
    else if (a == "--csv") f.csv = true;
    else if (a == "--history") f.history = true;
    else if (a == "--diff") f.diff = true;
    else if (a == "--wait") f.wait = true;
    else if (a == "--no-wait") f.no_wait = true;
    else if (a == "--pause-between-waves") f.pause = true;
    else if (a == "--rollback-on-halt") f.rollback_on_halt = true;
    else if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (a.rfind("--", 0) == 0) {
      std::cerr << "relayguardctl: unknown flag " << a << "\n" << kUsage;
      return 1;
    } else {
      f.words.push_back(a);
    }
  }
  if (f.words.empty()) {
    std::cerr << kUsage;
    return 1;
  }
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (f.insecure) {
    creds = grpc::InsecureChannelCredentials();
  } else {
    if (f.ca.empty() || f.cert.empty() || f.key.empty()) {
      std::cerr << "relayguardctl: give --ca, --cert and --key (an operator certificate), or "
                   "--insecure for a local experiment\n";
      return 1;
    }
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> tls =
        relayguard::ClientTlsCredentials({f.ca, f.cert, f.key}, "operator");
    if (!tls.ok()) {
      std::cerr << "relayguardctl: " << tls.status().message() << "\n";
      return 1;
    }
    creds = *std::move(tls);
  }
  auto stub = pb::Operator::NewStub(grpc::CreateChannel(f.controller, creds));
  auto fail = [&](const grpc::Status& s) {
    std::cerr << "relayguardctl: " << s.error_message() << " (" << f.controller << ")\n";
    return 2;
  };
  auto ctx = [] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return c;
  };
  const std::vector<std::string>& w = f.words;
  auto follow = [&](pb::RolloutInfo info) {
    std::string last;
    while (f.wait && (info.status() == "running")) {
      std::string line = absl::StrCat(info.status(), " wave ", info.current_wave() + 1, "/",
                                       info.waves());
      int done = 0;
      for (const auto& h : info.hosts()) done += h.phase() == "succeeded" || h.phase() == "failed";
      absl::StrAppend(&line, ", ", done, "/", info.hosts_size(), " hosts answered");
      if (line != last && !f.json) std::cerr << "  ... " << line << "\n";
      last = line;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      pb::GetRolloutRequest get;
      get.set_id(info.id());
      if (grpc::Status s = stub->GetRollout(ctx().get(), get, &info); !s.ok()) return fail(s);
    }
    PrintRollout(info, f.json);
    return ExitForRollout(info);
  };
  if (w[0] == "hosts") {
    pb::ListHostsResponse r;
    if (grpc::Status s = stub->ListHosts(ctx().get(), {}, &r); !s.ok()) return fail(s);
    if (f.json) {
      relayguard::JsonWriter j;
      j.BeginArray();
      for (const auto& h : r.hosts()) {
        j.BeginObject().Key("name").String(h.name()).Key("online").Bool(h.online());
        j.Key("mta").String(h.mta()).Key("mta_version").String(h.mta_version());
        j.Key("applied_policy").String(h.applied_policy());
        j.Key("applied_version").Int(static_cast<int64_t>(h.applied_version()));
        j.Key("last_seen").Int(h.last_seen()).Key("labels").BeginObject();
        for (const auto& [k, v] : h.labels()) j.Key(k).String(v);
        j.EndObject().EndObject();
      }
      j.EndArray();
      std::cout << j.str() << "\n";
      return 0;
    }
    std::printf("%-24s %-8s %-18s %s\n", "HOST", "STATE", "MTA", "POLICY");
    for (const auto& h : r.hosts()) {
      std::string policy = h.applied_policy().empty()
                               ? "-"
                               : absl::StrCat(h.applied_policy(), " v", h.applied_version());
      std::printf("%-24s %-8s %-18s %s\n", h.name().c_str(), h.online() ? "online" : "offline",
                  absl::StrCat(h.mta(), " ", h.mta_version()).c_str(), policy.c_str());
    }
    return 0;
  }
  if (w[0] == "plan" && w.size() == 2) {
    pb::PlanRequest req;
    req.set_policy(w[1]);
    for (absl::string_view h : absl::StrSplit(f.hosts, ',', absl::SkipEmpty())) {
      req.add_hosts(std::string(h));
    }
    for (const auto& [k, v] : f.labels) (*req.mutable_labels())[k] = v;
    auto c = ctx();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(90));
    pb::PlanResponse r;
    if (grpc::Status s = stub->Plan(c.get(), req, &r); !s.ok()) return fail(s);
    std::map<std::string, int> counts;
    if (f.json) {
      relayguard::JsonWriter j;
      j.BeginObject().Key("policy").String(r.policy()).Key("version").Int(
          static_cast<int64_t>(r.version()));
      j.Key("hosts").BeginArray();
      for (const auto& h : r.hosts()) {
        j.BeginObject().Key("host").String(h.host()).Key("status").String(h.status());
        j.Key("diff").String(h.diff()).Key("error").String(h.error()).EndObject();
      }
      j.EndArray().EndObject();
      std::cout << j.str() << "\n";
    } else {
      std::cout << "plan for " << r.policy() << " v" << r.version() << " (nothing was changed)\n";
      for (const auto& h : r.hosts()) {
        std::printf("== %-24s %s %s\n", h.host().c_str(), h.status().c_str(), h.error().c_str());
        if (!h.diff().empty()) {
          for (absl::string_view line : absl::StrSplit(h.diff(), '\n', absl::SkipEmpty())) {
            std::cout << "   | " << line << "\n";
          }
        }
      }
    }
    for (const auto& h : r.hosts()) ++counts[h.status()];
    std::string summary;
    for (const auto& [status, n] : counts) absl::StrAppend(&summary, summary.empty() ? "" : ", ", n, " ", status);
    std::cerr << "fleet: " << r.hosts_size() << " hosts: " << summary << "\n";
    return 0;
  }
  if (w[0] == "rollout" && w.size() >= 2) {
    if (w[1] == "start" && w.size() == 3) {
      pb::StartRolloutRequest req;
      req.set_policy(w[2]);
      for (absl::string_view h : absl::StrSplit(f.hosts, ',', absl::SkipEmpty())) {
        req.add_hosts(std::string(h));
      }
      for (const auto& [k, v] : f.labels) (*req.mutable_labels())[k] = v;
      req.set_waves(f.waves);
      req.set_wave_failure_budget(f.budget);
      req.set_pause_between_waves(f.pause);
      req.set_rollback_on_halt(f.rollback_on_halt);
      req.set_offline_deadline_s(f.offline_deadline);
      pb::RolloutInfo info;
      if (grpc::Status s = stub->StartRollout(ctx().get(), req, &info); !s.ok()) return fail(s);
      if (!f.json) std::cerr << "started rollout " << info.id() << "\n";
      return follow(info);
    }
    if (w[1] == "list") {
      pb::ListRolloutsResponse r;
      if (grpc::Status s = stub->ListRollouts(ctx().get(), {}, &r); !s.ok()) return fail(s);
      if (f.json) {
        relayguard::JsonWriter j;
        j.BeginArray();
        for (const auto& info : r.rollouts()) {
          j.BeginObject().Key("id").String(info.id()).Key("policy").String(info.policy());
          j.Key("version").Int(static_cast<int64_t>(info.version()));
          j.Key("status").String(info.status()).Key("current_wave").Int(info.current_wave());
          j.Key("waves").Int(info.waves()).Key("halt_reason").String(info.halt_reason());
          j.EndObject();
        }
        j.EndArray();
        std::cout << j.str() << "\n";
        return 0;
      }
      for (const auto& info : r.rollouts()) {
        std::printf("%-10s %-24s %-10s wave %d/%d\n", info.id().c_str(),
                    absl::StrCat(info.policy(), " v", info.version()).c_str(),
                    info.status().c_str(), info.current_wave() + 1, info.waves());
      }
      return 0;
    }
    if (w.size() == 3) {
      pb::GetRolloutRequest req;
      req.set_id(w[2]);
      pb::RolloutInfo info;
      grpc::Status s;
      if (w[1] == "status") s = stub->GetRollout(ctx().get(), req, &info);
      else if (w[1] == "pause") s = stub->PauseRollout(ctx().get(), req, &info);
      else if (w[1] == "resume") s = stub->ResumeRollout(ctx().get(), req, &info);
      else if (w[1] == "abort") s = stub->AbortRollout(ctx().get(), req, &info);
      else {
        std::cerr << kUsage;
        return 1;
      }
      if (!s.ok()) return fail(s);
      return follow(info);
    }
  }
  if (w[0] == "rollback" && w.size() == 1) {
    pb::RollbackHostsRequest req;
    req.set_rollout_id(f.rollout);
    for (absl::string_view h : absl::StrSplit(f.hosts, ',', absl::SkipEmpty())) {
      req.add_hosts(std::string(h));
    }
    for (const auto& [k, v] : f.labels) (*req.mutable_labels())[k] = v;
    constexpr int kWaitS = 120;
    req.set_wait_s(f.no_wait ? 0 : kWaitS);
    auto c = ctx();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(kWaitS + 30));
    if (!f.no_wait && !f.json) {
      std::cerr << "rolling back"
                << (f.rollout.empty() ? std::string() : " the hosts of rollout " + f.rollout)
                << "; every agent restores, reloads and verifies (up to " << kWaitS << " s)\n";
    }
    pb::RollbackHostsResponse r;
    if (grpc::Status s = stub->RollbackHosts(c.get(), req, &r); !s.ok()) return fail(s);
    std::map<std::string, int> counts;
    for (const auto& h : r.hosts()) ++counts[h.status()];
    if (f.json) {
      relayguard::JsonWriter j;
      j.BeginArray();
      for (const auto& h : r.hosts()) {
        j.BeginObject().Key("host").String(h.host()).Key("status").String(h.status());
        j.Key("error").String(h.error()).Key("to_commit").String(h.to_commit());
        j.Key("result_commit").String(h.result_commit()).EndObject();
      }
      j.EndArray();
      std::cout << j.str() << "\n";
    } else {
      std::printf("%-24s %-10s %-10s %s\n", "HOST", "ROLLBACK", "TO", "DETAIL");
      for (const auto& h : r.hosts()) {
        std::string to = h.to_commit().empty() ? "previous" : h.to_commit().substr(0, 10);
        std::printf("%-24s %-10s %-10s %s\n", h.host().c_str(), h.status().c_str(), to.c_str(),
                    h.error().c_str());
      }
      std::string summary;
      for (const auto& [status, n] : counts) {
        absl::StrAppend(&summary, summary.empty() ? "" : ", ", n, " ", status);
      }
      std::cerr << "rollback: " << r.hosts_size() << " hosts: " << summary << "\n";
    }
    if (counts.count("failed")) return 3;
    return counts.count("offline") || counts.count("no-answer") ? 2 : 0;
  }
  if (w[0] == "history" && w.size() == 2) {
    pb::HostHistoryRequest req;
    req.set_host(w[1]);
    req.set_limit(f.limit);
    pb::HostHistoryResponse r;
    if (grpc::Status s = stub->HostHistory(ctx().get(), req, &r); !s.ok()) return fail(s);
    if (f.json) {
      relayguard::JsonWriter j;
      j.BeginArray();
      for (const auto& e : r.results()) {
        j.BeginObject().Key("at").Int(e.at()).Key("rollout").String(e.rollout_id());
        j.Key("outcome").String(e.outcome()).Key("phase").String(e.phase());
        j.Key("error").String(e.error()).Key("result_commit").String(e.result_commit());
        j.EndObject();
      }
      j.EndArray();
      std::cout << j.str() << "\n";
      return 0;
    }
    std::printf("%-19s  %-10s %-16s %-10s %s\n", "WHEN", "ROLLOUT", "OUTCOME", "COMMIT", "DETAIL");
    for (const auto& e : r.results()) {
      std::string detail = e.phase().empty() ? e.error() : absl::StrCat(e.phase(), ": ", e.error());
      std::printf("%-19s  %-10s %-16s %-10s %s\n", When(e.at()).c_str(),
                  e.rollout_id().empty() ? "-" : e.rollout_id().c_str(), e.outcome().c_str(),
                  e.result_commit().substr(0, 10).c_str(), detail.c_str());
    }
    return 0;
  }
  if (w[0] == "audit") {
    pb::ListAuditRequest req;
    req.set_limit(f.limit);
    pb::ListAuditResponse r;
    if (grpc::Status s = stub->ListAudit(ctx().get(), req, &r); !s.ok()) return fail(s);
    if (f.json) {
      relayguard::JsonWriter j;
      j.BeginArray();
      for (const auto& e : r.entries()) {
        j.BeginObject().Key("at").Int(e.at()).Key("who").String(e.who());
        j.Key("action").String(e.action()).Key("target").String(e.target());
        j.Key("result").String(e.result()).EndObject();
      }
      j.EndArray();
      std::cout << j.str() << "\n";
      return 0;
    }
    std::printf("%-19s  %-20s %-18s %-30s %s\n", "WHEN", "WHO", "ACTION", "TARGET", "RESULT");
    for (const auto& e : r.entries()) {
      std::printf("%-19s  %-20s %-18s %-30s %s\n", When(e.at()).c_str(), e.who().c_str(),
                  e.action().c_str(), e.target().c_str(), e.result().c_str());
    }
    return 0;
  }
  if (w[0] == "compliance" && w.size() == 1) {
    if (f.json && f.csv) {
      std::cerr << "relayguardctl: compliance takes --json or --csv, not both\n" << kUsage;
      return 1;
    }
    if (f.hosts.find(',') != std::string::npos) {
      std::cerr << "relayguardctl: compliance --host takes one host, got \"" << f.hosts << "\"\n";
      return 1;
    }
    pb::ComplianceRequest req;
    req.set_host(f.hosts);
    req.set_history(f.history);
    req.set_limit(f.limit);
    pb::ComplianceResponse r;
    if (grpc::Status s = stub->Compliance(ctx().get(), req, &r); !s.ok()) return fail(s);
    namespace rc = relayguard::controller;
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    if (f.json) {
      std::cout << rc::ComplianceJson(r);
    } else if (f.csv) {
      std::cout << (f.history ? rc::ComplianceHistoryCsv(r) : rc::ComplianceCsv(r));
    } else if (f.history) {
      std::cout << rc::ComplianceHistoryTable(r);
    } else {
      std::cout << rc::ComplianceTable(r, now);
      if (f.diff) std::cout << rc::ComplianceDiff(r);
    }
    return rc::ComplianceExitCode(r);
  }
  if (w[0] == "playbooks" && w.size() == 2 && w[1] == "reload") {
    pb::ReloadPlaybooksResponse r;
    if (grpc::Status s = stub->ReloadPlaybooks(ctx().get(), {}, &r); !s.ok()) return fail(s);
    if (f.json) {
      relayguard::JsonWriter j;
      j.BeginObject().Key("loaded").BeginArray();
      for (const auto& l : r.loaded()) j.String(l);
      j.EndArray().Key("errors").BeginArray();
      for (const auto& e : r.errors()) j.String(e);
      j.EndArray().EndObject();
      std::cout << j.str() << "\n";
      return r.errors().empty() ? 0 : 2;
    }
    for (const auto& l : r.loaded()) std::cout << "loaded " << l << "\n";
    for (const auto& e : r.errors()) std::cout << "error  " << e << "\n";
    return r.errors().empty() ? 0 : 2;
  }
  std::cerr << kUsage;
  return 1;
}
