#include "common/logging.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_color_sinks.h"

namespace relayguard {
namespace {

// "%*": the syslog priority of the message's level, as sd-daemon(3)'s "<N>" prefix.
class SyslogPriorityFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    int priority = 6;  // info
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        priority = 7;
        break;
      case spdlog::level::warn:
        priority = 4;
        break;
      case spdlog::level::err:
        priority = 3;
        break;
      case spdlog::level::critical:
        priority = 2;
        break;
      default:
        break;
    }
    const char text[] = {'<', static_cast<char>('0' + priority), '>'};
    dest.append(text, text + sizeof(text));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SyslogPriorityFlag>();
  }
};

bool StderrIsJournalNow() {
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  return StderrIsJournal(std::getenv("JOURNAL_STREAM"), static_cast<uint64_t>(st.st_dev),
                         static_cast<uint64_t>(st.st_ino));
}

}  // namespace

bool StderrIsJournal(const char* journal_stream, uint64_t dev, uint64_t ino) {
  if (journal_stream == nullptr) return false;
  std::vector<std::string> parts = absl::StrSplit(journal_stream, ':');
  uint64_t want_dev = 0;
  uint64_t want_ino = 0;
  return parts.size() == 2 && absl::SimpleAtoi(parts[0], &want_dev) &&
         absl::SimpleAtoi(parts[1], &want_ino) && want_dev == dev && want_ino == ino;
}

std::unique_ptr<spdlog::formatter> LogFormatter(bool journal) {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  if (journal) {
    f->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%l [%n] %v");
  } else {
    f->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  }
  return f;
}

std::shared_ptr<spdlog::logger> Logger(const std::string& name) {
  // Serialised: two threads asking for a new name at once would both try to register it, and
  // spdlog throws for the second ("logger with name ... already exists"). Inside a gRPC reactor
  // factory that exception became an UNIMPLEMENTED stream for one of 1000 connecting agents.
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  if (auto existing = spdlog::get(name)) return existing;
  static const bool journal = StderrIsJournalNow();
  auto logger = spdlog::stderr_color_mt(name);
  logger->set_formatter(LogFormatter(journal));
  return logger;
}

void SetLogLevel(const std::string& level) {
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace relayguard
