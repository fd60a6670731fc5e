#include "agent/os/process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace relayguard::agent {

std::string Command::ToString() const { return absl::StrJoin(argv, " "); }

namespace {

// A file descriptor closed when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  ~Fd() { Close(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset(int fd) {
    Close();
    fd_ = fd;
  }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read_end;
  Fd write_end;
};

absl::Status OpenPipe(Pipe& p) {
  int fds[2];
  // O_CLOEXEC: the child gets only the ends dup2()ed onto 0, 1 and 2.
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("cannot create a pipe: ", std::strerror(errno)));
  }
  p.read_end.Reset(fds[0]);
  p.write_end.Reset(fds[1]);
  return absl::OkStatus();
}

// Blocks SIGPIPE in this thread while we feed a child's stdin: a child that exits without
// reading must give us EPIPE, not kill the agent. A SIGPIPE we caused is consumed on the way out.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_set_);
    sigaddset(&pipe_set_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_set_, &old_mask_);
  }
  ~SigpipeBlock() {
    if (!was_pending_) {
      timespec zero{0, 0};
      while (sigtimedwait(&pipe_set_, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }

 private:
  sigset_t pipe_set_;
  sigset_t old_mask_;
  bool was_pending_ = false;
};

// Starts `argv` with `in`, `out` and `err` as its descriptors 0, 1 and 2 and no others, in a
// process group of its own (so that a timeout kills everything it started), with an empty
// signal mask and SIGPIPE at its default. posix_spawn, not fork: the child shares our memory
// until its exec instead of copying the page tables of the whole agent, which on a small VM
// cost more than a short program (postconf) takes to run. Returns the errno of a failed start.
int SpawnChild(char* const* argv, int in, int out, int err, pid_t& pid) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in, 0);
  posix_spawn_file_actions_adddup2(&actions, out, 1);
  posix_spawn_file_actions_adddup2(&actions, err, 2);
  // Descriptors the agent opened without O_CLOEXEC (sockets, locks) stay out of the child.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty, pipe_set;
  sigemptyset(&empty);
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &pipe_set);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  const int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv, environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return rc;
}

absl::Status CheckProgram(const Command& command) {
  if (command.argv.empty() || command.argv[0].empty() || command.argv[0][0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat("refusing to run \"", command.ToString(),
                                                   "\": the program needs an absolute path"));
  }
  const std::string& program = command.argv[0];
  struct stat st {};
  if (stat(program.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run ", program, ": ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode) || access(program.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run ", program, ": not an executable file"));
  }
  return absl::OkStatus();
}

// Moves data between the child and us until the child exits or the deadline passes.
class Pump {
 public:
  Pump(const Command& command, Pipe& in, Pipe& out, Pipe& err, ProcessResult& result)
      : command_(command),
        in_(in.write_end),
        out_(out.read_end),
        err_(err.read_end),
        result_(result) {
    if (command_.stdin_text.empty()) in_.Close();
    if (in_.get() >= 0) fcntl(in_.get(), F_SETFL, O_NONBLOCK);
  }

  // Returns true when the child exited (status in `status`), false on timeout or poll failure.
  bool Run(pid_t pid, int& status) {
    auto deadline = std::chrono::steady_clock::now() + command_.timeout;
    // Daemons started by the child (postfix start -> master) may keep our pipes open forever,
    // so the child's own exit, not EOF, ends the run: its pidfd becomes readable when it
    // exits. Without one (a kernel or seccomp filter without pidfd_open), short polls.
    // (The syscall: glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage.)
    Fd exited;
    exited.Reset(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    for (;;) {
      if (waitpid(pid, &status, WNOHANG) == pid) return true;
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        result_.timed_out = true;
        return false;
      }
      // Rounded up: truncating would end the run up to a millisecond before the deadline.
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
      pollfd fds[4];
      int n = 0;
      if (out_.get() >= 0) fds[n++] = {out_.get(), POLLIN, 0};
      if (err_.get() >= 0) fds[n++] = {err_.get(), POLLIN, 0};
      if (in_.get() >= 0) fds[n++] = {in_.get(), POLLOUT, 0};
      const int pipes = n;
      if (exited.get() >= 0) fds[n++] = {exited.get(), POLLIN, 0};
      const int64_t wait_ms = exited.get() >= 0 ? left.count() : std::min<int64_t>(left.count(), 10);
      int rc = poll(fds, n, static_cast<int>(wait_ms));
      if (rc < 0 && errno != EINTR) return false;
      for (int i = 0; i < pipes && rc > 0; ++i) {
        if (fds[i].revents != 0) Service(fds[i].fd);
      }
    }
  }

  // After the child exited: what it wrote is already in the pipes.
  void Drain() {
    for (Fd* fd : {&out_, &err_}) {
      if (fd->get() < 0) continue;
      fcntl(fd->get(), F_SETFL, O_NONBLOCK);
      while (Read(*fd)) {
      }
    }
  }

 private:
  void Service(int fd) {
    if (fd == in_.get()) {
      size_t& done = stdin_done_;
      ssize_t w = write(fd, command_.stdin_text.data() + done, command_.stdin_text.size() - done);
      if (w > 0) done += static_cast<size_t>(w);
      // EPIPE: the child closed its stdin; it gets no more.
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || done >= command_.stdin_text.size()) {
        in_.Close();
      }
      return;
    }
    Read(fd == out_.get() ? out_ : err_);
  }

  // Reads once; false at EOF, on error or when nothing is there (closing at EOF/error).
  bool Read(Fd& fd) {
    char buf[65536];
    ssize_t r = read(fd.get(), buf, sizeof(buf));
    int read_errno = errno;
    if (r > 0) {
      (&fd == &out_ ? result_.stdout_text : result_.stderr_text)
          .append(buf, static_cast<size_t>(r));
      return true;
    }
    if (r == 0 || (read_errno != EINTR && read_errno != EAGAIN)) fd.Close();
    return r < 0 && read_errno == EINTR;
  }

  const Command& command_;
  Fd& in_;
  Fd& out_;
  Fd& err_;
  ProcessResult& result_;
  size_t stdin_done_ = 0;
};

}  // namespace

