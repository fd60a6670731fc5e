#include "agent/probe/tls_channel.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace relayguard::agent {
namespace {

constexpr size_t kChunk = 16384;

// OpenSSL's reasons for the last failure, oldest first; `fallback` when it queued none.
std::string OpenSslErrors(const std::string& fallback) {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(e, text, sizeof(text));
    absl::StrAppend(&out, out.empty() ? "" : "; ", text);
  }
  return out.empty() ? fallback : out;
}

// "CN=mx.lab.test,O=Lab" (RFC 2253), "" when the server sent no certificate.
std::string PeerSubject(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return "";
  std::string subject;
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
      char* data = nullptr;
      long n = BIO_get_mem_data(bio, &data);
      if (n > 0) subject.assign(data, static_cast<size_t>(n));
    }
    BIO_free(bio);
  }
  X509_free(cert);
  return subject;
}

}  // namespace

struct TlsChannel::State {
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  BIO* network_in = nullptr;   // bytes from the socket, read by OpenSSL (owned by ssl)
  BIO* network_out = nullptr;  // bytes OpenSSL wants sent (owned by ssl)
  ~State() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
};

TlsChannel::TlsChannel(int fd) : fd_(fd), state_(std::make_unique<State>()) {}
TlsChannel::~TlsChannel() = default;

absl::StatusOr<std::unique_ptr<TlsChannel>> TlsChannel::Connect(int fd,
                                                                ProbeClock::time_point deadline) {
  std::unique_ptr<TlsChannel> channel(new TlsChannel(fd));
  State& s = *channel->state_;
  ERR_clear_error();
  s.ctx = SSL_CTX_new(TLS_client_method());
  if (s.ctx == nullptr) {
    return absl::InternalError(OpenSslErrors("cannot create an OpenSSL client context"));
  }
  SSL_CTX_set_verify(s.ctx, SSL_VERIFY_NONE, nullptr);
  // Talk to whatever the server speaks: the system's minimum protocol and security level are
  // for protecting secrets, and the probe sends none (test addresses only, never a body).
  SSL_CTX_set_security_level(s.ctx, 0);
  SSL_CTX_set_min_proto_version(s.ctx, TLS1_VERSION);
  SSL_CTX_set_cipher_list(s.ctx, "ALL:@SECLEVEL=0");
  SSL_CTX_set_options(s.ctx, SSL_OP_LEGACY_SERVER_CONNECT);
  s.ssl = SSL_new(s.ctx);
  s.network_in = BIO_new(BIO_s_mem());
  s.network_out = BIO_new(BIO_s_mem());
  if (s.ssl == nullptr || s.network_in == nullptr || s.network_out == nullptr) {
    BIO_free(s.network_in);
    BIO_free(s.network_out);
    return absl::InternalError(OpenSslErrors("cannot create an OpenSSL session"));
  }
  SSL_set_bio(s.ssl, s.network_in, s.network_out);
  SSL_set_connect_state(s.ssl);
  absl::StatusOr<int> done = channel->Drive([&] { return SSL_do_handshake(s.ssl); }, deadline);
  if (!done.ok()) {
    if (absl::IsDeadlineExceeded(done.status())) return done.status();
    return absl::UnavailableError(done.status().message());
  }
  channel->session_.protocol = SSL_get_version(s.ssl);
  channel->session_.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(s.ssl));
  channel->session_.peer_subject = PeerSubject(s.ssl);
  return channel;
}

absl::Status TlsChannel::Write(const std::string& data, ProbeClock::time_point deadline) {
  if (data.empty()) return absl::OkStatus();
  absl::StatusOr<int> n = Drive(
      [&] { return SSL_write(state_->ssl, data.data(), static_cast<int>(data.size())); },
      deadline);
  if (!n.ok()) return absl::UnavailableError(n.status().message());
  return absl::OkStatus();
}

absl::StatusOr<size_t> TlsChannel::Read(char* buf, size_t size, ProbeClock::time_point deadline) {
  const int want = static_cast<int>(std::min(size, kChunk));
  absl::StatusOr<int> n = Drive([&] { return SSL_read(state_->ssl, buf, want); }, deadline);
  if (!n.ok()) return n.status();
  return static_cast<size_t>(*n);
}

template <typename Op>
absl::StatusOr<int> TlsChannel::Drive(Op op, ProbeClock::time_point deadline) {
  for (;;) {
    ERR_clear_error();
    const int rc = op();
    const int err = rc > 0 ? SSL_ERROR_NONE : SSL_get_error(state_->ssl, rc);
    // Whatever OpenSSL queued (handshake records, data, an alert explaining a failure) goes
    // out first; a failure to send it matters only when OpenSSL itself did not fail.
    const std::string reason =
        err == SSL_ERROR_SSL || err == SSL_ERROR_SYSCALL ? OpenSslErrors("TLS protocol error") : "";
    absl::Status flushed = Flush(deadline);
    switch (err) {
      case SSL_ERROR_NONE:
        if (!flushed.ok()) return flushed;
        return rc;
      case SSL_ERROR_WANT_READ:
        if (!flushed.ok()) return flushed;
        if (absl::Status s = Fill(deadline); !s.ok()) return s;
        continue;
      case SSL_ERROR_WANT_WRITE:  // memory buffers take everything: already flushed
        if (!flushed.ok()) return flushed;
        continue;
      case SSL_ERROR_ZERO_RETURN:
        return absl::UnavailableError("the server closed the TLS session");
      default:
        return absl::UnavailableError(reason);
    }
  }
}

absl::Status TlsChannel::Flush(ProbeClock::time_point deadline) {
  char buf[kChunk];
  while (BIO_ctrl_pending(state_->network_out) > 0) {
    const int n = BIO_read(state_->network_out, buf, sizeof(buf));
    if (n <= 0) break;
    size_t done = 0;
    while (done < static_cast<size_t>(n)) {
      ssize_t sent = send(fd_, buf + done, static_cast<size_t>(n) - done, MSG_NOSIGNAL);
      if (sent >= 0) {
        done += static_cast<size_t>(sent);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        return absl::UnavailableError(absl::StrCat("send failed: ", std::strerror(errno)));
      }
      if (WaitForSocket(fd_, POLLOUT, deadline) <= 0) {
        return absl::DeadlineExceededError("the server did not take the data in time");
      }
    }
  }
  return absl::OkStatus();
}

absl::Status TlsChannel::Fill(ProbeClock::time_point deadline) {
  char buf[kChunk];
  for (;;) {
    // ACK at once what arrives: a server that sent session tickets after the handshake and
    // then its reply would otherwise hold the reply (Nagle) until our delayed ACK, 40 ms later.
    // Linux clears the option again by itself, hence before every wait.
    const int one = 1;
    (void)setsockopt(fd_, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
    const int rc = WaitForSocket(fd_, POLLIN, deadline);
    if (rc == 0) return absl::DeadlineExceededError("no data from the server in time");
    if (rc < 0) return absl::UnavailableError(absl::StrCat("poll: ", std::strerror(errno)));
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n == 0) return absl::UnavailableError("the server closed the connection");
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return absl::UnavailableError(absl::StrCat("recv failed: ", std::strerror(errno)));
    }
    BIO_write(state_->network_in, buf, static_cast<int>(n));
    return absl::OkStatus();
  }
}

}  // namespace relayguard::agent
