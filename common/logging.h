// Named spdlog loggers, one per component ("agent.apply", "agent.probe", ...).
#ifndef RELAYGUARD_COMMON_LOGGING_H_
#define RELAYGUARD_COMMON_LOGGING_H_

#include <cstdint>
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

// Whether stderr is the journal's stream: systemd sets JOURNAL_STREAM to "DEV:INODE" of the
// stream it connected (systemd.exec(5)); `journal_stream` is that variable (nullptr when unset),
// `dev` and `ino` those of stderr.
bool StderrIsJournal(const char* journal_stream, uint64_t dev, uint64_t ino);

// The formatter of every logger. For the journal: no timestamp (journald stamps each line) and
// no colours, but a "<N>" syslog priority first, so `journalctl -p warning` selects by level:
// "<4>warning [agent.apply] text". Otherwise "2026-12-05T03:42:00.123 warning [agent.apply] text".
std::unique_ptr<spdlog::formatter> LogFormatter(bool journal);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_LOGGING_H_
