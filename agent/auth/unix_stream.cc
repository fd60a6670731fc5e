#include "agent/auth/unix_stream.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace relayguard::agent {

UnixStream::~UnixStream() {
  if (fd_ >= 0) close(fd_);
}

absl::Status UnixStream::Connect(const std::string& path, ProbeClock::time_point deadline) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": a unix socket path may have at most ", sizeof(addr.sun_path) - 1,
                     " bytes"));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) return absl::UnavailableError(absl::StrCat("socket(): ", std::strerror(errno)));
  int rc = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int err = rc == 0 ? 0 : errno;
  if (err == EINPROGRESS || err == EAGAIN) {
    // A unix socket whose listen queue is full: wait for it like TCP.
    const int ready = WaitForSocket(fd_, POLLOUT, deadline);
    if (ready == 0) {
      return absl::DeadlineExceededError(absl::StrCat(path, ": connect timed out"));
    }
    socklen_t len = sizeof(err);
    if (ready < 0 || getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  }
  if (err == 0) return absl::OkStatus();
  close(fd_);
  fd_ = -1;
  std::string why = std::strerror(err);
  if (!why.empty()) why[0] = static_cast<char>(std::tolower(why[0]));
  const std::string message = absl::StrCat(path, ": ", why);
  if (err == ENOENT) return absl::NotFoundError(message);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
  return absl::UnavailableError(message);
}

absl::Status UnixStream::WriteAll(const std::string& data, ProbeClock::time_point deadline) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (WaitForSocket(fd_, POLLOUT, deadline) == 0) {
        return absl::DeadlineExceededError("the daemon stopped reading");
      }
      continue;
    }
    return absl::UnavailableError(absl::StrCat("write failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status UnixStream::Fill(ProbeClock::time_point deadline) {
  char buf[4096];
  for (;;) {
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      buffer_.append(buf, static_cast<size_t>(n));
      return absl::OkStatus();
    }
    if (n == 0) return absl::UnavailableError("the daemon closed the connection");
    if (errno != EAGAIN && errno != EINTR) {
      return absl::UnavailableError(absl::StrCat("read failed: ", std::strerror(errno)));
    }
    if (WaitForSocket(fd_, POLLIN, deadline) == 0) {
      return absl::DeadlineExceededError("no answer from the daemon in time");
    }
  }
}

absl::StatusOr<std::string> UnixStream::ReadLine(ProbeClock::time_point deadline) {
  size_t end;
  while ((end = buffer_.find('\n')) == std::string::npos) {
    if (absl::Status s = Fill(deadline); !s.ok()) return s;
  }
  std::string line = buffer_.substr(0, end);
  buffer_.erase(0, end + 1);
  return line;
}

absl::StatusOr<std::string> UnixStream::ReadExactly(size_t size, ProbeClock::time_point deadline) {
  while (buffer_.size() < size) {
    if (absl::Status s = Fill(deadline); !s.ok()) return s;
  }
  std::string out = buffer_.substr(0, size);
  buffer_.erase(0, size);
  return out;
}

}  // namespace relayguard::agent
