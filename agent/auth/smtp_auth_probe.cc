#include "agent/auth/smtp_auth_probe.h"

#include <latch>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/auth/auth_dialog.h"
#include "agent/auth/ehlo_auth.h"
#include "agent/probe/smtp_client.h"

namespace relayguard::agent {
namespace {

constexpr char kConnect[] = "(connect)";
constexpr char kTlsHandshake[] = "(tls-handshake)";

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }
bool IsPositive(int code) { return code >= 200 && code < 300; }

std::string NoReply(const absl::Status& status) {
  if (absl::IsDeadlineExceeded(status)) return "(timeout)";
  if (absl::IsDataLoss(status)) return "(malformed reply)";
  return "(closed)";
}

// One SMTP connection whose every exchange is recorded, with the replies passed through
// RedactSecret (a server may echo what it was sent).
class RecordedSession {
 public:
  RecordedSession(const ProbeOptions& options, const SmokeCredential* credential,
                  std::vector<SmtpExchange>& exchanges)
      : options_(options), credential_(credential), exchanges_(exchanges) {}
  ~RecordedSession() { client_.Close(); }

  // Sends `line` (nothing for kConnect), records it as `recorded`, reads the reply. On a failure
  // the connection is closed.
  absl::StatusOr<SmtpReply> Exchange(const std::string& line, const std::string& recorded) {
    SmtpExchange& record = exchanges_.emplace_back();
    record.command = recorded;
    absl::Status sent = line == kConnect ? absl::OkStatus() : client_.SendCommand(line);
    absl::StatusOr<SmtpReply> reply =
        sent.ok() ? client_.ReadReply(options_.timeout) : absl::StatusOr<SmtpReply>(sent);
    if (!reply.ok()) {
      record.reply = NoReply(reply.status());
      client_.Close();
      return reply.status();
    }
    if (credential_ != nullptr) reply->text = RedactSecret(reply->text, *credential_);
    record.reply = reply->text;
    record.code = reply->code;
    return reply;
  }
  absl::StatusOr<SmtpReply> Exchange(const std::string& line) { return Exchange(line, line); }

  // Connect (TLS first on an implicit-TLS listener), greeting, EHLO. The EHLO reply, or the
  // reason in words.
  absl::StatusOr<SmtpReply> Open(const SmtpEndpoint& endpoint) {
    if (absl::Status s = client_.Connect(endpoint, options_.source, options_.timeout); !s.ok()) {
      exchanges_.push_back({kConnect, absl::StrCat("(", s.message(), ")"), 0});
      return s;
    }
    if (options_.tls_on_connect) {
      if (absl::Status s = Handshake(); !s.ok()) {
        return absl::UnavailableError(absl::StrCat("TLS on connect failed: ", s.message()));
      }
    }
    absl::StatusOr<SmtpReply> greeting = Exchange(kConnect);
    if (!greeting.ok()) {
      return absl::UnavailableError(absl::StrCat("no greeting: ", greeting.status().message()));
    }
    if (greeting->code != 220) {
      client_.Close();
      return absl::UnavailableError(absl::StrCat("greeted with ", FirstLine(greeting->text)));
    }
    return Ehlo();
  }

  absl::StatusOr<SmtpReply> Ehlo() {
    absl::StatusOr<SmtpReply> ehlo = Exchange("EHLO " + options_.helo_name);
    if (!ehlo.ok()) return absl::UnavailableError(absl::StrCat("EHLO: ", ehlo.status().message()));
    if (!IsPositive(ehlo->code)) {
      client_.Close();
      return absl::UnavailableError(absl::StrCat("EHLO answered ", FirstLine(ehlo->text)));
    }
    return ehlo;
  }

  // STARTTLS, the handshake and EHLO again (RFC 3207).
  absl::StatusOr<SmtpReply> StartTls() {
    absl::StatusOr<SmtpReply> reply = Exchange("STARTTLS");
    if (!reply.ok()) {
      return absl::UnavailableError(absl::StrCat("STARTTLS: ", reply.status().message()));
    }
    if (reply->code != 220) {
      client_.Close();
      return absl::UnavailableError(
          absl::StrCat("STARTTLS was offered but answered ", FirstLine(reply->text)));
    }
    if (absl::Status s = Handshake(); !s.ok()) {
      return absl::UnavailableError(absl::StrCat("STARTTLS handshake failed: ", s.message()));
    }
    return Ehlo();
  }

  void Quit() {
    if (client_.connected()) (void)Exchange("QUIT");
    client_.Close();
  }

  bool connected() const { return client_.connected(); }
  bool tls() const { return client_.tls(); }

