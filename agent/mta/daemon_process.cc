#include "agent/mta/daemon_process.h"

#include <signal.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace relayguard::agent {

absl::StatusOr<std::optional<int>> ReadPidFile(FileSystem& fs, const std::string& pid_file) {
  absl::StatusOr<std::string> text = fs.ReadFile(pid_file);
  if (absl::IsNotFound(text.status())) return std::nullopt;
  if (!text.ok()) return text.status();
  absl::string_view first = *text;
  first = first.substr(0, first.find('\n'));
  int pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(first), &pid) || pid <= 0) return std::nullopt;
  return pid;
}

bool ProcessAlive(FileSystem& fs, int pid, const std::string& name) {
  if (kill(pid, 0) != 0 && errno != EPERM) return false;
  // "PID (comm) S ...": the state letter follows the last ')'.
  absl::StatusOr<std::string> stat = fs.ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return false;
  size_t open = stat->find('(');
  size_t close = stat->rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 2 >= stat->size()) {
    return false;
  }
  const std::string comm = stat->substr(open + 1, close - open - 1);
  const char state = (*stat)[close + 2];
  return comm.find(name) != std::string::npos && state != 'Z' && state != 'X';
}

absl::StatusOr<std::optional<int>> RunningDaemon(FileSystem& fs, const std::string& pid_file,
                                                 const std::string& name) {
  absl::StatusOr<std::optional<int>> pid = ReadPidFile(fs, pid_file);
  if (!pid.ok() || !pid->has_value()) return pid;
  if (!ProcessAlive(fs, **pid, name)) return std::nullopt;
  return pid;
}

absl::Status SignalProcess(int pid, int signal, const std::string& what) {
  if (kill(pid, signal) == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("cannot send ", strsignal(signal), " to ",
                                                    what, " (pid ", pid, "): ",
                                                    std::strerror(errno)));
}

bool WaitGone(FileSystem& fs, Clock& clock, int pid, std::chrono::milliseconds limit) {
  const auto deadline = clock.Now() + limit;
  for (;;) {
    absl::StatusOr<std::string> stat = fs.ReadFile(absl::StrCat("/proc/", pid, "/stat"));
    if (!stat.ok()) return true;
    size_t close = stat->rfind(')');
    if (close != std::string::npos && close + 2 < stat->size() &&
        ((*stat)[close + 2] == 'Z' || (*stat)[close + 2] == 'X')) {
      return true;
    }
    if (clock.Now() >= deadline) return false;
    clock.SleepFor(std::chrono::milliseconds(20));
  }
}

}  // namespace relayguard::agent
