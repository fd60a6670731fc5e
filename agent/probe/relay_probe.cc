#include "agent/probe/relay_probe.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/probe/smtp_client.h"

namespace relayguard::agent {
namespace {

constexpr char kConnect[] = "(connect)";
constexpr char kTlsHandshake[] = "(tls-handshake)";

// How one pass over the tests uses STARTTLS, and what it learnt on the way.
struct Pass {
  enum class Tls {
    kNever,      // plaintext only
    kIfOffered,  // STARTTLS when offered, plaintext when not or when it fails
    kRequired,   // only over TLS: a test that cannot get a TLS session does not run
  };
  Tls tls = Tls::kNever;
  bool offered = false;     // some EHLO reply listed STARTTLS
  std::string tls_failure;  // set once STARTTLS failed; later sessions do not try again
  TlsSessionInfo session;   // of the connection's current TLS session
  // Why a session could not be opened (no greeting, a refusing or malformed one, a server that
  // never finishes a reply): later tests of the pass do not connect again, so a server that
  // stalls costs one timeout, not one per test.
  std::string open_failure;
};

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

bool IsPositive(int code) { return code >= 200 && code < 300; }

// What stands in the record instead of a reply that never came.
std::string NoReply(const absl::Status& status) {
  if (absl::IsDeadlineExceeded(status)) return "(timeout)";
  if (absl::IsDataLoss(status)) return "(malformed reply)";
  if (absl::IsInvalidArgument(status)) return "(not sent)";
  return "(closed)";
}

// Sends `command` (nothing for the greeting, kConnect) and reads its reply, recording both. On
// any failure the connection is closed: the session is in an unknown state.
absl::StatusOr<SmtpReply> Exchange(SmtpClient& client, const std::string& command,
                                   const ProbeOptions& options,
                                   std::vector<SmtpExchange>& exchanges) {
  SmtpExchange& record = exchanges.emplace_back();
  record.command = command;
  absl::Status sent = command == kConnect ? absl::OkStatus() : client.SendCommand(command);
  absl::StatusOr<SmtpReply> reply =
      sent.ok() ? client.ReadReply(options.timeout) : absl::StatusOr<SmtpReply>(sent);
  if (!reply.ok()) {
    record.reply = NoReply(reply.status());
    client.Close();
    return reply.status();
  }
  record.reply = reply->text;
  record.code = reply->code;
  return reply;
}

// The verdict a final MAIL or RCPT reply gives: 2xx relayed, 5xx refused, anything else proves
// nothing either way.
void Judge(const SmtpReply& reply, const std::string& verb, RelayTestResult& result) {
  const std::string line = FirstLine(reply.text);
  if (IsPositive(reply.code)) {
    result.verdict = ProbeVerdict::kRelayAccepted;
    result.detail = absl::StrCat(verb, " accepted with ", line);
  } else if (reply.code == 530) {
    // Not relaying for strangers: it wants SMTP AUTH first (RFC 4954).
    result.verdict = ProbeVerdict::kRefused;
    result.detail = absl::StrCat(verb, " refused with ", line,
                                 " (the server requires SMTP AUTH before relaying)");
  } else if (reply.code >= 500) {
    result.verdict = ProbeVerdict::kRefused;
    result.detail = absl::StrCat(verb, " refused with ", line);
  } else {
    result.verdict = ProbeVerdict::kInconclusive;
    result.detail = absl::StrCat(verb, " answered ", line,
                                 reply.code >= 400 ? " (temporary failure: neither open nor closed)"
                                                   : " (unexpected reply)");
  }
}

// Whether an EHLO reply lists the STARTTLS extension (a line after the first).
bool OffersStartTls(const SmtpReply& ehlo) {
  std::vector<std::string> lines = absl::StrSplit(ehlo.text, '\n');
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string keyword = lines[i].size() > 4 ? lines[i].substr(4) : "";
    if (absl::EqualsIgnoreCase(keyword.substr(0, keyword.find(' ')), "STARTTLS")) return true;
  }
  return false;
}

// EHLO, or HELO when EHLO is refused. False with the detail set when neither is accepted.
// `offers_starttls` (if given) says whether the accepted EHLO listed STARTTLS.
bool SayHello(SmtpClient& client, const ProbeOptions& options, RelayTestResult& result,
              bool* offers_starttls = nullptr) {
  absl::StatusOr<SmtpReply> hello =
      Exchange(client, "EHLO " + options.helo_name, options, result.exchanges);
  if (offers_starttls != nullptr) *offers_starttls = hello.ok() && OffersStartTls(*hello);
  if (hello.ok() && hello->code >= 500) {
    if (offers_starttls != nullptr) *offers_starttls = false;
    hello = Exchange(client, "HELO " + options.helo_name, options, result.exchanges);
  }
  if (!hello.ok()) {
    result.detail = absl::StrCat("EHLO/HELO: ", hello.status().message());
    return false;
  }
  if (!IsPositive(hello->code)) {
    result.detail =
        absl::StrCat("EHLO/HELO answered ", FirstLine(hello->text), "; relaying was not tested");
    client.Close();
    return false;
  }
  return true;
}

std::string NotOverTls(const Pass& pass) {
  return absl::StrCat(pass.tls_failure, "; relaying over TLS was not tested");
}

// STARTTLS, the handshake, and EHLO again (RFC 3207: the server forgets everything it was told
// before TLS). False with the detail set when the session is not usable; when TLS itself failed
// also with pass.tls_failure set and the connection closed.
bool Upgrade(SmtpClient& client, const ProbeOptions& options, Pass& pass,
             RelayTestResult& result) {
  absl::StatusOr<SmtpReply> reply = Exchange(client, "STARTTLS", options, result.exchanges);
  if (!reply.ok()) {
    pass.tls_failure = absl::StrCat("STARTTLS: ", reply.status().message());
  } else if (reply->code != 220) {
    pass.tls_failure = absl::StrCat("STARTTLS was offered but answered ", FirstLine(reply->text));
  } else if (absl::StatusOr<TlsSessionInfo> session = client.StartTls(options.timeout);
             !session.ok()) {
    result.exchanges.push_back(
        {kTlsHandshake, absl::StrCat("(", session.status().message(), ")"), 0});
    pass.tls_failure = absl::StrCat("STARTTLS was offered and accepted, but the ",
                                    session.status().message());
  } else {
    result.exchanges.push_back({kTlsHandshake, session->ToString(), 0});
    pass.session = *session;
  }
  if (!pass.tls_failure.empty()) {
    client.Close();
    result.detail = NotOverTls(pass);
    return false;
  }
  return SayHello(client, options, result);
}

// Connects, reads the greeting, says hello and (as `pass` asks) upgrades with STARTTLS. False
// with the detail set (the verdict stays inconclusive) when the session could not be opened.
bool OpenSession(SmtpClient& client, const SmtpEndpoint& endpoint, const ProbeOptions& options,
                 Pass& pass, RelayTestResult& result) {
  if (absl::Status s = client.Connect(endpoint, options.source, options.timeout); !s.ok()) {
    result.exchanges.push_back({kConnect, absl::StrCat("(", s.message(), ")"), 0});
    result.detail = std::string(s.message());
    return false;
  }
  if (options.tls_on_connect) {
    absl::StatusOr<TlsSessionInfo> session = client.StartTls(options.timeout);
    if (!session.ok()) {
      result.exchanges.push_back(
          {kTlsHandshake, absl::StrCat("(", session.status().message(), ")"), 0});
      result.detail = absl::StrCat("TLS on connect to ", endpoint.ToString(), " failed (",
                                   session.status().message(), "); relaying was not tested");
      client.Close();
      return false;
    }
    result.exchanges.push_back({kTlsHandshake, session->ToString(), 0});
    pass.session = *session;
  }
  absl::StatusOr<SmtpReply> greeting = Exchange(client, kConnect, options, result.exchanges);
  if (!greeting.ok()) {
    result.detail =
        absl::StrCat("no greeting from ", endpoint.ToString(), ": ", greeting.status().message());
    return false;
  }
  if (greeting->code != 220) {
    result.detail = absl::StrCat(endpoint.ToString(), " greeted with ", FirstLine(greeting->text),
                                 " instead of 220; relaying was not tested");
    client.Close();
    return false;
  }
  bool offered = false;
  if (!SayHello(client, options, result, &offered)) return false;
  pass.offered |= offered;
  if (pass.tls == Pass::Tls::kNever || !pass.tls_failure.empty()) return true;
  if (!offered) {
    if (pass.tls == Pass::Tls::kIfOffered) return true;
    pass.tls_failure = "STARTTLS was not offered on this connection (it was before)";
    client.Close();
    result.detail = NotOverTls(pass);
    return false;
  }
  if (Upgrade(client, options, pass, result)) return true;
  if (pass.tls == Pass::Tls::kRequired || pass.tls_failure.empty()) return false;
  // Opportunistic TLS failed: plaintext on a new connection, as a sending MTA would go on.
  return OpenSession(client, endpoint, options, pass, result);
}

// Marks `result` as run over the connection's current TLS session, if it has one.
void NoteTransport(const SmtpClient& client, const Pass& pass, RelayTestResult& result) {
  if (!client.tls()) return;
  result.tls = true;
  result.tls_session = pass.session;
}

// One test: MAIL, RCPT (only after MAIL was accepted), then RSET. Never DATA.
void RunOne(SmtpClient& client, const SmtpEndpoint& endpoint, const ProbeOptions& options,
            Pass& pass, RelayTestResult& result) {
  result.verdict = ProbeVerdict::kInconclusive;
  result.tls = pass.tls == Pass::Tls::kRequired || options.tls_on_connect;
  if (result.tls && !pass.tls_failure.empty()) {
    result.detail = NotOverTls(pass);  // tried once for the pass; it will not work now
    return;
  }
  if (!pass.open_failure.empty()) {
    result.detail = absl::StrCat("not tried: an earlier test of this probe could not open a "
                                 "session (", pass.open_failure, ")");
    return;
  }
  // A session that could not be opened, for a reason other than TLS (handled by the pass).
  auto cannot_open = [&] {
    if (pass.tls_failure.empty()) pass.open_failure = result.detail;
  };
  const bool fresh = !client.connected();
  if (fresh && !OpenSession(client, endpoint, options, pass, result)) return cannot_open();
  NoteTransport(client, pass, result);
  const std::string mail_command = "MAIL FROM:<" + result.test.mail_from + ">";
  absl::StatusOr<SmtpReply> mail = Exchange(client, mail_command, options, result.exchanges);
  const bool dropped = !mail.ok() && absl::IsUnavailable(mail.status());
  const bool closing = mail.ok() && mail->code == 421;  // "too many errors", and then it closes
  if (!fresh && (dropped || closing)) {
    // The server gave up on the connection kept from the previous test: once more on a new one.
    client.Close();
    if (!OpenSession(client, endpoint, options, pass, result)) return cannot_open();
    NoteTransport(client, pass, result);
    mail = Exchange(client, mail_command, options, result.exchanges);
  }
  if (!mail.ok()) {
    result.detail = absl::StrCat("MAIL: ", mail.status().message());
    return;
  }
  if (!IsPositive(mail->code)) {
    Judge(*mail, "MAIL", result);
  } else {
    absl::StatusOr<SmtpReply> rcpt =
        Exchange(client, "RCPT TO:<" + result.test.rcpt_to + ">", options, result.exchanges);
    if (!rcpt.ok()) {
      result.detail = absl::StrCat("RCPT: ", rcpt.status().message());
      return;
    }
    Judge(*rcpt, "RCPT", result);
    if (options.data_mode && IsPositive(rcpt->code)) {
      absl::StatusOr<SmtpReply> data = Exchange(client, "DATA", options, result.exchanges);
      if (!data.ok()) {
        result.verdict = ProbeVerdict::kInconclusive;
        result.detail = absl::StrCat("DATA: ", data.status().message());
        return;
      }
      if (data->code == 354) {
        result.verdict = ProbeVerdict::kRelayAccepted;
        result.detail = absl::StrCat("RCPT and DATA accepted with ", FirstLine(data->text),
                                     "; the connection was dropped before any body");
        client.Close();  // aborts the transaction: nothing is ever delivered
        return;
      }
      Judge(*data, "DATA", result);
    }
    if (rcpt->code == 421) {
      client.Close();  // the server is closing this session; the next test starts a new one
      return;
    }
  }
  if (mail->code == 421) {
    client.Close();
    return;
  }
  if (client.connected()) (void)Exchange(client, "RSET", options, result.exchanges);
}

}  // namespace

