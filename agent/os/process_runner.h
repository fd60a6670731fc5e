// Running programs: absolute path, argv vector, no shell, a timeout. A non-zero exit is a result.
#ifndef RELAYGUARD_AGENT_OS_PROCESS_RUNNER_H_
#define RELAYGUARD_AGENT_OS_PROCESS_RUNNER_H_

#include <chrono>
#include <functional>
#include <string>
#include "absl/strings/string_view.h"
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
std::string OutputSummary(const ProcessResult& result, absl::string_view when_silent,
                          size_t max_lines = 5);

// How a failed program's output reads in an error message: usually OutputSummary with an
// MTA's own "printed nothing" hint, or a filter of its own (sendmail -bt's prompts).
using Diagnose = std::function<std::string(const ProcessResult&)>;

class ProcessRunner;

// Runs `command` and turns any end but exit 0 into FailedPrecondition
// "COMMAND failed (exit 1): DIAGNOSTICS" (`failed`, when given, instead of "COMMAND failed":
// "exim config check failed for /etc/exim4/exim4.conf"). Errors from Run pass through. The
// one way relayguard runs a program that must succeed.
absl::StatusOr<ProcessResult> RunChecked(ProcessRunner& runner, const Command& command,
                                         const Diagnose& diagnose, absl::string_view failed = "");

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;

  // Runs `command` to completion (or kills it at the timeout). Errors only when it could not be
  // started at all (not absolute, not executable, no memory or processes left); exit codes come back as results.
  virtual absl::StatusOr<ProcessResult> Run(const Command& command) = 0;
};

class RealProcessRunner : public ProcessRunner {
 public:
  absl::StatusOr<ProcessResult> Run(const Command& command) override;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_OS_PROCESS_RUNNER_H_
