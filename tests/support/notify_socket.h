// Test support: the datagram socket systemd listens on for a Type=notify unit (NOTIFY_SOCKET),
// read by the test. Daemons started while NOTIFY_SOCKET names it send their states there.
#ifndef RELAYGUARD_TESTS_SUPPORT_NOTIFY_SOCKET_H_
#define RELAYGUARD_TESTS_SUPPORT_NOTIFY_SOCKET_H_

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace relayguard::testing {

class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    unlink(path.c_str());
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ADD_FAILURE() << "cannot bind " << path;
    }
  }
  ~NotifySocket() {
    close(fd_);
    unlink(path_.c_str());
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // The next message, or nothing within `limit`.
  std::optional<std::string> Next(std::chrono::milliseconds limit) {
    timeval tv{static_cast<time_t>(limit.count() / 1000),
               static_cast<suseconds_t>(limit.count() % 1000 * 1000)};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buffer[4096];
    ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    if (n < 0) return std::nullopt;
    return std::string(buffer, n);
  }
  // The next message that is not WATCHDOG=1.
  std::optional<std::string> NextState(std::chrono::milliseconds limit) {
    for (int i = 0; i < 1000; ++i) {
      std::optional<std::string> m = Next(limit);
      if (!m || *m != "WATCHDOG=1") return m;
    }
    return std::nullopt;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_SUPPORT_NOTIFY_SOCKET_H_