const char* ProbeVerdictName(ProbeVerdict v) {
  switch (v) {
    case ProbeVerdict::kRelayAccepted:
      return "relay-accepted";
    case ProbeVerdict::kRefused:
      return "refused";
    case ProbeVerdict::kInconclusive:
      return "inconclusive";
  }
  return "inconclusive";
}

std::string TlsSessionInfo::ToString() const {
  return absl::StrCat(protocol, " ", cipher, ", ",
                      peer_subject.empty() ? "no peer certificate" : "peer " + peer_subject);
}

const char* StartTlsName(StartTls mode) {
  switch (mode) {
    case StartTls::kOff:
      return "off";
    case StartTls::kWhenOffered:
      return "when-offered";
    case StartTls::kBoth:
      return "both";
  }
  return "both";
}

absl::StatusOr<StartTls> ParseStartTls(const std::string& text) {
  for (StartTls mode : {StartTls::kOff, StartTls::kWhenOffered, StartTls::kBoth}) {
    if (text == StartTlsName(mode)) return mode;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("STARTTLS mode \"", text, "\" is not one of off, when-offered, both"));
}

std::vector<RelayTest> BasicRelayTests(const std::string& sender, const std::string& recipient) {
  return {{"plain-third-party", sender, recipient}, {"null-sender", "", recipient}};
}

