// relayguard-controller: serves agent streams and the operator API, runs rollouts, keeps its
// state in SQLite under --state-dir. Wiring only; the logic lives in the classes it builds.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/clock.h"
#include "common/logging.h"
#include "common/systemd_notify.h"
#include "common/tls_files.h"
#include "controller/auth/user_directory.h"
#include "controller/compliance/compliance_tracker.h"
#include "controller/config/controller_config.h"
#include "controller/fleet/agent_channel.h"
#include "controller/fleet/agent_registry.h"
#include "controller/metrics/controller_metrics.h"
#include "controller/metrics/grpc_metrics_interceptor.h"
#include "controller/metrics/metrics_http_server.h"
#include "controller/monitor/attempt_tracker.h"
#include "controller/playbooks/playbook_dir.h"
#include "controller/rollout/rollout_manager.h"
#include "controller/server/agent_stream_reactor.h"
#include "controller/server/operator_service.h"
#include "controller/server/server_limits.h"
#include "controller/store/sqlite_store.h"
#include "controller/store/store_facade.h"
#include "controller/web/change_feed.h"
#include "controller/web/web_server.h"

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

// Whether `listen` (HOST:PORT) is on a loopback address.
bool IsLoopbackListen(const std::string& listen) {
  return listen.starts_with("127.") || listen.starts_with("[::1]:") ||
         listen.starts_with("localhost:");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace relayguard;
  using namespace relayguard::controller;
  ParsedControllerFlags parsed = ParseControllerFlags(
      std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
  if (parsed.exit_code) return *parsed.exit_code;
  if (parsed.config_check) return RunControllerConfigCheck(parsed, std::cout, std::cerr);
  const ControllerConfig& config = parsed.config;
  const std::string &listen = config.listen, &playbooks = config.playbooks,
                    &state_dir = config.state_dir, &ca = config.ca, &cert = config.cert,
                    &key = config.key;
  const bool insecure = config.insecure;
  const int agent_timeout_s = config.agent_timeout_s;
  SetLogLevel(config.log_level);
  auto log = Logger("controller");
  if (!parsed.config_file.empty()) log->info("configuration file {}", parsed.config_file);
  if (absl::Status tls = CheckControllerTls(config); !tls.ok()) {
    std::cerr << "relayguard-controller: " << tls.message() << "\nnothing was started\n";
    return kControllerExitUsage;
  }
  const std::string web_cert = config.web_cert.empty() ? cert : config.web_cert;
  const std::string web_key = config.web_key.empty() ? key : config.web_key;
  if (!config.web_listen.empty() && (web_cert.empty() || web_key.empty())) {
    std::cerr << "relayguard-controller: the dashboard (web_listen) needs a certificate: web_cert "
                 "and web_key, or cert and key\nnothing was started\n";
    return kControllerExitUsage;
  }
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  auto store = SqliteStore::Open(state_dir + "/controller.db");
  if (!store.ok()) {
    std::cerr << "relayguard-controller: " << store.status().message() << "\n";
    return 2;
  }
  RealClock clock;
  ControllerMetrics metrics;
  ChangeFeed changes;  // the dashboard's live updates
  ControllerEventsFanOut events{&metrics, &changes};
  StoreFacade shared_store(**store, clock, events);
  AgentRegistry registry(events);
  AgentChannel channel(registry, clock);
  RolloutManager manager(shared_store, channel, clock, events);
  UserDirectory users(shared_store, clock);
  auto reload = [&] { return LoadPlaybookDir(playbooks, shared_store, clock.WallSeconds()); };
  auto [loaded, errors] = reload();
  for (const std::string& l : loaded) log->info("playbook {}", l);
  for (const std::string& e : errors) log->error("playbook: {}", e);
  if (absl::Status s = manager.Recover(); !s.ok()) {
    std::cerr << "relayguard-controller: cannot recover rollouts: " << s.message() << "\n";
    return 2;
  }

  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (insecure) {
    log->warn("INSECURE: plaintext, no authentication of agents or operators. Local "
              "experiments only.");
    credentials = grpc::InsecureServerCredentials();
  } else {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> tls =
        ServerTlsCredentials({ca, cert, key}, "controller");
    if (!tls.ok()) {
      std::cerr << "relayguard-controller: " << tls.status().message() << " (--ca/--cert/--key)\n";
      return 1;
    }
    credentials = *std::move(tls);
  }
  ComplianceTracker compliance(shared_store, registry, clock);
  AttemptTracker attempts(shared_store, clock, events);
  AgentStreamCallbackService agents(registry, manager, channel, shared_store, compliance, attempts,
                                    clock, /*require_cn=*/!insecure);
  OperatorApi operator_api(manager, shared_store, registry, compliance, attempts, reload, &users);
  OperatorService operators(operator_api, /*require_operator_cert=*/!insecure);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, credentials, &port);
  builder.RegisterService(&agents);
  builder.RegisterService(&operators);
  builder.experimental().SetInterceptorCreators(MetricsInterceptors(metrics));
  ApplyServerLimits(builder);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << "relayguard-controller: cannot listen on " << listen << "\n";
    return 2;
  }
  log->info("listening on {} (port {})", listen, port);
  std::cout << "relayguard-controller: listening on port " << port << std::endl;

  // /metrics: the fleet's gauges are set from the store at each scrape (one scrape at a time).
  std::mutex scrape_mu;
  auto render = [&]() -> absl::StatusOr<std::string> {
    std::lock_guard<std::mutex> lock(scrape_mu);
    absl::StatusOr<ComplianceView> view = compliance.View(ComplianceQuery{});
    if (!view.ok()) return view.status();
    absl::StatusOr<std::vector<RolloutRecord>> rollouts = shared_store.Rollouts();
    if (!rollouts.ok()) return rollouts.status();
    metrics.SetFleetState(*view, *rollouts);
    return metrics.Text();
  };
  std::unique_ptr<MetricsHttpServer> metrics_server;
  if (!config.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsHttpServer>> started =
        MetricsHttpServer::Start(config.metrics_listen, render);
    if (!started.ok()) {
      std::cerr << "relayguard-controller: " << started.status().message() << "\n";
      server->Shutdown();
      return 2;
    }
    metrics_server = *std::move(started);
    log->info("metrics at http://{}/metrics (port {})", config.metrics_listen,
              metrics_server->port());
    if (!IsLoopbackListen(config.metrics_listen)) {
      log->warn("metrics_listen {} is not a loopback address: /metrics has no authentication "
                "and names hosts and policies; restrict it with a firewall",
                config.metrics_listen);
    }
    std::cout << "relayguard-controller: metrics on port " << metrics_server->port()
              << std::endl;
  }
  std::unique_ptr<WebServer> web;
  if (!config.web_listen.empty()) {
    WebServerOptions options;
    options.listen = config.web_listen;
    options.cert = web_cert;
    options.key = web_key;
    options.max_streams = config.web_max_streams;
    options.workers = config.web_max_streams + 8;
    absl::StatusOr<std::unique_ptr<WebServer>> started =
        WebServer::Start(options, operator_api, users, changes);
    if (!started.ok()) {
      std::cerr << "relayguard-controller: " << started.status().message()
                << "\nnothing was started\n";
      server->Shutdown();
      return 2;
    }
    web = *std::move(started);
    log->info("dashboard at https://{}/ (port {})", config.web_listen, web->port());
    std::cout << "relayguard-controller: dashboard on port " << web->port() << std::endl;
  }
  SystemdNotifier systemd;
  systemd.Ready("listening on " + listen);
  systemd.StartWatchdog();

  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::signal(SIGINT, [](int) { g_stop = true; });
  std::signal(SIGHUP, [](int) { g_reload = true; });
  while (!g_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    manager.OnTick();
    for (const auto& [host, quiet] :
         registry.CloseSilent(clock.Now(), std::chrono::seconds(agent_timeout_s))) {
      log->warn("agent {}: no message for {} s; closing its stream (it reconnects when it can)",
                host, quiet.count() / 1000);
    }
    if (g_reload.exchange(false)) {
      systemd.Reloading();
      auto [l, e] = reload();
      systemd.Ready("listening on " + listen);
      log->info("SIGHUP: {} playbooks loaded, {} errors", l.size(), e.size());
      for (const std::string& err : e) log->error("playbook: {}", err);
    }
  }
  log->info("shutting down");
  systemd.Stopping();
  channel.Shutdown();  // plans and rollbacks the dashboard waits for return now
  web.reset();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}
