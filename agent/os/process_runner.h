// Running programs: absolute path, argv vector, no shell, a timeout. A non-zero exit is a result.
#ifndef RELAYGUARD_AGENT_OS_PROCESS_RUNNER_H_
#define RELAYGUARD_AGENT_OS_PROCESS_RUNNER_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace relayguard::agent {

struct ProcessResult {
  int exit_code = -1;     // -1 when killed by a signal or the timeout
  bool timed_out = false;
  std::string stdout_text;
  std::string stderr_text;
};

struct Command {
  std::vector<std::string> argv;  // argv[0] is an absolute path
  std::string stdin_text;
  std::chrono::milliseconds timeout{30000};

  std::string ToString() const;  // "argv0 arg1 ..." for messages and logs
};

// How a program ended, for messages: "exit 3", "timed out".
std::string ExitText(const ProcessResult& result);

// The first `max_lines` non-blank lines of what a program printed (stderr, else stdout) joined
// by "; ", for one-line error messages; `when_silent` when it printed nothing.
std::string OutputSummary(const ProcessResult& result, std::string_view when_silent,
                          size_t max_lines = 5);

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;

  // Runs `command` to completion (or kills it at the timeout). Errors only when it could not be
  // started at all (not absolute, not executable, fork failure); exit codes come back as results.
  virtual absl::StatusOr<ProcessResult> Run(const Command& command) = 0;
};

class RealProcessRunner : public ProcessRunner {
 public:
  absl::StatusOr<ProcessResult> Run(const Command& command) override;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_OS_PROCESS_RUNNER_H_
