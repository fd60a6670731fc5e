// relayguard-controller: serves agent streams and the operator API, runs rollouts, keeps its
// state in SQLite under --state-dir. Wiring only; the logic lives in the classes it builds.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "common/clock.h"
#include "common/command_line.h"
#include "common/logging.h"
#include "common/systemd_notify.h"
#include "common/tls_files.h"
#include "controller/compliance/compliance_tracker.h"
#include "controller/fleet/agent_channel.h"
#include "controller/fleet/agent_registry.h"
#include "controller/playbooks/playbook_dir.h"
#include "controller/rollout/rollout_manager.h"
#include "controller/server/agent_stream_reactor.h"
#include "controller/server/operator_service.h"
#include "controller/store/sqlite_store.h"
#include "controller/store/store_facade.h"

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};


}  // namespace

int main(int argc, char** argv) {
  using namespace relayguard;
  using namespace relayguard::controller;
  std::string listen = "127.0.0.1:7443", playbooks = "playbooks",
              state_dir = "/var/lib/relayguard-controller", ca, cert, key, level = "info";
  int agent_timeout_s = 90;
  bool insecure = false;
  CLI::App app("relayguard-controller: serves agent streams and the operator API, runs rollouts");
  SetUpApp(app, "relayguard-controller");
  app.add_option("--listen", listen, "where agents and operators connect")
      ->type_name("HOST:PORT");
  app.add_option("--playbooks", playbooks, "playbook directory; re-read on SIGHUP")
      ->type_name("DIR");
  app.add_option("--state-dir", state_dir, "SQLite store")->type_name("DIR");
  app.add_option("--ca", ca, "CA certificate (mTLS: agents' CN = host name, operators' CN = "
                             "operator-NAME)")
      ->check(CLI::ExistingFile);
  app.add_option("--cert", cert, "the controller's certificate")->check(CLI::ExistingFile);
  app.add_option("--key", key, "its key")->check(CLI::ExistingFile);
  app.add_flag("--insecure", insecure, "plaintext, no authentication: local experiments only");
  app.add_option("--agent-timeout-s", agent_timeout_s,
                 "close an agent stream silent this long (agents send a heartbeat every 30 s "
                 "by default)")
      ->check(IntBetween(1, 86400, "needs a positive number of seconds"));
  app.add_option("--log-level", level, "log level")
      ->check(OneOf({"debug", "info", "warn", "error", "off"}));
  app.footer("exit codes: 0 stopped by SIGTERM/SIGINT, 1 usage, 2 the store or the listener "
             "failed\n");
  if (std::optional<int> exit = ParseCommandLine(
          app, std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr)) {
    return *exit;
  }
  SetLogLevel(level);
  auto log = Logger("controller");
  if (!insecure && (ca.empty() || cert.empty() || key.empty())) {
    std::cerr << "relayguard-controller: give --ca, --cert and --key (mTLS), or --insecure\n";
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  auto store = SqliteStore::Open(state_dir + "/controller.db");
  if (!store.ok()) {
    std::cerr << "relayguard-controller: " << store.status().message() << "\n";
    return 2;
  }
  RealClock clock;
  StoreFacade shared_store(**store, clock);
  AgentRegistry registry;
  AgentChannel channel(registry, clock);
  RolloutManager manager(shared_store, channel, clock);
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
  AgentStreamCallbackService agents(registry, manager, channel, shared_store, compliance, clock,
                                    /*require_cn=*/!insecure);
  OperatorService operators(manager, shared_store, registry, compliance, reload,
                            /*require_operator_cert=*/!insecure);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, credentials, &port);
  builder.RegisterService(&agents);
  builder.RegisterService(&operators);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << "relayguard-controller: cannot listen on " << listen << "\n";
    return 2;
  }
  log->info("listening on {} (port {})", listen, port);
  std::cout << "relayguard-controller: listening on port " << port << std::endl;
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
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}
