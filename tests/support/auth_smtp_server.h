// Test support: a scripted SMTP server with SMTP AUTH (PLAIN, LOGIN) on a loopback port chosen at
// run time, serving every connection on its own thread (the AUTH probe's bogus attempts arrive
// at once), with STARTTLS or TLS on connect (OpenSSL server side, a throwaway self-signed
// certificate made in memory). Header-only; link OpenSSL (rg_agent_probe brings it).
#ifndef RELAYGUARD_TESTS_SUPPORT_AUTH_SMTP_SERVER_H_
#define RELAYGUARD_TESTS_SUPPORT_AUTH_SMTP_SERVER_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "agent/probe/relay_probe.h"

namespace relayguard::testing {

struct AuthScript {
  bool offer_starttls = false;
  bool tls_on_connect = false;
  bool auth_before_tls = true;  // AUTH listed (and usable) before STARTTLS
  bool auth_after_tls = true;   // AUTH listed after STARTTLS / on an implicit-TLS session
  std::string auth_line = "AUTH PLAIN LOGIN";  // or "AUTH=PLAIN LOGIN"
  std::string user = "smoke@lab.test";
  std::string password;           // the one good password; empty: nothing authenticates
  bool accept_any = false;        // 235 for every AUTH, whatever it carries
  bool relay_after_failed_auth = false;  // RCPT 250 after a refused AUTH (a broken ACL)
  bool echo_in_failure = false;   // the 535 repeats the client's AUTH line (redaction test)
  std::chrono::milliseconds auth_delay{0};  // before every AUTH answer (Dovecot's 2 s)
  bool never_answer_auth = false;            // AUTH gets no reply at all (timeouts)
};

class AuthSmtpServer {
 public:
  explicit AuthSmtpServer(AuthScript script) : script_(std::move(script)) {
    signal(SIGPIPE, SIG_IGN);
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
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~AuthSmtpServer() {
    shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);  // wakes sessions still reading
    }
    for (std::thread& t : sessions_) t.join();
    close(listen_fd_);
    SSL_CTX_free(ctx_);
  }
  AuthSmtpServer(const AuthSmtpServer&) = delete;
  AuthSmtpServer& operator=(const AuthSmtpServer&) = delete;

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
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("auth.test"), -1, -1, 0);
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

  void Accept() {
    for (;;) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      std::lock_guard<std::mutex> lock(mu_);
      ++connections_;
      open_fds_.push_back(fd);
      sessions_.emplace_back([this, fd] {
        SSL* ssl = nullptr;
        Session(fd, ssl);
        SSL_free(ssl);
        std::lock_guard<std::mutex> lock(mu_);
        std::erase(open_fds_, fd);
        close(fd);
      });
    }
  }

  // Whether a PLAIN response (base64 of "authzid\0user\0password") is the good credential.
  bool GoodPlain(const std::string& b64) const {
    std::string plain;
    if (!absl::Base64Unescape(b64, &plain)) return false;
    const std::string want = std::string(1, '\0') + script_.user + '\0' + script_.password;
    return !script_.password.empty() && plain == want;
  }
  bool Good(const std::string& user_b64, const std::string& password_b64) const {
    std::string user, password;
    return !script_.password.empty() && absl::Base64Unescape(user_b64, &user) &&
           absl::Base64Unescape(password_b64, &password) && user == script_.user &&
           password == script_.password;
  }

  void Session(int fd, SSL*& ssl) {
    auto write = [&](const std::string& s) {
      if (ssl != nullptr) {
        (void)SSL_write(ssl, s.data(), static_cast<int>(s.size()));
      } else {
        (void)send(fd, s.data(), s.size(), MSG_NOSIGNAL);
      }
    };
    auto handshake = [&] {
      ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, fd);
      return SSL_accept(ssl) == 1;
    };
    if (script_.tls_on_connect && !handshake()) return;
    write("220 auth.test ESMTP\r\n");
    std::string buffer;
    char buf[2048];
    bool authenticated = false, auth_failed = false;
    // LOGIN in progress: 0 none, 1 waiting for the user, 2 for the password.
    int login_step = 0;
    std::string login_user;
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
        const bool on_tls = ssl != nullptr;
        const bool auth_here = on_tls ? script_.auth_after_tls : script_.auth_before_tls;
        auto finish_auth = [&](bool good, const std::string& echoed) {
          if (script_.auth_delay.count() > 0) std::this_thread::sleep_for(script_.auth_delay);
          if (good || script_.accept_any) {
            authenticated = true;
            write("235 2.7.0 Authentication successful\r\n");
          } else {
            auth_failed = true;
            write(script_.echo_in_failure ? "535 5.7.8 rejected: " + echoed + "\r\n"
                                          : "535 5.7.8 Error: authentication failed\r\n");
          }
        };
        if (login_step == 1) {
          login_user = line;
          login_step = 2;
          write("334 UGFzc3dvcmQ6\r\n");
          continue;
        }
        if (login_step == 2) {
          login_step = 0;
          if (line == "*") {
            write("501 5.7.0 Authentication aborted\r\n");
          } else {
            finish_auth(Good(login_user, line), line);
          }
          continue;
        }
        const std::string verb = line.substr(0, line.find_first_of(" :"));
        if (verb == "EHLO") {
          std::string reply = "250-auth.test\r\n";
          if (script_.offer_starttls && !on_tls && !script_.tls_on_connect) {
            reply += "250-STARTTLS\r\n";
          }
          if (auth_here) reply += "250-" + script_.auth_line + "\r\n";
          write(reply + "250 8BITMIME\r\n");
        } else if (verb == "STARTTLS" && !on_tls && script_.offer_starttls) {
          write("220 2.0.0 Ready to start TLS\r\n");
          if (!handshake()) return;
          buffer.clear();
          authenticated = auth_failed = false;
        } else if (verb == "AUTH") {
          if (script_.never_answer_auth) continue;
          if (!auth_here) {
            write("503 5.5.1 Error: authentication not enabled\r\n");
            continue;
          }
          std::vector<std::string> words;
          for (size_t pos = 0; pos <= line.size();) {
            size_t space = line.find(' ', pos);
            if (space == std::string::npos) space = line.size();
            words.push_back(line.substr(pos, space - pos));
            pos = space + 1;
          }
          const std::string mech = words.size() > 1 ? words[1] : "";
          std::string ignored;
          if (mech == "PLAIN" && words.size() > 2) {
            if (!absl::Base64Unescape(words[2], &ignored) && !script_.accept_any) {
              write("501 5.5.2 Invalid base64 data\r\n");
              continue;
            }
            finish_auth(GoodPlain(words[2]), words[2]);
          } else if (mech == "LOGIN") {
            login_step = 1;
            write("334 VXNlcm5hbWU6\r\n");
          } else if (script_.accept_any) {
            finish_auth(true, "");
          } else {
            write("504 5.5.4 Unrecognized authentication type\r\n");
          }
        } else if (verb == "RCPT") {
          const bool open = authenticated || (auth_failed && script_.relay_after_failed_auth);
          write(open ? "250 2.1.5 Ok\r\n"
                     : "554 5.7.1 <relay-test@example.net>: Relay access denied\r\n");
        } else if (verb == "QUIT") {
          write("221 2.0.0 Bye\r\n");
          return;
        } else {
          write("250 2.0.0 Ok\r\n");
        }
      }
    }
  }

  const AuthScript script_;
  SSL_CTX* ctx_ = nullptr;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<std::thread> sessions_;  // guarded by mu_ until acceptor_ is joined
  std::vector<int> open_fds_;          // guarded by mu_
  std::vector<std::string> commands_;  // guarded by mu_
  int connections_ = 0;                // guarded by mu_
};

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_SUPPORT_AUTH_SMTP_SERVER_H_
