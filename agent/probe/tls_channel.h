// TLS client on an already connected non-blocking socket (the SMTP connection after STARTTLS).
// OpenSSL works on memory buffers; every byte goes through send(MSG_NOSIGNAL)/recv here, under
// poll() deadlines, so a handshake or read never blocks past its deadline and a peer that hangs
// up never raises SIGPIPE.
#ifndef RELAYGUARD_AGENT_PROBE_TLS_CHANNEL_H_
#define RELAYGUARD_AGENT_PROBE_TLS_CHANNEL_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/probe/relay_probe.h"
#include "agent/probe/socket_wait.h"

namespace relayguard::agent {

class TlsChannel {
 public:
  // Runs the client handshake on `fd` (not owned; must outlive the channel) by `deadline`.
  // The peer certificate is recorded, never verified (the probe tests relaying, not identity),
  // and every protocol version and cipher OpenSSL still has is allowed (old relays are the ones
  // that matter). DeadlineExceeded when the handshake does not complete in time; Unavailable
  // with OpenSSL's reason when it fails or the server closes. The socket is then unusable.
  static absl::StatusOr<std::unique_ptr<TlsChannel>> Connect(int fd,
                                                             ProbeClock::time_point deadline);
  ~TlsChannel();
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;

  // Encrypts and sends all of `data` by `deadline`. Unavailable when that fails or times out.
  absl::Status Write(const std::string& data, ProbeClock::time_point deadline);
  // Reads 1..`size` decrypted bytes into `buf`. DeadlineExceeded when none arrive by
  // `deadline`, Unavailable when the server closed the connection or TLS failed.
  absl::StatusOr<size_t> Read(char* buf, size_t size, ProbeClock::time_point deadline);

  const TlsSessionInfo& session() const { return session_; }

 private:
  struct State;  // the OpenSSL objects
  explicit TlsChannel(int fd);

  // Calls `op` (an SSL_* call returning > 0 on success) until it succeeds, moving bytes
  // between the socket and OpenSSL as it asks. Returns op's result.
  template <typename Op>
  absl::StatusOr<int> Drive(Op op, ProbeClock::time_point deadline);
  absl::Status Flush(ProbeClock::time_point deadline);  // sends what OpenSSL has queued
  absl::Status Fill(ProbeClock::time_point deadline);   // hands OpenSSL what the socket has

  const int fd_;
  std::unique_ptr<State> state_;
  TlsSessionInfo session_;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_PROBE_TLS_CHANNEL_H_
