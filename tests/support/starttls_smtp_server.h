// Test support: an SMTP server on a loopback port chosen at run time that offers STARTTLS and
// does a real TLS handshake (OpenSSL server side, a throwaway self-signed P-256 certificate for
// CN=starttls.test made in memory at construction), with a relay policy that may differ before
// and after TLS. Header-only; link OpenSSL (rg_agent_probe brings it).
#ifndef RELAYGUARD_TESTS_SUPPORT_STARTTLS_SMTP_SERVER_H_
#define RELAYGUARD_TESTS_SUPPORT_STARTTLS_SMTP_SERVER_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "agent/probe/relay_probe.h"

namespace relayguard::testing {

struct StartTlsScript {
  bool offer_starttls = true;  // "250-STARTTLS" in the plaintext EHLO reply
  std::string starttls_reply = "220 2.0.0 Ready to start TLS\r\n";
  // What follows a 220 to STARTTLS: the handshake, closing the connection, or reading the
  // client's hello and never answering it.
  enum class After { kHandshake, kClose, kStall };
  After after = After::kHandshake;
  std::string plain_rcpt = "554 5.7.1 <relay-test@example.net>: Relay access denied\r\n";
  std::string tls_rcpt = "250 2.1.5 Ok\r\n";
  // Implicit TLS (port 465): the handshake comes first, then the greeting over TLS; STARTTLS is
  // never offered.
  bool tls_on_connect = false;
};

class StartTlsSmtpServer {
 public:
  static constexpr char kSubject[] = "CN=starttls.test";

  explicit StartTlsSmtpServer(StartTlsScript script) : script_(std::move(script)) {
    signal(SIGPIPE, SIG_IGN);  // a client that gave up must not kill the test binary
    MakeContext();
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
    thread_ = std::thread([this] { Serve(); });
  }
  ~StartTlsSmtpServer() {
    shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    close(listen_fd_);
    SSL_CTX_free(ctx_);
  }
  StartTlsSmtpServer(const StartTlsSmtpServer&) = delete;
  StartTlsSmtpServer& operator=(const StartTlsSmtpServer&) = delete;

  agent::SmtpEndpoint endpoint() const { return {*ParseIpAddress("127.0.0.1"), port_}; }
  // Every command line received, "tls: " in front of those that came over TLS.
  std::vector<std::string> commands() const {
    std::lock_guard<std::mutex> lock(mu_);
    return commands_;
  }
  int connections() const {
    std::lock_guard<std::mutex> lock(mu_);
    return connections_;
  }

 private:
  void MakeContext() {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("starttls.test"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    const bool signed_ok = X509_sign(cert, key, EVP_sha256()) > 0;
    ctx_ = SSL_CTX_new(TLS_server_method());
    const bool ok = key != nullptr && signed_ok && ctx_ != nullptr &&
                    SSL_CTX_use_certificate(ctx_, cert) == 1 &&
                    SSL_CTX_use_PrivateKey(ctx_, key) == 1;
    X509_free(cert);
    EVP_PKEY_free(key);
    if (!ok) throw std::runtime_error("cannot make the test server's TLS certificate");
  }

  void Serve() {
    for (;;) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++connections_;
      }
      SSL* ssl = nullptr;
      Session(fd, ssl);
      SSL_free(ssl);
      close(fd);
    }
  }

  // One SMTP session; `ssl` is set once TLS is on (freed by the caller).
  void Session(int fd, SSL*& ssl) {
    auto write = [&](const std::string& s) {
      if (ssl != nullptr) {
        (void)SSL_write(ssl, s.data(), static_cast<int>(s.size()));
      } else {
        (void)send(fd, s.data(), s.size(), MSG_NOSIGNAL);
      }
    };
    if (script_.tls_on_connect) {
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) != 1) return;
    }
    write("220 starttls.test ESMTP\r\n");
    std::string buffer;
    char buf[1024];
    for (;;) {
      int n = ssl != nullptr ? SSL_read(ssl, buf, sizeof(buf))
                             : static_cast<int>(read(fd, buf, sizeof(buf)));
      if (n <= 0) return;
      buffer.append(buf, static_cast<size_t>(n));
      size_t end;
      while ((end = buffer.find("\r\n")) != std::string::npos) {
        const std::string line = buffer.substr(0, end);
        buffer.erase(0, end + 2);
        {
          std::lock_guard<std::mutex> lock(mu_);
          commands_.push_back((ssl != nullptr ? "tls: " : "") + line);
        }
        const std::string verb = line.substr(0, line.find_first_of(" :"));
        if (verb == "EHLO") {
          write(std::string("250-starttls.test\r\n") +
                (script_.offer_starttls && ssl == nullptr && !script_.tls_on_connect
                     ? "250-STARTTLS\r\n"
                     : "") +
                "250 8BITMIME\r\n");
        } else if (verb == "STARTTLS" && ssl == nullptr) {
          write(script_.starttls_reply);
          if (script_.starttls_reply.rfind("220", 0) != 0) continue;
          if (script_.after == StartTlsScript::After::kClose) {
            // FIN first, then read what the client sends until it hangs up: closing with its
            // hello unread would send a reset instead, and the client would see that at times.
            shutdown(fd, SHUT_WR);
            while (read(fd, buf, sizeof(buf)) > 0) {
            }
            return;
          }
          if (script_.after == StartTlsScript::After::kStall) {
            while (read(fd, buf, sizeof(buf)) > 0) {
            }  // swallow the client hello, answer nothing, until the client gives up
            return;
          }
          const int one = 1;  // no 40 ms Nagle/delayed-ACK stall after the session tickets
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          ssl = SSL_new(ctx_);
          SSL_set_fd(ssl, fd);
          if (SSL_accept(ssl) != 1) return;
          buffer.clear();  // RFC 3207: nothing from before TLS carries over
        } else if (verb == "RCPT") {
          write(ssl != nullptr ? script_.tls_rcpt : script_.plain_rcpt);
        } else if (verb == "QUIT") {
          write("221 2.0.0 Bye\r\n");
          return;
        } else {
          write("250 2.0.0 Ok\r\n");
        }
      }
    }
  }

  const StartTlsScript script_;
  SSL_CTX* ctx_ = nullptr;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<std::string> commands_;  // guarded by mu_
  int connections_ = 0;                // guarded by mu_
};

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_SUPPORT_STARTTLS_SMTP_SERVER_H_
