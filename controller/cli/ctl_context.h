// What relayguardctl's commands share: the connection options, one stub per run, the exit
// codes, the controller's error as a message, and the proto JSON printer for --json.
#ifndef RELAYGUARD_CONTROLLER_CLI_CTL_CONTEXT_H_
#define RELAYGUARD_CONTROLLER_CLI_CTL_CONTEXT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include "controller/cli/proto_json.h"
#include "relayguard/v1/operator.grpc.pb.h"

namespace relayguard::controller {

constexpr int kCtlExitOk = 0;
constexpr int kCtlExitUsage = 1;
constexpr int kCtlExitFailed = 2;    // the controller refused or failed
constexpr int kCtlExitHalted = 3;    // the rollout halted or was aborted; a rollback failed

// The footer of every command's --help that talks to the controller.
constexpr char kConnectionFooter[] =
    "Connection (relayguardctl --help): --controller HOST:PORT (default 127.0.0.1:7443), --ca, "
    "--cert, --key or --insecure, before or after the command.\n"
    "exit codes: 0 ok, 1 usage, 2 the controller refused or failed, 3 the rollout halted or was "
    "aborted (rollback: a host failed to restore)\n";

// --controller and the operator's credentials (global options of relayguardctl).
struct Connection {
  std::string controller = "127.0.0.1:7443";
  std::string ca, cert, key;
  bool insecure = false;
};

// The command chosen on the command line: set by its subcommand's callback, run after parsing.
using CtlRun = std::function<int()>;

class CtlContext {
 public:
  Connection connection;

  // Connects and runs `body` with the stub; exit 1 when the credentials are missing or cannot
  // be read.
  int WithStub(const std::function<int(relayguard::v1::Operator::Stub&)>& body) const;
  // Prints the controller's error with its address; returns kCtlExitFailed.
  int Fail(const grpc::Status& status) const;
};

// A call context with a deadline `seconds` from now.
std::unique_ptr<grpc::ClientContext> CallContext(std::chrono::seconds seconds =
                                                     std::chrono::seconds(30));

// "2026-12-02 01:20:12" in local time; "-" for 0.
std::string LocalWhen(int64_t seconds);

// "2 restored, 1 offline" from how many of each status.
std::string CountsText(const std::map<std::string, int>& counts);

// --json on a command.
CLI::Option* AddJsonFlag(CLI::App& command, bool& json);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_CLI_CTL_CONTEXT_H_
