// fleet_load: how many agents one controller holds, what each costs it in memory, and how long a
// rollout to all of them takes. Starts a real relayguard-controller (--insecure, loopback, fresh
// state dir), opens N simulated agents in this process over the real AgentStream protocol, and
// drives a rollout through the real Operator API.
//
// Simulated agents: gRPC callback-API streams (ClientBidiReactor), no thread per agent. They share
// channels, K agents per channel (--agents-per-channel, default 100); every channel gets
// GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL=1 so it is its own TCP connection instead of all channels
// collapsing onto one. K=1 is the real-world shape (one connection per agent) and costs the
// controller more per agent (HTTP/2 transport per connection); K=100 measures per-stream cost.
// Each agent says Hello{host="sim-000123", labels{fleet=sim}, mta="noop"}, answers every Push
// at once with Ack{nonce, version, result{OUTCOME_APPLIED, policy_name}} (a no-op MTA), and sends
// a Heartbeat every --heartbeat-s (default 10; real agents: every 30 s by default).
//
// usage: fleet_load [--agents N] [--agents-per-channel K] [--timeout-s S] [--heartbeat-s S]
// Targets: 10,000 agents, push + ACK to all under 10 s, under 100 KiB of controller RSS per agent.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "controller/rollout/rollout_proto.h"
#include "relayguard/v1/agent_stream.grpc.pb.h"
#include "relayguard/v1/operator.grpc.pb.h"

namespace {

namespace pb = ::relayguard::v1;
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "fleet_load: " << what << "\n";
  std::exit(1);
}

// ---- the controller process -------------------------------------------------------------------

struct Controller {
  pid_t pid = -1;
  int port = 0;
};

// Starts the controller (argv, no shell) and waits for its "listening on port N" line.
Controller StartController(const std::string& state_dir) {
  const std::string binary = RG_BINARY_DIR "/controller/relayguard-controller";
  std::vector<std::string> args = {binary,        "--insecure",  "--listen",
                                   "127.0.0.1:0", "--playbooks", RG_SOURCE_DIR "/playbooks",
                                   "--state-dir", state_dir,     "--log-level",
                                   "warn"};
  int out[2];
  if (pipe(out) != 0) Die("pipe failed");
  pid_t pid = fork();
  if (pid < 0) Die("fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the bench (timeout, ^C)
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    std::perror(("fleet_load: cannot run " + binary).c_str());
    _exit(127);
  }
  close(out[1]);
  Controller c;
  c.pid = pid;
  FILE* in = fdopen(out[0], "r");
  char line[512];
  const std::string marker = "relayguard-controller: listening on port ";
  while (std::fgets(line, sizeof line, in) != nullptr) {
    std::string l(line);
    if (l.rfind(marker, 0) == 0) {
      c.port = std::atoi(l.c_str() + marker.size());
      break;
    }
  }
  if (c.port == 0) Die("the controller exited before listening (see its stderr above)");
  // The pipe stays open (and unread) so a later print does not get SIGPIPE; it prints nothing
  // else to stdout.
  return c;
}

// SIGTERM, then SIGKILL after 5 s: with thousands of streams ending at once a slow shutdown is
// not what this program measures.
void StopController(const Controller& c) {
  kill(c.pid, SIGTERM);
  int status = 0;
  for (int i = 0; i < 100; ++i) {
    if (waitpid(c.pid, &status, WNOHANG) == c.pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(c.pid, SIGKILL);
  waitpid(c.pid, &status, 0);
}

// VmRSS of `pid` in KiB, or -1.
long RssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long kib = -1;
      in >> kib;
      return kib;
    }
    std::string rest;
    std::getline(in, rest);
  }
  return -1;
}

// ---- the simulated agents ---------------------------------------------------------------------

