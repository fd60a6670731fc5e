#include "agent/metrics/metrics_file.h"

#include "common/logging.h"
#include "common/metrics_text.h"

namespace relayguard::agent {

void MetricsFile::Configure(std::string path, std::chrono::seconds interval) {
  std::lock_guard<std::mutex> lock(mu_);
  if (path != path_) {
    path_ = std::move(path);
    path_changed_ = true;
    last_error_.clear();  // a new path gets its own first error logged
  }
  interval_ = interval;
}

std::optional<absl::Status> MetricsFile::Tick() {
  std::lock_guard<std::mutex> lock(mu_);
  if (path_.empty()) return std::nullopt;
  const auto now = clock_.Now();
  const uint64_t generation = metrics_.generation();
  const bool due = path_changed_ || generation != written_generation_ || !last_attempt_ ||
                   now - *last_attempt_ >= interval_;
  if (!due) return std::nullopt;
  // A failed write is retried at the next change or after `interval`, not at every tick.
  path_changed_ = false;
  written_generation_ = generation;
  last_attempt_ = now;
  absl::Status written = WriteFileAtomically(path_, metrics_.Text());
  auto log = Logger("agent.metrics");
  if (!written.ok()) {
    if (written.message() != last_error_) {
      last_error_ = std::string(written.message());
      log->error("metrics file: {}; the agent goes on without it and tries again every {} s "
                 "(check metrics_file in the configuration)",
                 written.message(), interval_.count());
    }
  } else if (!last_error_.empty()) {
    last_error_.clear();
    log->info("metrics file {} written again", path_);
  }
  return written;
}

}  // namespace relayguard::agent
