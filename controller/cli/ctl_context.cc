#include "controller/cli/ctl_context.h"

#include <ctime>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/tls_files.h"

namespace relayguard::controller {
int CtlContext::WithStub(
    const std::function<int(relayguard::v1::Operator::Stub&)>& body) const {
  std::shared_ptr<grpc::ChannelCredentials> creds;
  const Connection& c = connection;
  if (c.insecure) {
    creds = grpc::InsecureChannelCredentials();
  } else {
    if (c.ca.empty() || c.cert.empty() || c.key.empty()) {
      std::cerr << "relayguardctl: give --ca, --cert and --key (an operator certificate), or "
                   "--insecure for a local experiment\n";
      return kCtlExitUsage;
    }
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> tls =
        ClientTlsCredentials({c.ca, c.cert, c.key}, "operator");
    if (!tls.ok()) {
      std::cerr << "relayguardctl: " << tls.status().message() << "\n";
      return kCtlExitUsage;
    }
    creds = *std::move(tls);
  }
  auto stub = relayguard::v1::Operator::NewStub(grpc::CreateChannel(c.controller, creds));
  return body(*stub);
}

int CtlContext::Fail(const grpc::Status& status) const {
  std::cerr << "relayguardctl: " << status.error_message() << " (" << connection.controller
            << ")\n";
  return kCtlExitFailed;
}

std::unique_ptr<grpc::ClientContext> CallContext(std::chrono::seconds seconds) {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + seconds);
  return c;
}

std::string LocalWhen(int64_t seconds) {
  if (seconds == 0) return "-";
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char when[32];
  std::strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
  return when;
}

std::string CountsText(const std::map<std::string, int>& counts) {
  std::string text;
  for (const auto& [status, n] : counts) {
    absl::StrAppend(&text, text.empty() ? "" : ", ", n, " ", status);
  }
  return text;
}

CLI::Option* AddJsonFlag(CLI::App& command, bool& json) {
  return command.add_flag("--json", json, "machine-readable output (the controller's reply as "
                                          "JSON, proto field names)");
}

}  // namespace relayguard::controller
