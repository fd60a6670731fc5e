// A blocking-with-deadline client on a unix stream socket, for the SASL daemons' own protocols
// (Dovecot's auth-client socket, saslauthd's mux). Every call finishes by its deadline.
#ifndef RELAYGUARD_AGENT_AUTH_UNIX_STREAM_H_
#define RELAYGUARD_AGENT_AUTH_UNIX_STREAM_H_

#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/probe/socket_wait.h"

namespace relayguard::agent {

class UnixStream {
 public:
  UnixStream() = default;
  ~UnixStream();
  UnixStream(const UnixStream&) = delete;
  UnixStream& operator=(const UnixStream&) = delete;

  // Connects to the socket at `path` by `deadline`. The error keeps the kernel's errno in its
  // message ("no such file or directory", "connection refused", "permission denied") and is
  // NotFound (ENOENT), PermissionDenied (EACCES), Unavailable (refused, anything else) or
  // DeadlineExceeded.
  absl::Status Connect(const std::string& path, ProbeClock::time_point deadline);
  // Sends all of `data`. Unavailable when the peer is gone, DeadlineExceeded when it stalls.
  absl::Status WriteAll(const std::string& data, ProbeClock::time_point deadline);
  // One line without its '\n'. Unavailable when the peer closed first, DeadlineExceeded.
  absl::StatusOr<std::string> ReadLine(ProbeClock::time_point deadline);
  // Exactly `size` bytes. Same errors as ReadLine.
  absl::StatusOr<std::string> ReadExactly(size_t size, ProbeClock::time_point deadline);

 private:
  absl::Status Fill(ProbeClock::time_point deadline);  // appends what arrives to buffer_

  int fd_ = -1;
  std::string buffer_;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_AUTH_UNIX_STREAM_H_
