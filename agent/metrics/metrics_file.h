// Keeps the agent's metrics file for node_exporter's textfile collector up to date: rewritten
// atomically (common/metrics_text.h) when a value changed and at least every `interval`, so
// the file's mtime (node_textfile_mtime_seconds) shows the agent is alive. A file that cannot
// be written is logged once per distinct error and retried; the agent goes on either way.
#ifndef RELAYGUARD_AGENT_METRICS_METRICS_FILE_H_
#define RELAYGUARD_AGENT_METRICS_METRICS_FILE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "agent/metrics/agent_metrics.h"
#include "common/clock.h"

namespace relayguard::agent {

class MetricsFile {
 public:
  MetricsFile(AgentMetrics& metrics, Clock& clock) : metrics_(metrics), clock_(clock) {}

  // Where to write ("" = nowhere) and the longest time between two writes. Thread-safe; a new
  // path is written at the next Tick.
  void Configure(std::string path, std::chrono::seconds interval);

  // Writes the file when it is due: the metrics changed, the path changed, or `interval`
  // passed since the last attempt. Returns the write's result when one was attempted.
  std::optional<absl::Status> Tick();

 private:
  AgentMetrics& metrics_;
  Clock& clock_;
  std::mutex mu_;
  std::string path_;
  std::chrono::seconds interval_{60};
  bool path_changed_ = false;
  uint64_t written_generation_ = 0;
  std::optional<std::chrono::steady_clock::time_point> last_attempt_;
  std::string last_error_;  // logged already; "" after a good write
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_METRICS_METRICS_FILE_H_
