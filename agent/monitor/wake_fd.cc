#include "agent/monitor/wake_fd.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace relayguard::agent {

WakeFd::WakeFd() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0) {
    std::fprintf(stderr, "relayguard: cannot create an eventfd: %s\n", std::strerror(errno));
    std::abort();
  }
}

WakeFd::~WakeFd() { close(fd_); }

void WakeFd::Signal() {
  uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the waiter wakes anyway.
  [[maybe_unused]] ssize_t n = write(fd_, &one, sizeof one);
}

void WakeFd::Clear() {
  uint64_t value;
  [[maybe_unused]] ssize_t n = read(fd_, &value, sizeof value);
}

}  // namespace relayguard::agent