 private:
  absl::Status Handshake() {
    absl::StatusOr<TlsSessionInfo> session = client_.StartTls(options_.timeout);
    if (!session.ok()) {
      exchanges_.push_back({kTlsHandshake, absl::StrCat("(", session.status().message(), ")"), 0});
      client_.Close();
      return session.status();
    }
    exchanges_.push_back({kTlsHandshake, session->ToString(), 0});
    return absl::OkStatus();
  }

  const ProbeOptions& options_;
  const SmokeCredential* credential_;
  std::vector<SmtpExchange>& exchanges_;
  SmtpClient client_;
};

// The bogus attempts' starting line: each thread arrives once, when its session is ready for AUTH
// (and waits there for the others) or when it failed before (and does not wait). Dovecot records
// a failure's per-IP penalty at once and makes every AUTH from that IP that starts later wait
// for it (4 s); sessions that AUTH at the same instant all start before the first failure.
class StartingLine {
 public:
  explicit StartingLine(std::latch* latch) : latch_(latch) {}
  ~StartingLine() {
    if (latch_ != nullptr) latch_->count_down();
  }
  void ReadyAndWait() {
    if (latch_ == nullptr) return;
    latch_->arrive_and_wait();
    latch_ = nullptr;
  }

 private:
  std::latch* latch_;
};

// How every attempt reaches the point where it may AUTH.
struct Route {
  SmtpEndpoint endpoint;
  bool starttls = false;  // upgrade before AUTH
};

// The AUTH dialog: the command, then an answer to each 334 prompt ("*" to cancel once the
// prepared answers run out). The final reply, or an error when the server did not answer.
absl::StatusOr<SmtpReply> Authenticate(RecordedSession& session, const AuthDialog& dialog) {
  absl::StatusOr<SmtpReply> reply = session.Exchange(dialog.command.send, dialog.command.record);
  for (size_t i = 0; reply.ok() && reply->code == 334; ++i) {
    if (i >= dialog.responses.size() + 1) break;  // a server that prompts forever
    reply = i < dialog.responses.size()
                ? session.Exchange(dialog.responses[i].send, dialog.responses[i].record)
                : session.Exchange("*");
  }
  return reply;
}

void RunAttemptSession(const Route& route, const AuthDialog& dialog,
                       const AuthProbeRequest& request, const ProbeOptions& options,
                       std::latch* start, AuthAttempt& attempt) {
  StartingLine line(start);
  const SmokeCredential* credential =
      request.credential.has_value() ? &*request.credential : nullptr;
  RecordedSession session(options, credential, attempt.exchanges);
  absl::StatusOr<SmtpReply> ehlo = session.Open(route.endpoint);
  if (ehlo.ok() && route.starttls) ehlo = session.StartTls();
  attempt.tls = session.tls();
  if (!ehlo.ok()) {
    attempt.inconclusive = true;
    attempt.detail = absl::StrCat("no session to AUTH on: ", ehlo.status().message());
    return;
  }
  line.ReadyAndWait();
  absl::StatusOr<SmtpReply> auth = Authenticate(session, dialog);
  if (!auth.ok()) {
    attempt.inconclusive = true;
    attempt.detail = absl::StrCat("AUTH ", dialog.mechanism, ": ", auth.status().message());
    return;
  }
  attempt.authenticated = auth->code == 235;
  attempt.detail = absl::StrCat("AUTH ", dialog.mechanism, " answered ", FirstLine(auth->text));
  // Accepted or not, see whether the session may now relay: a refused AUTH must leave it closed.
  if (!session.connected()) {
    absl::StrAppend(&attempt.detail, "; the server then closed the connection");
    return;
  }
  absl::StatusOr<SmtpReply> mail = session.Exchange("MAIL FROM:<" + request.sender + ">");
  if (!mail.ok()) {
    absl::StrAppend(&attempt.detail, "; MAIL: ", mail.status().message());
    return;
  }
  if (!IsPositive(mail->code)) {
    absl::StrAppend(&attempt.detail, "; MAIL answered ", FirstLine(mail->text));
  } else {
    absl::StatusOr<SmtpReply> rcpt =
        session.Exchange("RCPT TO:<" + request.foreign_recipient + ">");
    if (!rcpt.ok()) {
      absl::StrAppend(&attempt.detail, "; RCPT: ", rcpt.status().message());
      return;
    }
    attempt.relayed = IsPositive(rcpt->code);
    absl::StrAppend(&attempt.detail, "; RCPT ", request.foreign_recipient, " answered ",
                    FirstLine(rcpt->text));
  }
  if (session.connected()) (void)session.Exchange("RSET");
  session.Quit();
}

// `start`: the bogus attempts' shared starting line; nullptr for an attempt on its own.
void RunAttempt(const Route& route, const AuthDialog& dialog, const AuthProbeRequest& request,
                const ProbeOptions& options, std::latch* start, AuthAttempt& attempt) {
  const auto started = std::chrono::steady_clock::now();
  attempt.name = dialog.name;
  RunAttemptSession(route, dialog, request, options, start, attempt);
  attempt.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
}

std::string RandomBytes(size_t n) {
  std::random_device device;
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(device() & 0xff);
  return out;
}

// The first session: what is advertised before and after STARTTLS. False with report.error set
// when the server could not be talked to at all.
bool Discover(const SmtpEndpoint& endpoint, const ProbeOptions& options,
              const SmokeCredential* credential, AuthProbeReport& report) {
  RecordedSession session(options, credential, report.exchanges);
  absl::StatusOr<SmtpReply> ehlo = session.Open(endpoint);
  if (!ehlo.ok()) {
    report.error = absl::StrCat(endpoint.ToString(), ": ", ehlo.status().message());
    return false;
  }
  if (options.tls_on_connect) {
    report.mechanisms_tls = AuthMechanismsOf(ehlo->text);
    session.Quit();
    return true;
  }
  report.mechanisms_plain = AuthMechanismsOf(ehlo->text);
  report.starttls_offered = EhloHasKeyword(ehlo->text, "STARTTLS");
  if (report.starttls_offered) {
    absl::StatusOr<SmtpReply> after = session.StartTls();
    if (after.ok()) {
      report.mechanisms_tls = AuthMechanismsOf(after->text);
    } else {
      report.tls_failure = std::string(after.status().message());
    }
  }
  session.Quit();
  return true;
}

}  // namespace

