#include "agent/os/process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace relayguard::agent {

std::string Command::ToString() const { return absl::StrJoin(argv, " "); }

namespace {

struct Pipe {
  int read_end = -1;
  int write_end = -1;
  absl::Status Open() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
      return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
    }
    read_end = fds[0];
    write_end = fds[1];
    return absl::OkStatus();
  }
  static void Close(int& fd) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
};

}  // namespace

absl::StatusOr<ProcessResult> RealProcessRunner::Run(const Command& command) {
  if (command.argv.empty() || command.argv[0].empty() || command.argv[0][0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to run \"", command.ToString(), "\": the program needs an absolute path"));
  }
  if (access(command.argv[0].c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run ", command.argv[0], ": ", std::strerror(errno)));
  }
  Pipe in, out, err;
  for (Pipe* p : {&in, &out, &err}) {
    if (absl::Status s = p->Open(); !s.ok()) return s;
  }
  std::vector<char*> argv;
  for (const std::string& a : command.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL);
    dup2(in.read_end, 0);
    dup2(out.write_end, 1);
    dup2(err.write_end, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  setpgid(pid, pid);
  Pipe::Close(in.read_end);
  Pipe::Close(out.write_end);
  Pipe::Close(err.write_end);
  fcntl(in.write_end, F_SETFL, O_NONBLOCK);

  ProcessResult result;
  size_t stdin_done = 0;
  if (command.stdin_text.empty()) Pipe::Close(in.write_end);
  auto deadline = std::chrono::steady_clock::now() + command.timeout;
  // Daemons started by the child (postfix start -> master) may keep our pipes open forever, so
  // the child's own exit, not EOF, ends the run.
  int status = 0;
  bool reaped = false;
  while (!reaped) {
    pollfd fds[3];
    int n = 0;
    if (out.read_end >= 0) fds[n++] = {out.read_end, POLLIN, 0};
    if (err.read_end >= 0) fds[n++] = {err.read_end, POLLIN, 0};
    if (in.write_end >= 0) fds[n++] = {in.write_end, POLLOUT, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    int rc = poll(fds, n, static_cast<int>(std::min<int64_t>(left.count(), 20)));
    if (rc < 0 && errno != EINTR) break;
    for (int i = 0; i < n && rc > 0; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in.write_end) {
        ssize_t w = write(in.write_end, command.stdin_text.data() + stdin_done,
                          command.stdin_text.size() - stdin_done);
        if (w > 0) stdin_done += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN) stdin_done = command.stdin_text.size();
        if (stdin_done >= command.stdin_text.size()) Pipe::Close(in.write_end);
        continue;
      }
      char buf[65536];
      ssize_t r = read(fds[i].fd, buf, sizeof(buf));
      bool is_out = fds[i].fd == out.read_end;
      if (r > 0) {
        (is_out ? result.stdout_text : result.stderr_text).append(buf, static_cast<size_t>(r));
      } else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
        Pipe::Close(is_out ? out.read_end : err.read_end);
      }
    }
    if (waitpid(pid, &status, WNOHANG) == pid) reaped = true;
  }
  // Whatever the child wrote before exiting is already in the pipes.
  for (int* fd : {&out.read_end, &err.read_end}) {
    if (*fd < 0) continue;
    fcntl(*fd, F_SETFL, O_NONBLOCK);
    char buf[65536];
    ssize_t r;
    while ((r = read(*fd, buf, sizeof(buf))) > 0) {
      (*fd == out.read_end ? result.stdout_text : result.stderr_text)
          .append(buf, static_cast<size_t>(r));
    }
  }
  if (result.timed_out) kill(-pid, SIGKILL);
  Pipe::Close(in.write_end);
  Pipe::Close(out.read_end);
  Pipe::Close(err.read_end);
  while (!reaped && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (result.timed_out) {
    result.exit_code = -1;
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else {
    result.exit_code = -1;
  }
  return result;
}

}  // namespace relayguard::agent
