// The probe's SMTP reply reader (agent/probe/smtp_client.h ReadReply) against whatever a server
// sends: the input is what a server on loopback writes before it closes. Every reply read has
// one code in 100..599 that starts each of its lines, the replies hold no more bytes than were
// sent, and the reader ends with Unavailable (closed) or DataLoss (not SMTP), never waiting.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_split.h"
#include "agent/probe/smtp_client.h"
#include "common/cidr.h"
#include "common/endpoint.h"
#include "fuzz/fuzz_check.h"

namespace {

// A listener on 127.0.0.1, port chosen by the kernel, for the whole run.
int Listener(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  FUZZ_CHECK(fd >= 0, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  FUZZ_CHECK(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "bind 127.0.0.1");
  FUZZ_CHECK(listen(fd, 16) == 0, "listen");
  socklen_t len = sizeof addr;
  FUZZ_CHECK(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0, "getsockname");
  *port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256 * 1024) return 0;  // stays within the socket buffers: written before reading
  static uint16_t port = 0;
  static const int listener = Listener(&port);
  static const relayguard::IpAddress loopback = *relayguard::ParseIpAddress("127.0.0.1");
  relayguard::SmtpEndpoint endpoint{loopback, port};
  relayguard::agent::SmtpClient client;
  absl::Status connected = client.Connect(endpoint, loopback, std::chrono::milliseconds(2000));
  FUZZ_CHECK(connected.ok(), "connect to the fuzz listener: " + connected.ToString());
  const int server = accept(listener, nullptr, nullptr);
  FUZZ_CHECK(server >= 0, "accept");
  size_t sent = 0;
  while (sent < size) {
    ssize_t n = write(server, data + sent, size - sent);
    FUZZ_CHECK(n > 0, "write to the client");
    sent += static_cast<size_t>(n);
  }
  close(server);
  size_t reply_bytes = 0;
  for (;;) {
    absl::StatusOr<relayguard::agent::SmtpReply> reply =
        client.ReadReply(std::chrono::milliseconds(2000));
    if (!reply.ok()) {
      FUZZ_CHECK(absl::IsUnavailable(reply.status()) || absl::IsDataLoss(reply.status()),
                 "the reader ended with " + reply.status().ToString());
      break;
    }
    FUZZ_CHECK(reply->code >= 100 && reply->code <= 599, "code " + std::to_string(reply->code));
    const std::string code = std::to_string(reply->code);
    for (absl::string_view line : absl::StrSplit(reply->text, '\n')) {
      FUZZ_CHECK(line.substr(0, 3) == code, "a line of reply " + code + " reads " +
                                                std::string(line.substr(0, 20)));
    }
    reply_bytes += reply->text.size();
    FUZZ_CHECK(reply_bytes <= size, "replies hold more bytes than were sent");
  }
  return 0;
}