ProbeReport RunRelayProbe(const SmtpEndpoint& endpoint, const std::vector<RelayTest>& tests,
                          const ProbeOptions& options) {
  ProbeReport report;
  report.endpoint = endpoint;
  report.source = options.source;
  // Tests over TLS that could not run because STARTTLS failed: no client gets a TLS session to
  // relay over, so they do not stand in the way of a refused verdict.
  std::vector<bool> tls_unavailable;
  auto run_pass = [&](Pass& pass) {
    SmtpClient client;
    for (const RelayTest& test : tests) {
      RelayTestResult& result = report.tests.emplace_back();
      result.test = test;
      RunOne(client, endpoint, options, pass, result);
      tls_unavailable.push_back(pass.tls == Pass::Tls::kRequired && !pass.tls_failure.empty());
    }
    if (client.connected()) (void)Exchange(client, "QUIT", options, report.tests.back().exchanges);
  };
  Pass plain;
  if (options.starttls == StartTls::kWhenOffered) plain.tls = Pass::Tls::kIfOffered;
  // On an implicit-TLS port the one pass already runs over TLS; STARTTLS inside it means
  // nothing (RFC 8314 section 3.3).
  if (options.tls_on_connect) plain.tls = Pass::Tls::kNever;
  report.tls_on_connect = options.tls_on_connect;
  run_pass(plain);
  report.starttls_offered = plain.offered;
  report.tls_failure = plain.tls_failure;
  if (options.starttls == StartTls::kBoth && plain.offered && !tests.empty() &&
      !options.tls_on_connect) {
    Pass over_tls;
    over_tls.tls = Pass::Tls::kRequired;
    run_pass(over_tls);
    report.tls_failure = over_tls.tls_failure;
  }
  bool any_accepted = false;
  bool all_refused = !tests.empty();
  for (size_t i = 0; i < report.tests.size(); ++i) {
    const ProbeVerdict v = report.tests[i].verdict;
    any_accepted |= v == ProbeVerdict::kRelayAccepted;
    all_refused &= v == ProbeVerdict::kRefused || tls_unavailable[i];
  }
  report.verdict = any_accepted  ? ProbeVerdict::kRelayAccepted
                   : all_refused ? ProbeVerdict::kRefused
                                 : ProbeVerdict::kInconclusive;
  return report;
}

