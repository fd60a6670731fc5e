// Test support: a malicious SMTP server on a loopback port chosen at run time. It speaks enough
// SMTP to lead a client to the point where it misbehaves in one chosen way (a reply of
// megabytes, a multi-line reply without end, one byte a second, a TLS handshake that never
// ends, bytes that are not UTF-8 or NUL, a banner without CRLF, an immediate close, reply codes
// out of range); otherwise it refuses relaying (RCPT 554). One thread per connection, any number
// at once (a scan opens several). Header-only.
#ifndef RELAYGUARD_TESTS_SUPPORT_HOSTILE_SMTP_SERVER_H_
#define RELAYGUARD_TESTS_SUPPORT_HOSTILE_SMTP_SERVER_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "agent/probe/relay_probe.h"

namespace relayguard::testing {

enum class Hostility {
  kMegabyteReply,       // a greeting of 8 MiB (220- lines of 1000 bytes)
  kEndlessMultiline,    // EHLO answered with "250-..." lines, forever
  kOneBytePerSecond,    // the greeting, one byte a second
  kStalledTlsHandshake, // STARTTLS offered and accepted, then a TLS record that never completes
  kInvalidBytes,        // replies with bytes that are not UTF-8, NUL and terminal escapes
  kNulInCode,           // RCPT answered "2\0\0 ..." (a NUL where the code should be)
  kBannerWithoutEnd,    // "220 xxxx..." without CRLF, megabytes of it
  kImmediateClose,      // accepts and closes at once
  kCodeOutOfRange,      // greets 220, then answers MAIL with "999 ..." and EHLO is fine
};

inline const char* HostilityName(Hostility h) {
  switch (h) {
    case Hostility::kMegabyteReply: return "megabyte-reply";
    case Hostility::kEndlessMultiline: return "endless-multiline";
    case Hostility::kOneBytePerSecond: return "one-byte-per-second";
    case Hostility::kStalledTlsHandshake: return "stalled-tls-handshake";
    case Hostility::kInvalidBytes: return "invalid-bytes";
    case Hostility::kNulInCode: return "nul-in-code";
    case Hostility::kBannerWithoutEnd: return "banner-without-end";
    case Hostility::kImmediateClose: return "immediate-close";
    case Hostility::kCodeOutOfRange: return "code-out-of-range";
  }
  return "?";
}

class HostileSmtpServer {
 public:
  // Bytes the kInvalidBytes server puts into its greeting and its RCPT reply.
  static constexpr char kInvalidText[] = "\xff\xfe\xc3\x28 \x1b[2J\x07 caf\xc3\xa9";

