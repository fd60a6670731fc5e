// A small blocking SMTP client over POSIX sockets: bind a chosen source address, connect with a
// timeout, send one command line, read one (possibly multi-line) reply with a timeout.
#ifndef RELAYGUARD_AGENT_PROBE_SMTP_CLIENT_H_
#define RELAYGUARD_AGENT_PROBE_SMTP_CLIENT_H_

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "agent/probe/relay_probe.h"

namespace relayguard::agent {

struct SmtpReply {
  int code = 0;
  std::string text;  // all lines joined by '\n', without CRLF
};

class SmtpClient {
 public:
  SmtpClient() = default;
  ~SmtpClient();
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;

  // Binds `source` (port 0) and connects to `endpoint` within `timeout`. Unavailable with the
  // reason (refused, timeout, cannot bind) otherwise.
  absl::Status Connect(const SmtpEndpoint& endpoint, const IpAddress& source,
                       std::chrono::milliseconds timeout);
  // Sends `line` + CRLF. InvalidArgument if `line` contains CR or LF (no command smuggling).
  absl::Status Send(const std::string& line);
  // Reads one reply. DeadlineExceeded on timeout, Unavailable when the server closed.
  absl::StatusOr<SmtpReply> ReadReply(std::chrono::milliseconds timeout);
  void Close();
  bool connected() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
  std::string buffer_;  // bytes read but not yet consumed
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_PROBE_SMTP_CLIENT_H_