absl::Status CheckSmtpGreeting(const SmtpEndpoint& endpoint, const ProbeOptions& options) {
  SmtpClient client;
  if (absl::Status s = client.Connect(endpoint, options.source, options.timeout); !s.ok()) {
    return s;
  }
  if (options.tls_on_connect) {
    if (absl::StatusOr<TlsSessionInfo> tls = client.StartTls(options.timeout); !tls.ok()) {
      return absl::UnavailableError(absl::StrCat("TLS on connect to ", endpoint.ToString(),
                                                 " failed: ", tls.status().message()));
    }
  }
  absl::StatusOr<SmtpReply> greeting = client.ReadReply(options.timeout);
  if (!greeting.ok()) {
    return absl::UnavailableError(absl::StrCat("no SMTP greeting from ", endpoint.ToString(), ": ",
                                               greeting.status().message()));
  }
  if (greeting->code != 220) {
    return absl::UnavailableError(absl::StrCat(endpoint.ToString(), " greeted with ",
                                               FirstLine(greeting->text), " instead of 220"));
  }
  // Say goodbye politely; the greeting is all that was asked for.
  if (client.SendCommand("QUIT").ok()) (void)client.ReadReply(options.timeout);
  return absl::OkStatus();
}

}  // namespace relayguard::agent
