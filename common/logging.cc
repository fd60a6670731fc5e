#include "common/logging.h"

#include <mutex>

#include "spdlog/sinks/stdout_color_sinks.h"

namespace relayguard {

std::shared_ptr<spdlog::logger> Logger(const std::string& name) {
  // Serialised: two threads asking for a new name at once would both try to register it, and
  // spdlog throws for the second ("logger with name ... already exists"). Inside a gRPC reactor
  // factory that exception became an UNIMPLEMENTED stream for one of 1000 connecting agents.
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = spdlog::stderr_color_mt(name);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  return logger;
}

void SetLogLevel(const std::string& level) {
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace relayguard