absl::StatusOr<ProcessResult> RealProcessRunner::Run(const Command& command) {
  if (absl::Status s = CheckProgram(command); !s.ok()) return s;
  Pipe in, out, err;
  for (Pipe* p : {&in, &out, &err}) {
    if (absl::Status s = OpenPipe(*p); !s.ok()) return s;
  }
  // posix_spawn takes the argument vector as C strings.
  std::vector<char*> argv;
  for (const std::string& a : command.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  SigpipeBlock sigpipe_block;
  pid_t pid = -1;
  if (int error = SpawnChild(argv.data(), in.read_end.get(), out.write_end.get(),
                             err.write_end.get(), pid);
      error != 0) {
    // The program could not be executed (it passed CheckProgram, so it went away or is not a
    // format the kernel runs): the shell's "cannot execute" exit status, as after a fork.
    if (error != ENOMEM && error != EAGAIN) {
      ProcessResult result;
      result.exit_code = 127;
      return result;
    }
    return absl::InternalError(
        absl::StrCat("cannot start ", command.ToString(), ": ", std::strerror(error)));
  }
  in.read_end.Close();
  out.write_end.Close();
  err.write_end.Close();

  ProcessResult result;
  Pump pump(command, in, out, err, result);
  int status = 0;
  bool exited = pump.Run(pid, status);
  if (!exited) kill(-pid, SIGKILL);
  pump.Drain();
  while (!exited && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = !result.timed_out && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string ExitText(const ProcessResult& result) {
  return result.timed_out ? "timed out" : absl::StrCat("exit ", result.exit_code);
}

std::string OutputSummary(const ProcessResult& result, absl::string_view when_silent,
                          size_t max_lines) {
  const std::string& text = result.stderr_text.empty() ? result.stdout_text : result.stderr_text;
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n', absl::SkipWhitespace());
  if (lines.empty()) return std::string(when_silent);
  if (lines.size() > max_lines) lines.resize(max_lines);
  return absl::StrJoin(lines, "; ");
}

absl::StatusOr<ProcessResult> RunChecked(ProcessRunner& runner, const Command& command,
                                         const Diagnose& diagnose, absl::string_view failed) {
  absl::StatusOr<ProcessResult> result = runner.Run(command);
  if (!result.ok() || (result->exit_code == 0 && !result->timed_out)) return result;
  const std::string what =
      failed.empty() ? absl::StrCat(command.ToString(), " failed") : std::string(failed);
  return absl::FailedPreconditionError(
      absl::StrCat(what, " (", ExitText(*result), "): ", diagnose(*result)));
}

}  // namespace relayguard::agent
