// Waiting for a non-blocking socket under a deadline, shared by the SMTP client and its TLS layer.
#ifndef RELAYGUARD_AGENT_PROBE_SOCKET_WAIT_H_
#define RELAYGUARD_AGENT_PROBE_SOCKET_WAIT_H_

#include <poll.h>

#include <cerrno>
#include <chrono>

namespace relayguard::agent {

using ProbeClock = std::chrono::steady_clock;

// Milliseconds until `deadline`, 0 once it has passed.
inline int MillisLeft(ProbeClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - ProbeClock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Waits until `fd` is ready for `events` or `deadline` passes (signals do not cut the wait
// short). Returns poll's result: >0 ready, 0 timed out, <0 error (errno set).
inline int WaitForSocket(int fd, short events, ProbeClock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int rc = poll(&p, 1, MillisLeft(deadline));
    if (rc >= 0 || errno != EINTR) return rc;
  }
}

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_PROBE_SOCKET_WAIT_H_
