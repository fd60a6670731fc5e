#include "agent/probe/smtp_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
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
    return absl::InvalidArgumentError(absl::StrCat("source ", source.ToString(),
                                                   " and server ", endpoint.ToString(),
                                                   " are of different address families"));
  }
  int fd = socket(source.family == IpFamily::kV4 ? AF_INET : AF_INET6,
                  SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_storage addr;
  socklen_t len = ToSockaddr(source, 0, addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    int err = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot bind source address ", source.ToString(), ": ", std::strerror(err)));
  }
  len = ToSockaddr(endpoint.host, endpoint.port, addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 && errno != EINPROGRESS) {
    int err = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", endpoint.ToString(), ": ", std::strerror(err)));
  }
  pollfd p{fd, POLLOUT, 0};
  int rc = poll(&p, 1, static_cast<int>(timeout.count()));
  if (rc <= 0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("connecting to ", endpoint.ToString(),
                                               " timed out after ", timeout.count(), " ms"));
  }
  int err = 0;
  socklen_t err_len = sizeof(err);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
  if (err != 0) {
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", endpoint.ToString(), ": ", std::strerror(err)));
  }
  fd_ = fd;
  return absl::OkStatus();
}

absl::Status SmtpClient::Send(const std::string& line) {
  if (line.find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError("SMTP command contains CR or LF: refusing to send it");
  }
  if (fd_ < 0) return absl::UnavailableError("not connected");
  std::string data = line + "\r\n";
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd p{fd_, POLLOUT, 0};
        poll(&p, 1, 1000);
        continue;
      }
      return absl::UnavailableError(absl::StrCat("send failed: ", std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<SmtpReply> SmtpClient::ReadReply(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return absl::UnavailableError("not connected");
  auto deadline = Clock::now() + timeout;
  SmtpReply reply;
  for (;;) {
    size_t nl;
    while ((nl = buffer_.find('\n')) != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!reply.text.empty()) reply.text += "\n";
      reply.text += line;
      int code = 0;
      if (line.size() < 3 || !absl::SimpleAtoi(line.substr(0, 3), &code)) {
        return absl::DataLossError(absl::StrCat("malformed SMTP reply line \"", line, "\""));
      }
      reply.code = code;
      if (line.size() == 3 || line[3] != '-') return reply;  // last line of the reply
    }
    pollfd p{fd_, POLLIN, 0};
    int rc = poll(&p, 1, MillisLeft(deadline));
    if (rc == 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("no reply within ", timeout.count(), " ms"));
    }
    if (rc < 0 && errno != EINTR) {
      return absl::UnavailableError(absl::StrCat("poll failed: ", std::strerror(errno)));
    }
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n == 0) return absl::UnavailableError("the server closed the connection");
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return absl::UnavailableError(absl::StrCat("recv failed: ", std::strerror(errno)));
    }
    buffer_.append(buf, static_cast<size_t>(n));
    if (buffer_.size() > 1 << 20) return absl::DataLossError("SMTP reply longer than 1 MiB");
  }
}

}  // namespace relayguard::agent