  explicit HostileSmtpServer(Hostility hostility) : hostility_(hostility) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        listen(listen_fd_, 64) != 0) {
      throw std::runtime_error("cannot listen on a loopback port");
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~HostileSmtpServer() {
    stop_ = true;
    shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
    acceptor_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int fd : open_) shutdown(fd, SHUT_RDWR);
    }
    for (std::thread& t : sessions_) t.join();
    close(listen_fd_);
  }
  HostileSmtpServer(const HostileSmtpServer&) = delete;
  HostileSmtpServer& operator=(const HostileSmtpServer&) = delete;

  agent::SmtpEndpoint endpoint() const { return {*ParseIpAddress("127.0.0.1"), port_}; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }

 private:
  void Accept() {
    for (;;) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      ++connections_;
      std::lock_guard<std::mutex> lock(mu_);
      open_.insert(fd);
      sessions_.emplace_back([this, fd] {
        Session(fd);
        std::lock_guard<std::mutex> l(mu_);
        open_.erase(fd);
        close(fd);
      });
    }
  }

  // Sends all of `data`; false once the client is gone or the server stops.
  bool Send(int fd, const std::string& data) {
    size_t done = 0;
    while (done < data.size() && !stop_) {
      ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      done += static_cast<size_t>(n);
    }
    return !stop_;
  }

  // Waits `d` unless the server stops first; false when it stops.
  bool Pause(std::chrono::milliseconds d) {
    for (auto end = std::chrono::steady_clock::now() + d; std::chrono::steady_clock::now() < end;) {
      if (stop_) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return !stop_;
  }

  // The next command line (without CRLF); false when the client closed or the server stops.
  bool ReadLine(int fd, std::string& buffer, std::string& line) {
    for (;;) {
      if (size_t end = buffer.find("\r\n"); end != std::string::npos) {
        line = buffer.substr(0, end);
        buffer.erase(0, end + 2);
        return true;
      }
      pollfd p{fd, POLLIN, 0};
      if (stop_) return false;
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[1024];
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return false;
      buffer.append(buf, static_cast<size_t>(n));
    }
  }

  void Session(int fd) {
    switch (hostility_) {
      case Hostility::kImmediateClose:
        return;
      case Hostility::kOneBytePerSecond:
        for (char c : std::string("220 slow.test ESMTP\r\n")) {
          if (!Send(fd, std::string(1, c)) || !Pause(std::chrono::seconds(1))) return;
        }
        break;
      case Hostility::kMegabyteReply: {
        const std::string line = "220-" + std::string(996, 'm') + "\r\n";
        std::string chunk;
        for (int i = 0; i < 64; ++i) chunk += line;
        for (int i = 0; i < 128; ++i) {  // 128 x 64 KiB = 8 MiB
          if (!Send(fd, chunk)) return;
        }
        if (!Send(fd, "220 megabytes.test ESMTP\r\n")) return;
        break;
      }
      case Hostility::kBannerWithoutEnd: {
        if (!Send(fd, "220 ")) return;
        const std::string chunk(64 * 1024, 'b');
        for (int i = 0; i < 256; ++i) {  // 16 MiB, never a CRLF
          if (!Send(fd, chunk)) return;
        }
        (void)Pause(std::chrono::seconds(30));
        return;
      }
      case Hostility::kInvalidBytes:
        if (!Send(fd, std::string("220 ") + kInvalidText + "\r\n")) return;
        break;
      default:
        if (!Send(fd, "220 hostile.test ESMTP\r\n")) return;
    }
    std::string buffer, line;
    while (ReadLine(fd, buffer, line)) {
      const std::string verb = line.substr(0, 4);
      std::string reply;
      if (verb == "EHLO" && hostility_ == Hostility::kEndlessMultiline) {
        const std::string more = "250-this reply has no last line\r\n";
        std::string chunk;
        for (int i = 0; i < 512; ++i) chunk += more;
        while (Send(fd, chunk)) {
        }
        return;
      } else if (verb == "EHLO") {
        reply = hostility_ == Hostility::kStalledTlsHandshake
                    ? "250-hostile.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
                    : "250-hostile.test\r\n250 8BITMIME\r\n";
      } else if (verb == "HELO") {
        reply = "250 hostile.test\r\n";
      } else if (verb == "STAR") {
        if (!Send(fd, "220 2.0.0 go ahead\r\n")) return;
        // A TLS handshake record header that announces 16 KiB, then one byte a second.
        const std::string record = "\x16\x03\x03\x40\x00";
        for (char c : record) {
          if (!Send(fd, std::string(1, c)) || !Pause(std::chrono::milliseconds(200))) return;
        }
        while (Send(fd, std::string(1, '\x02')) && Pause(std::chrono::seconds(1))) {
        }
        return;
      } else if (verb == "MAIL") {
        reply = hostility_ == Hostility::kCodeOutOfRange ? "999 9.9.9 out of range\r\n"
                                                         : "250 2.1.0 ok\r\n";
      } else if (verb == "RCPT") {
        if (hostility_ == Hostility::kNulInCode) {
          static constexpr char kNul[] = "2\0\0 2.1.5 ok\r\n";
          reply.assign(kNul, sizeof(kNul) - 1);
        } else if (hostility_ == Hostility::kInvalidBytes) {
          reply = std::string("554 5.7.1 ") + kInvalidText + " relay denied\r\n";
        } else {
          reply = "554 5.7.1 relay access denied\r\n";
        }
      } else if (verb == "QUIT") {
        (void)Send(fd, "221 bye\r\n");
        return;
      } else {
        reply = "250 ok\r\n";
      }
      if (!Send(fd, reply)) return;
    }
  }

  const Hostility hostility_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::set<int> open_;
  std::vector<std::thread> sessions_;
};

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_SUPPORT_HOSTILE_SMTP_SERVER_H_
