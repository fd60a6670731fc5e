// A small blocking SMTP client over POSIX sockets: bind a chosen source address, connect with a
// timeout, send one command line, read one (possibly multi-line) reply with a timeout, and
// upgrade the connection to TLS after STARTTLS (RFC 3207).
#ifndef RELAYGUARD_AGENT_PROBE_SMTP_CLIENT_H_
#define RELAYGUARD_AGENT_PROBE_SMTP_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/probe/relay_probe.h"
#include "common/cidr.h"

namespace relayguard::agent {

class TlsChannel;

struct SmtpReply {
  int code = 0;
  // All lines joined by '\n', without CRLF, made printable (PrintableReplyLine): the server's
  // bytes end up in terminals, JSON and protobuf strings.
  std::string text;
};

// What a reply may hold. RFC 5321 section 4.5.3.1.5 allows 512 bytes a line; real servers stay
// far below these, and a server past them is hostile or broken (the reply is DataLoss).
inline constexpr size_t kMaxReplyLineBytes = 4096;
inline constexpr size_t kMaxReplyLines = 200;
inline constexpr size_t kMaxReplyBytes = 64 * 1024;

// `line` as valid, printable UTF-8: control bytes (NUL, ESC, ...), DEL and bytes that are not
// valid UTF-8 become "\xNN", a tab a space; printable ASCII and valid UTF-8 stay as they are.
std::string PrintableReplyLine(const std::string& line);

class SmtpClient {
 public:
  SmtpClient();
  ~SmtpClient();
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;

  // Closes any previous connection, binds `source` (port 0) and connects to `endpoint` within
  // `timeout` (also the limit for each later send). Unavailable with the reason (refused, timed
  // out, cannot bind); InvalidArgument when source and endpoint are of different families.
  // May be retried.
  absl::Status Connect(const SmtpEndpoint& endpoint, const IpAddress& source,
                       std::chrono::milliseconds timeout);
  // Sends `line` + CRLF. InvalidArgument if `line` contains CR or LF (no command smuggling);
  // Unavailable when not connected or the write fails.
  absl::Status SendCommand(const std::string& line);
  // Reads one complete reply ("250-a", "250 b" -> code 250, text "250-a\n250 b").
  // DeadlineExceeded when it does not arrive within `timeout` (however slowly its bytes
  // trickle in), Unavailable when the server closed the connection, DataLoss for a line that is
  // not an SMTP reply (code outside 100..599) or a reply past the kMaxReply* bounds. Memory
  // stays within those bounds whatever the server sends.
  absl::StatusOr<SmtpReply> ReadReply(std::chrono::milliseconds timeout);
  // After the server answered 220 to STARTTLS: the TLS client handshake within `timeout`; later
  // commands and replies go over TLS. The certificate is recorded, not verified (see
  // tls_channel.h). FailedPrecondition when not connected, already on TLS, or when the server
  // sent bytes after its 220 (they would pass for TLS-protected: RFC 3207 section 6);
  // DeadlineExceeded when the handshake does not complete in time; Unavailable with OpenSSL's
  // reason when it fails. On any error the connection is unusable: Close() it.
  absl::StatusOr<TlsSessionInfo> StartTls(std::chrono::milliseconds timeout);
  void Close();
  bool connected() const { return fd_ >= 0; }
  bool tls() const { return tls_ != nullptr; }

 private:
  // Reads 1..`size` bytes (decrypted on TLS). DeadlineExceeded, or Unavailable when closed.
  absl::StatusOr<size_t> ReadSome(char* buf, size_t size, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::unique_ptr<TlsChannel> tls_;
  std::chrono::milliseconds send_timeout_{10000};
  std::string buffer_;  // bytes read but not yet consumed
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_PROBE_SMTP_CLIENT_H_
