// Named spdlog loggers, one per component ("agent.apply", "agent.probe", ...).
#ifndef RELAYGUARD_COMMON_LOGGING_H_
#define RELAYGUARD_COMMON_LOGGING_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"

// Debian's abseil has its own string_view (not absl::string_view): let fmt/spdlog print it.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  auto format(absl::string_view s, fmt::format_context& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(s.data(), s.size()), ctx);
  }
};

namespace relayguard {

// Returns the logger called `name`, creating it (writing to stderr) on first use.
std::shared_ptr<spdlog::logger> Logger(const std::string& name);

// Sets the level of every logger, existing and future ("debug", "info", "warn", "error", "off").
void SetLogLevel(const std::string& level);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_LOGGING_H_
