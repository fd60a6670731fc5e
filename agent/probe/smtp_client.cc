#include "agent/probe/smtp_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "agent/probe/socket_wait.h"
#include "agent/probe/tls_channel.h"

namespace relayguard::agent {
namespace {

using Clock = ProbeClock;


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

// Length of the valid UTF-8 sequence at s[i] (1..4), or 0 when none starts there.
size_t Utf8SequenceAt(const std::string& s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  size_t n;
  unsigned lowest;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, lowest = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, lowest = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, lowest = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  unsigned cp = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < lowest || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// At most `max` bytes of `line` for an error message, made printable.
std::string Excerpt(const std::string& line, size_t max = 80) {
  std::string out = PrintableReplyLine(line.substr(0, max));
  if (line.size() > max) absl::StrAppend(&out, "... (", line.size(), " bytes)");
  return out;
}

// One reply line: its code, and whether more lines of the same reply follow ("250-...").
absl::Status ParseReplyLine(const std::string& line, int& code, bool& more) {
  if (line.size() < 3 || !absl::ascii_isdigit(line[0]) || !absl::SimpleAtoi(line.substr(0, 3), &code) ||
      code < 100 || code > 599 || (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
    return absl::DataLossError(absl::StrCat("malformed SMTP reply line \"", Excerpt(line),
                                            "\" (not a reply code 100..599)"));
  }
  more = line.size() > 3 && line[3] == '-';
  return absl::OkStatus();
}

}  // namespace

std::string PrintableReplyLine(const std::string& line) {
  std::string out;
  out.reserve(line.size());
  for (size_t i = 0; i < line.size();) {
    const unsigned char c = static_cast<unsigned char>(line[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += line[i++];
    } else if (c == '\t') {
      out += ' ';
      ++i;
    } else if (size_t n = c >= 0x80 ? Utf8SequenceAt(line, i) : 0; n > 0) {
      out.append(line, i, n);
      i += n;
    } else {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
      ++i;
    }
  }
  return out;
}

SmtpClient::SmtpClient() = default;
SmtpClient::~SmtpClient() { Close(); }

void SmtpClient::Close() {
  tls_.reset();  // before the socket it uses
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
  int rc = WaitForSocket(fd, POLLOUT, deadline);
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
  if (tls_ != nullptr) {
    absl::Status sent = tls_->Write(data, deadline);
    if (!sent.ok()) return absl::UnavailableError(absl::StrCat("send failed: ", sent.message()));
    return absl::OkStatus();
  }
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
    if (WaitForSocket(fd_, POLLOUT, deadline) <= 0) {
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
  size_t lines = 0;
  for (;;) {
    size_t nl;
    while ((nl = buffer_.find('\n')) != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.size() > kMaxReplyLineBytes) {
        return absl::DataLossError(absl::StrCat("SMTP reply line longer than ", kMaxReplyLineBytes,
                                                " bytes: \"", Excerpt(line), "\""));
      }
      int code = 0;
      bool more = false;
      if (absl::Status s = ParseReplyLine(line, code, more); !s.ok()) return s;
      if (!reply.text.empty() && code != reply.code) {
        return absl::DataLossError(absl::StrCat("SMTP reply changes its code from ", reply.code,
                                                " to ", code, " in \"", Excerpt(line), "\""));
      }
      if (++lines > kMaxReplyLines) {
        return absl::DataLossError(
            absl::StrCat("SMTP reply of more than ", kMaxReplyLines, " lines"));
      }
      if (!reply.text.empty()) reply.text += "\n";
      reply.text += PrintableReplyLine(line);
      reply.code = code;
      if (!more) return reply;
      if (reply.text.size() > kMaxReplyBytes) {
        return absl::DataLossError(
            absl::StrCat("SMTP reply longer than ", kMaxReplyBytes, " bytes"));
      }
    }
    // A line without its end so far: a server that never ends it must not grow the buffer.
    if (buffer_.size() > kMaxReplyLineBytes) {
      return absl::DataLossError(absl::StrCat("SMTP reply line longer than ", kMaxReplyLineBytes,
                                              " bytes without an end: \"", Excerpt(buffer_),
                                              "\""));
    }
    char buf[4096];
    absl::StatusOr<size_t> n = ReadSome(buf, sizeof(buf), deadline);
    if (absl::IsDeadlineExceeded(n.status())) {
      return absl::DeadlineExceededError(
          reply.text.empty() && buffer_.empty()
              ? absl::StrCat("no reply within ", timeout.count(), " ms")
              : absl::StrCat("no complete reply within ", timeout.count(), " ms (",
                             reply.text.size() + buffer_.size(), " bytes of it arrived)"));
    }
    if (!n.ok()) return n.status();
    buffer_.append(buf, *n);
  }
}

absl::StatusOr<size_t> SmtpClient::ReadSome(char* buf, size_t size, Clock::time_point deadline) {
  if (tls_ != nullptr) return tls_->Read(buf, size, deadline);
  for (;;) {
    int rc = WaitForSocket(fd_, POLLIN, deadline);
    if (rc == 0) return absl::DeadlineExceededError("no data in time");
    if (rc < 0) return absl::UnavailableError(absl::StrCat("poll: ", std::strerror(errno)));
    ssize_t n = recv(fd_, buf, size, 0);
    if (n == 0) return absl::UnavailableError("the server closed the connection");
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return absl::UnavailableError(absl::StrCat("recv failed: ", std::strerror(errno)));
    }
    return static_cast<size_t>(n);
  }
}

absl::StatusOr<TlsSessionInfo> SmtpClient::StartTls(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return absl::FailedPreconditionError("not connected");
  if (tls_ != nullptr) return absl::FailedPreconditionError("the connection is already on TLS");
  if (!buffer_.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the server sent ", buffer_.size(),
        " bytes after its 220 to STARTTLS, before the TLS handshake (plaintext that would pass "
        "for TLS-protected); TLS was not started"));
  }
  // TLS sends its Finished record and the first command back to back, without a reply in
  // between: with Nagle's algorithm the command waits for the server's delayed ACK (40 ms).
  const int one = 1;
  (void)setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  absl::StatusOr<std::unique_ptr<TlsChannel>> channel =
      TlsChannel::Connect(fd_, Clock::now() + timeout);
  if (absl::IsDeadlineExceeded(channel.status())) {
    return absl::DeadlineExceededError(
        absl::StrCat("TLS handshake did not complete within ", timeout.count(), " ms"));
  }
  if (!channel.ok()) {
    return absl::Status(channel.status().code(),
                        absl::StrCat("TLS handshake failed: ", channel.status().message()));
  }
  tls_ = std::move(*channel);
  return tls_->session();
}

}  // namespace relayguard::agent
