// Named spdlog loggers, one per component ("agent.apply", "agent.probe", ...).
#ifndef RELAYGUARD_COMMON_LOGGING_H_
#define RELAYGUARD_COMMON_LOGGING_H_

#include <memory>
#include <string>

#include "spdlog/spdlog.h"

namespace relayguard {

// Returns the logger called `name`, creating it (writing to stderr) on first use.
std::shared_ptr<spdlog::logger> Logger(const std::string& name);

// Sets the level of every logger, existing and future ("debug", "info", "warn", "error", "off").
void SetLogLevel(const std::string& level);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_LOGGING_H_
