// A daemon known by its pid file (Exim, Sendmail): is it running, signal it, wait for it to go.
// Shared by the drivers whose MTA has no control command of its own.
#ifndef RELAYGUARD_AGENT_MTA_DAEMON_PROCESS_H_
#define RELAYGUARD_AGENT_MTA_DAEMON_PROCESS_H_

#include <chrono>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "agent/os/file_system.h"
#include "common/clock.h"

namespace relayguard::agent {

// The pid on the first line of `pid_file`; nullopt when the file is missing or holds no pid.
absl::StatusOr<std::optional<int>> ReadPidFile(FileSystem& fs, const std::string& pid_file);

// Whether `pid` is a live (not zombie) process whose command name contains `name`.
bool ProcessAlive(FileSystem& fs, int pid, const std::string& name);

// The pid from `pid_file` when that process is alive and named `name`; nullopt otherwise.
absl::StatusOr<std::optional<int>> RunningDaemon(FileSystem& fs, const std::string& pid_file,
                                                 const std::string& name);

// Sends `signal` to `pid`. FailedPrecondition naming `what` when it cannot be sent.
absl::Status SignalProcess(int pid, int signal, const std::string& what);

// Polls until `pid` is gone (or a zombie); false when it still lives after `limit`.
bool WaitGone(FileSystem& fs, Clock& clock, int pid, std::chrono::milliseconds limit);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MTA_DAEMON_PROCESS_H_