struct Counters {
  std::atomic<int> acked{0};     // agents whose first ACK went out
  std::atomic<int> pushes{0};    // pushes received
  std::atomic<int> finished{0};  // streams ended (OnDone)
  std::atomic<int> failed{0};    // streams ended with an error other than our cancel
  std::atomic<bool> tearing_down{false};
};

// One simulated agent: one bidirectional stream, a write queue (gRPC allows one outstanding
// write per stream), and a no-op MTA that ACKs every push. Deleted by its owner after OnDone.
class SimAgent final : public grpc::ClientBidiReactor<pb::AgentMessage, pb::ControllerMessage> {
 public:
  SimAgent(pb::AgentStream::Stub* stub, int index, Counters& counters) : counters_(counters) {
    char name[32];
    std::snprintf(name, sizeof name, "sim-%06d", index);
    pb::AgentMessage hello;
    hello.mutable_hello()->set_host(name);
    (*hello.mutable_hello()->mutable_labels())["fleet"] = "sim";
    hello.mutable_hello()->set_mta("noop");
    hello.mutable_hello()->set_agent_version("fleet_load");
    stub->async()->Connect(&context_, this);
    Send(std::move(hello));
    StartRead(&in_);
    StartCall();
  }

  void Cancel() { context_.TryCancel(); }

  // As a real agent does every --heartbeat-s; the controller echoes it.
  void Heartbeat() {
    pb::AgentMessage beat;
    beat.mutable_heartbeat()->set_sent_at_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
    Send(std::move(beat));
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream is ending; OnDone follows
    if (in_.has_push()) {
      counters_.pushes.fetch_add(1, std::memory_order_relaxed);
      const pb::Push& push = in_.push();
      pb::AgentMessage ack;
      ack.mutable_ack()->set_nonce(push.nonce());
      ack.mutable_ack()->set_version(push.policy_version());
      pb::ApplyResult* r = ack.mutable_ack()->mutable_result();
      r->set_outcome(pb::ApplyResult::OUTCOME_APPLIED);
      r->set_policy_name(push.policy_name());
      r->set_policy_version(push.policy_version());
      Send(std::move(ack));
    }
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    pb::AgentMessage* next = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (ok && queue_.front().has_ack() && !acked_) {
        acked_ = true;
        counters_.acked.fetch_add(1, std::memory_order_relaxed);
      }
      queue_.pop_front();
      if (ok && !queue_.empty()) {
        next = &queue_.front();
      } else {
        write_in_flight_ = false;
        if (!ok) queue_.clear();
      }
    }
    if (next != nullptr) StartWrite(next);
  }

  void OnDone(const grpc::Status& s) override {
    if (!s.ok() && !counters_.tearing_down.load()) {
      if (counters_.failed.fetch_add(1) < 5) {
        std::cerr << "fleet_load: agent stream ended: code " << s.error_code() << ": "
                  << s.error_message() << "\n";
      }
    }
    counters_.finished.fetch_add(1);
  }

 private:
  // Queues `m`; starts the write unless one is in flight. gRPC is never called under `mu_`.
  void Send(pb::AgentMessage m) {
    pb::AgentMessage* next = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(m));
      if (write_in_flight_) return;
      write_in_flight_ = true;
      next = &queue_.front();
    }
    StartWrite(next);
  }

  Counters& counters_;
  grpc::ClientContext context_;
  pb::ControllerMessage in_;
  std::mutex mu_;
  std::deque<pb::AgentMessage> queue_;  // front is in flight
  bool write_in_flight_ = false;
  bool acked_ = false;
};

// ---- the operator side ------------------------------------------------------------------------

int OnlineSimHosts(pb::Operator::Stub& op) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  pb::ListHostsRequest req;
  pb::ListHostsResponse resp;
  grpc::Status s = op.ListHosts(&ctx, req, &resp);
  if (!s.ok()) Die("ListHosts failed: " + s.error_message());
  int online = 0;
  for (const pb::HostInfo& h : resp.hosts()) {
    if (h.online() && h.name().rfind("sim-", 0) == 0) ++online;
  }
  return online;
}