const char* BogusAuthName(BogusAuth kind) {
  switch (kind) {
    case BogusAuth::kWrongPassword:
      return "wrong-password";
    case BogusAuth::kUnknownUser:
      return "unknown-user";
    case BogusAuth::kRandomPlainBlob:
      return "random-plain-blob";
    case BogusAuth::kMalformedPlain:
      return "malformed-plain";
    case BogusAuth::kUnsupportedMech:
      return "unsupported-mechanism";
  }
  return "?";
}

AuthProbeReport RunAuthProbe(const SmtpEndpoint& endpoint, const AuthProbeRequest& request,
                             const ProbeOptions& options) {
  AuthProbeReport report;
  report.endpoint = endpoint;
  report.tls_on_connect = options.tls_on_connect;
  const SmokeCredential* credential =
      request.credential.has_value() ? &*request.credential : nullptr;
  if (!Discover(endpoint, options, credential, report)) {
    report.inconclusive = true;
    return report;
  }
  Route route{endpoint, false};
  route.starttls = !options.tls_on_connect && request.prefer_tls && report.starttls_offered &&
                   report.tls_failure.empty();
  const std::vector<std::string>& offered =
      options.tls_on_connect || route.starttls ? report.mechanisms_tls : report.mechanisms_plain;
  // The smoke attempt first: after a failure from the same address Dovecot delays the next good
  // AUTH by its penalty (4 s).
  if (credential != nullptr && request.run_smoke) {
    report.smoke.emplace();
    RunAttempt(route, SmokeDialog(*credential, request.smoke_mechanism), request, options,
               nullptr, *report.smoke);
  }
  // The bogus attempts, each on its own connection, in two waves. First those the backend checks
  // like a password (Dovecot answers them after its failure delay, 2 s), all at once with their
  // AUTH commands sent at the same instant: the delay is paid once, and Dovecot's per-IP penalty
  // (every AUTH that starts after a failure from the same address waits 4 s more) not at all.
  // Then those refused on sight (not base64, unsupported mechanism): Dovecot refuses them at
  // once but counts them as failures, so sent together with the first wave they would put the
  // penalty on it.
  std::vector<size_t> checked, on_sight;
  std::vector<BogusAuth> kinds;
  for (BogusAuth kind : request.bogus) {
    if (kind == BogusAuth::kWrongPassword && credential == nullptr) continue;
    const bool quick = kind == BogusAuth::kMalformedPlain || kind == BogusAuth::kUnsupportedMech;
    (quick ? on_sight : checked).push_back(kinds.size());
    kinds.push_back(kind);
  }
  report.bogus.resize(kinds.size());
  for (const std::vector<size_t>* wave : {&checked, &on_sight}) {
    std::latch start(static_cast<std::ptrdiff_t>(wave->size()));
    std::vector<std::thread> threads;
    for (size_t i : *wave) {
      AuthDialog dialog = BogusDialog(kinds[i], credential != nullptr ? credential->username : "",
                                      offered, RandomBytes(32));
      threads.emplace_back([&, i, dialog = std::move(dialog)] {
        RunAttempt(route, dialog, request, options, &start, report.bogus[i]);
      });
    }
    for (std::thread& t : threads) t.join();
  }
  return report;
}

}  // namespace relayguard::agent
