#include "agent/probe/smtp_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace relayguard::agent {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxReplyBytes = 1 << 20;

socklen_t ToSockaddr(const IpAddress& ip, uint16_t port, sockaddr_storage& storage) {
  std::memset(&storage, 0, sizeof(storage));
  if (ip.family == IpFamily::kV4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    std::memcpy(&sin->sin_addr, ip.bytes.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  std::memcpy(&sin6->sin6_addr, ip.bytes.data(), 16);
  return sizeof(sockaddr_in6);
}

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Waits until `fd` is ready for `events` or `deadline` passes (signals do not cut the wait
// short). Returns poll's result: >0 ready, 0 timed out, <0 error (errno set).
int WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int rc = poll(&p, 1, MillisLeft(deadline));
    if (rc >= 0 || errno != EINTR) return rc;
  }
}

// One reply line: its code, and whether more lines of the same reply follow ("250-...").
absl::Status ParseReplyLine(const std::string& line, int& code, bool& more) {
  if (line.size() < 3 || !absl::SimpleAtoi(line.substr(0, 3), &code) || code < 100 || code > 599 ||
      (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
    return absl::DataLossError(absl::StrCat("malformed SMTP reply line \"", line, "\""));
  }
  more = line.size() > 3 && line[3] == '-';
  return absl::OkStatus();
}

}  // namespace

SmtpClient::~SmtpClient() { Close(); }

void SmtpClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  buffer_.clear();
}

absl::Status SmtpClient::Connect(const SmtpEndpoint& endpoint, const IpAddress& source,
                                 std::chrono::milliseconds timeout) {
  Close();
  if (source.family != endpoint.host.family) {
    return absl::InvalidArgumentError(absl::StrCat("source ", source.ToString(), " and server ",
                                                   endpoint.ToString(),
                                                   " are of different address families"));
  }
  const auto deadline = Clock::now() + timeout;
  int fd = socket(source.family == IpFamily::kV4 ? AF_INET : AF_INET6,
                  SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  auto fail = [&](int err, const std::string& what) {
    close(fd);
    return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(err)));
  };
  sockaddr_storage addr;
  socklen_t len = ToSockaddr(source, 0, addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    return fail(errno, absl::StrCat("cannot bind source address ", source.ToString()));
  }
  const std::string cannot_connect = absl::StrCat("cannot connect to ", endpoint.ToString());
  len = ToSockaddr(endpoint.host, endpoint.port, addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 && errno != EINPROGRESS) {
    return fail(errno, cannot_connect);
  }
  int rc = WaitFor(fd, POLLOUT, deadline);
  if (rc < 0) return fail(errno, cannot_connect);
  if (rc == 0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("connecting to ", endpoint.ToString(),
                                               " timed out after ", timeout.count(), " ms"));
  }
  int err = 0;
  socklen_t err_len = sizeof(err);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) err = errno;
  if (err != 0) return fail(err, cannot_connect);
  fd_ = fd;
  send_timeout_ = timeout;
  return absl::OkStatus();
}

absl::Status SmtpClient::SendCommand(const std::string& line) {
  if (line.find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("SMTP command contains CR or LF, refusing to send it: \"",
                     line.substr(0, line.find_first_of("\r\n")), "...\""));
  }
  if (fd_ < 0) return absl::UnavailableError("not connected");
  const std::string data = line + "\r\n";
  const auto deadline = Clock::now() + send_timeout_;
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n >= 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return absl::UnavailableError(absl::StrCat("send failed: ", std::strerror(errno)));
    }
    if (WaitFor(fd_, POLLOUT, deadline) <= 0) {
      return absl::UnavailableError(
          absl::StrCat("send did not complete within ", send_timeout_.count(), " ms"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SmtpReply> SmtpClient::ReadReply(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return absl::UnavailableError("not connected");
  const auto deadline = Clock::now() + timeout;
  SmtpReply reply;
  for (;;) {
    size_t nl;
    while ((nl = buffer_.find('\n')) != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      int code = 0;
      bool more = false;
      if (absl::Status s = ParseReplyLine(line, code, more); !s.ok()) return s;
      if (!reply.text.empty() && code != reply.code) {
        return absl::DataLossError(absl::StrCat("SMTP reply changes its code from ", reply.code,
                                                " to ", code, " in \"", line, "\""));
      }
      if (!reply.text.empty()) reply.text += "\n";
      reply.text += line;
      reply.code = code;
      if (!more) return reply;
    }
    int rc = WaitFor(fd_, POLLIN, deadline);
    if (rc == 0) {
      return absl::DeadlineExceededError(absl::StrCat("no reply within ", timeout.count(), " ms"));
    }
    if (rc < 0) return absl::UnavailableError(absl::StrCat("poll: ", std::strerror(errno)));
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n == 0) return absl::UnavailableError("the server closed the connection");
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return absl::UnavailableError(absl::StrCat("recv failed: ", std::strerror(errno)));
    }
    buffer_.append(buf, static_cast<size_t>(n));
    if (buffer_.size() > kMaxReplyBytes) return absl::DataLossError("SMTP reply longer than 1 MiB");
  }
}

}  // namespace relayguard::agent