struct Options {
  int agents = 1000;
  int per_channel = 100;
  int timeout_s = 120;
  int heartbeat_s = 10;
};

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> int {
      if (i + 1 >= argc) Die(a + " needs a value");
      return std::atoi(argv[++i]);
    };
    if (a == "--agents") o.agents = value();
    else if (a == "--agents-per-channel") o.per_channel = value();
    else if (a == "--timeout-s") o.timeout_s = value();
    else if (a == "--heartbeat-s") o.heartbeat_s = value();
    else Die("usage: fleet_load [--agents N] [--agents-per-channel K] [--timeout-s S] "
             "[--heartbeat-s S]");
  }
  if (o.agents <= 0 || o.per_channel <= 0 || o.timeout_s <= 0 || o.heartbeat_s <= 0) {
    Die("values must be positive");
  }
  return o;
}

void RaiseFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) std::perror("fleet_load: setrlimit");
    std::cout << "open files limit: " << lim.rlim_cur << " (inherited by the controller)\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = ParseArgs(argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  RaiseFileLimit();  // before the fork: the controller inherits it
  char tmpl[] = "/tmp/fleet_load.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) Die("mkdtemp failed");
  const std::string state_dir = tmpl;

  Controller controller = StartController(state_dir);
  const std::string target = "127.0.0.1:" + std::to_string(controller.port);
  grpc::ChannelArguments op_args;
  op_args.SetMaxReceiveMessageSize(256 << 20);
  auto op_channel =
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), op_args);
  auto op = pb::Operator::NewStub(op_channel);
  OnlineSimHosts(*op);  // warm up the operator path before the baseline
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const long rss_before = RssKiB(controller.pid);

  // Connect the agents.
  Counters counters;
  std::vector<std::unique_ptr<pb::AgentStream::Stub>> stubs;
  std::vector<std::unique_ptr<SimAgent>> agents;
  agents.reserve(opt.agents);
  const auto t_connect = Clock::now();
  for (int i = 0; i < opt.agents; ++i) {
    if (i % opt.per_channel == 0) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      stubs.push_back(pb::AgentStream::NewStub(
          grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args)));
    }
    agents.push_back(std::make_unique<SimAgent>(stubs.back().get(), i, counters));
  }
  int online = 0;
  while ((online = OnlineSimHosts(*op)) < opt.agents) {
    if (SecondsSince(t_connect) > opt.timeout_s || counters.finished.load() > 0) {
      std::cout << "FAILED: only " << online << " of " << opt.agents << " agents online after "
                << SecondsSince(t_connect) << " s (" << counters.finished.load()
                << " streams ended)\n";
      StopController(controller);
      std::_Exit(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const double connect_s = SecondsSince(t_connect);
  std::atomic<bool> stop_heartbeats{false};
  std::thread heartbeats([&] {
    auto next = Clock::now() + std::chrono::seconds(opt.heartbeat_s);
    while (!stop_heartbeats) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (Clock::now() < next) continue;
      next += std::chrono::seconds(opt.heartbeat_s);
      for (auto& a : agents) a->Heartbeat();
    }
  });
  std::printf("%d agents online after %.2f s\n", opt.agents, connect_s);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // let the controller settle
  const long rss_after = RssKiB(controller.pid);

  // Roll out to all of them.
  pb::StartRolloutRequest start;
  start.set_policy("no-open-relay");
  (*start.mutable_labels())["fleet"] = "sim";
  start.set_waves("100%");
  pb::RolloutInfo info;
  const auto t_rollout = Clock::now();
  // The RPC runs on its own thread: its reply can come after the pushes and ACKs, and the ACKs
  // are timed from here, not from the reply.
  std::atomic<double> start_rpc_s{-1};
  std::thread start_thread([&] {
    grpc::ClientContext ctx;
    grpc::Status s = op->StartRollout(&ctx, start, &info);
    if (!s.ok()) Die("StartRollout failed: " + s.error_message());
    start_rpc_s = SecondsSince(t_rollout);
  });
  double ack_s = -1;
  double done_s = -1;
  std::string status = "starting";
  bool succeeded = false;
  int next_report_s = 5;
  while (SecondsSince(t_rollout) < opt.timeout_s) {
    if (ack_s < 0 && counters.acked.load() >= opt.agents) ack_s = SecondsSince(t_rollout);
    if (ack_s >= 0 && start_rpc_s.load() < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    if (SecondsSince(t_rollout) >= next_report_s) {
      std::printf("  %3d s: %d pushes received, %d agents ACKed, rollout %s\n", next_report_s,
                  counters.pushes.load(), counters.acked.load(), status.c_str());
      next_report_s += 5;
    }
    if (ack_s >= 0) {
      grpc::ClientContext ctx;
      // The reply waits for the controller's rollout lock: never wait past the timeout.
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      pb::GetRolloutRequest get;
      get.set_id(info.id());
      pb::RolloutInfo now;
      if (grpc::Status s = op->GetRollout(&ctx, get, &now); !s.ok()) {
        if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) continue;
        Die("GetRollout failed: " + s.error_message());
      }
      status = relayguard::controller::RolloutStatusText(now.status());
      succeeded = now.status() == relayguard::v1::ROLLOUT_STATUS_SUCCEEDED;
      if (now.status() != relayguard::v1::ROLLOUT_STATUS_RUNNING) {
        done_s = SecondsSince(t_rollout);
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(ack_s < 0 ? 5 : 20));
  }

  const double mib_before = rss_before / 1024.0, mib_after = rss_after / 1024.0;
  const double kib_per_agent = double(rss_after - rss_before) / opt.agents;
  std::printf("(%d agents per channel = %zu connections; StartRollout RPC returned after %.2f s)\n",
              opt.per_channel, stubs.size(), start_rpc_s.load());
  std::printf("agents %d connected in %.2f s; controller RSS %.1f MiB -> %.1f MiB = %.1f "
              "KiB/agent; ",
              opt.agents, connect_s, mib_before, mib_after, kib_per_agent);
  if (ack_s < 0) {
    std::printf("rollout push+ACK to all %d: NOT DONE after %d s (%d ACKed, %d pushes seen)\n",
                opt.agents, opt.timeout_s, counters.acked.load(), counters.pushes.load());
  } else if (done_s < 0) {
    std::printf("rollout push+ACK to all %d: %.2f s (status still \"%s\" after %d s)\n",
                opt.agents, ack_s, status.c_str(), opt.timeout_s);
  } else {
    std::printf("rollout push+ACK to all %d: %.2f s (status %s after %.2f s)\n", opt.agents,
                ack_s, status.c_str(), done_s);
  }
  std::fflush(stdout);
  if (start_rpc_s.load() < 0) {  // the reply is stuck behind the controller's work: give up
    std::printf("StartRollout RPC had not returned after %d s\n", opt.timeout_s);
    counters.tearing_down = true;
    StopController(controller);
    std::_Exit(1);
  }
  start_thread.join();
  stop_heartbeats = true;
  heartbeats.join();

  // Tear down: stop the controller, cancel every stream, wait for gRPC to finish with them.
  counters.tearing_down = true;
  StopController(controller);
  for (auto& a : agents) a->Cancel();
  const auto t_down = Clock::now();
  while (counters.finished.load() < opt.agents && SecondsSince(t_down) < 30) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::error_code ec;
  std::filesystem::remove_all(state_dir, ec);
  if (counters.finished.load() < opt.agents) std::_Exit(ack_s < 0 || !succeeded);
  agents.clear();
  return ack_s >= 0 && succeeded ? 0 : 1;
}
