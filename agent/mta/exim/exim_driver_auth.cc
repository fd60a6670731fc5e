// EximDriver's SMTP AUTH part: rendering the authenticators and the RCPT ACL's accept for
// authenticated clients, their compliance check, and the preflight that proves the backend with
// a staged `exim -bh` session before anything changes.
#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/mta/exim/exim_authenticators.h"
#include "agent/mta/exim/exim_debian_auth.h"
#include "agent/mta/exim/exim_driver.h"
#include "common/status_macros.h"

namespace relayguard::agent::exim {
namespace {

// How long the backend check may take (a Dovecot failure delay is 2 s).
constexpr std::chrono::seconds kBackendTimeout{10};
// The user Debian's Exim receives mail as (EXIM_USER): it must reach the backend.
constexpr char kEximUser[] = "Debian-exim";

std::string Joined(const std::vector<std::string>& items) { return absl::StrJoin(items, " "); }

// The SMTP commands of the preflight session; the AUTH payload is the only secret in it.
std::string AuthSessionInput(const ProbeSettings& probe, const SmokeCredential& credential,
                             AuthMechanism mechanism) {
  const std::string& password = credential.password.Reveal();
  std::string auth;
  if (mechanism == AuthMechanism::kPlain) {
    std::string blob;
    blob.push_back('\0');
    blob += credential.username;
    blob.push_back('\0');
    blob += password;
    auth = absl::StrCat("AUTH PLAIN ", absl::Base64Escape(blob), "\r\n");
  } else {
    auth = absl::StrCat("AUTH LOGIN\r\n", absl::Base64Escape(credential.username), "\r\n",
                        absl::Base64Escape(password), "\r\n");
  }
  return absl::StrCat("EHLO ", probe.helo_name, "\r\n", auth, "MAIL FROM:<", probe.sender,
                      ">\r\nRCPT TO:<", probe.foreign_recipient, ">\r\nQUIT\r\n");
}

// The trace lines that say why an authenticator failed ("dovecot_plain authenticator failed
// for ... 435 Unable to authenticate at present: unable to connect to UNIX socket ...").
std::string FailureLines(absl::string_view redacted_trace) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(redacted_trace, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!absl::StrContains(line, "authenticator failed") &&
        !absl::StrContains(line, "unable to connect") &&
        !absl::StrContains(line, "failed to open")) {
      continue;
    }
    std::string l(line);
    if (std::find(out.begin(), out.end(), l) == out.end()) out.push_back(std::move(l));
    if (out.size() == 3) break;
  }
  return absl::StrJoin(out, "; ");
}

}  // namespace

std::optional<std::vector<std::string>> BuildAuthenticators(absl::string_view bv_output) {
  for (absl::string_view line : absl::StrSplit(bv_output, '\n')) {
    line = absl::StripSuffix(line, "\r");
    if (!absl::ConsumePrefix(&line, "Authenticators:")) continue;
    std::vector<std::string> out;
    for (absl::string_view word : absl::StrSplit(line, ' ', absl::SkipWhitespace())) {
      out.emplace_back(word);
    }
    return out;
  }
  return std::nullopt;
}

std::vector<SmtpReplyLine> FinalReplies(absl::string_view bh_output) {
  std::vector<SmtpReplyLine> out;
  for (absl::string_view line : absl::StrSplit(bh_output, '\n')) {
    line = absl::StripSuffix(line, "\r");
    if (line.size() < 3 || (line.size() > 3 && line[3] != ' ')) continue;
    int code = 0;
    if (!absl::SimpleAtoi(line.substr(0, 3), &code) || code < 200 || code > 599) continue;
    out.push_back({code, std::string(line)});
  }
  return out;
}

AuthSessionReplies ReadAuthSession(absl::string_view bh_output) {
  // Greeting, EHLO, then AUTH (after any 334 challenges), MAIL, RCPT, QUIT.
  std::vector<SmtpReplyLine> replies = FinalReplies(bh_output);
  AuthSessionReplies out;
  size_t i = 2;
  while (i < replies.size() && replies[i].code == 334) ++i;
  if (i < replies.size()) out.auth = replies[i];
  if (i + 2 < replies.size()) out.rcpt = replies[i + 2];
  return out;
}

absl::StatusOr<std::vector<std::string>> EximDriver::Authenticators() {
  if (authenticators_) return *authenticators_;
  // The build's lists come before the configuration is read, so they are there even when the
  // configuration names a driver this build lacks (and -bV exits 1).
  const Command command = EximCommand(DaemonConfig(), {"-bV"});
  ASSIGN_OR_RETURN(ProcessResult r, runner_.Run(command));
  std::optional<std::vector<std::string>> found = BuildAuthenticators(r.stdout_text);
  if (!found) {
    return absl::FailedPreconditionError(absl::StrCat(command.ToString(),
                                                      " printed no \"Authenticators:\" line (",
                                                      ExitText(r), "): ", Diagnostics(r)));
  }
  authenticators_ = std::move(*found);
  return *authenticators_;
}

absl::Status EximDriver::CheckAuthDriver(const AuthSettings& auth) {
  ASSIGN_OR_RETURN(std::vector<std::string> drivers, Authenticators());
  const std::string needed = EximDriverFor(auth.backend);
  if (std::find(drivers.begin(), drivers.end(), needed) != drivers.end()) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "this Exim build has no ", needed, " authenticator (exim -bV: ", Joined(drivers), "); ",
      auth.backend == SaslBackend::kDovecot
          ? "install exim4-daemon-heavy or use auth.backend password-file"
          : "use an Exim built with the plaintext authenticator"));
}

absl::StatusOr<EximEdit> EximDriver::RenderAuth(const AuthSettings& auth, const std::string& text,
                                                const std::vector<Listener>& listeners) {
  ASSIGN_OR_RETURN(EximEdit edit,
                   EditAuthenticators(text, AuthWantFor(auth, listeners), ManagedFile()));
  ASSIGN_OR_RETURN(std::vector<std::string> acls, RcptAclNames(edit.text, ManagedFile()));
  if (acls.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(ManagedFile(),
                     ": no acl_smtp_rcpt, so Exim refuses every remote recipient and an "
                     "authenticated client could not relay either — nothing was changed"));
  }
  for (const std::string& acl : acls) {
    absl::StatusOr<EximEdit> accept = EditAuthenticatedAccept(edit.text, acl, ManagedFile());
    if (!accept.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(accept.status().message(), " — nothing was changed"));
    }
    edit.text = std::move(accept->text);
    edit.changed.insert(edit.changed.end(), accept->changed.begin(), accept->changed.end());
  }
  return edit;
}

absl::Status EximDriver::AuthDriftOf(const AuthSettings& auth, const std::string& text,
                                     const std::string& path, std::vector<SettingDrift>& drift) {
  absl::StatusOr<std::vector<Listener>> listeners = ListenersOf(text, path, /*live=*/true);
  absl::StatusOr<std::vector<std::string>> acls = RcptAclNames(text, path);
  if (!listeners.ok() || !acls.ok()) {
    const absl::Status& why = !listeners.ok() ? listeners.status() : acls.status();
    drift.push_back({"auth", std::string(why.message()), "", "", path, true});
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<AuthFinding>> findings =
      AuthDrift(text, AuthWantFor(auth, *listeners), *acls, path);
  if (!findings.ok()) {
    drift.push_back({"auth", std::string(findings.status().message()), "", "", path, true});
    return absl::OkStatus();
  }
  for (AuthFinding& f : *findings) {
    drift.push_back({std::move(f.setting), std::move(f.effective), std::move(f.desired), "",
                     std::move(f.where), false});
  }
  return absl::OkStatus();
}

absl::StatusOr<BackendAnswer> EximDriver::PreflightAuth(const Policy& policy,
                                                        const SmokeCredential& credential,
                                                        const FileContents& staged,
                                                        const std::string& stage_dir) {
  if (!policy.auth) {
    return absl::InvalidArgumentError("PreflightAuth needs a policy with an auth section");
  }
  const AuthSettings& auth = *policy.auth;
  if (std::string why = UnsupportedEximBackend(auth.backend); !why.empty()) {
    return absl::FailedPreconditionError(why);
  }
  RETURN_IF_ERROR(CheckAuthDriver(auth));
  absl::StatusOr<BackendAnswer> answer =
      check_backend_(auth, credential, MtaUser{kEximUser}, kBackendTimeout);
  if (!answer.ok()) {
    return absl::Status(answer.status().code(),
                        RedactSecret(std::string(answer.status().message()), credential));
  }
  ASSIGN_OR_RETURN(const std::string config, StageConfig(staged, stage_dir));
  RETURN_IF_ERROR(AuthSession(policy, credential, config, stage_dir));
  answer->credential_checked = true;
  answer->summary = absl::StrCat(answer->summary, answer->summary.empty() ? "" : "; ",
                                 "exim -bh: the smoke credential authenticated (235) and relayed "
                                 "(250) with the staged configuration");
  return answer;
}

absl::Status EximDriver::AuthSession(const Policy& policy, const SmokeCredential& credential,
                                     const std::string& config, const std::string& stage_dir) {
  const AuthSettings& auth = *policy.auth;
  ASSIGN_OR_RETURN(std::string text, fs_.ReadFile(config));
  ASSIGN_OR_RETURN(std::vector<Listener> listeners, ListenersOf(text, config, /*live=*/false));
  auto offering = std::find_if(listeners.begin(), listeners.end(),
                               [&](const Listener& l) { return OffersAuth(auth, l); });
  if (offering == listeners.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no listener of ", DaemonConfig(),
                     " offers AUTH as auth.listeners says; nothing to "
                     "authenticate on"));
  }
  // With tls_only, a plaintext listener offers AUTH only after STARTTLS: an Exim that never
  // offers STARTTLS would offer AUTH to no one there (and -bh, which has no TLS, cannot tell).
  std::optional<std::string> tls_hosts = MainOption(text, "tls_advertise_hosts");
  if (auth.tls_only && tls_hosts && tls_hosts->empty()) {
    for (const Listener& l : listeners) {
      if (!OffersAuth(auth, l) || l.tls == ListenerTls::kImplicit) continue;
      return absl::FailedPreconditionError(absl::StrCat(
          "auth.tls_only: ", DaemonConfig(),
          " sets tls_advertise_hosts empty, so Exim never "
          "offers STARTTLS and would offer AUTH to no one on listener ",
          absl::StrReplaceAll(l.Name(), {{config, DaemonConfig()}}),
          "; configure TLS (tls_advertise_hosts, tls_certificate, tls_privatekey) or set "
          "auth.tls_only: false"));
    }
  }
  // Debian: the host's own certificate is configured only once MAIN_TLS_ENABLE is defined;
  // without it Exim has none (4.96 falls back to a throw-away self-signed one, older builds
  // offer no STARTTLS), so TLS-only AUTH would rest on nothing a client can trust.
  if (options_.debian && auth.tls_only && !DefinesMacro(text, "MAIN_TLS_ENABLE")) {
    const std::string macros = DebianSplit() ? options_.debian_dir + "/conf.d/main/000_localmacros"
                                             : options_.debian_dir + "/exim4.conf.localmacros";
    return absl::FailedPreconditionError(absl::StrCat(
        "auth.tls_only: Debian's Exim configuration does not enable TLS (MAIN_TLS_ENABLE is not "
        "defined), so Exim has no certificate of this host's to offer STARTTLS and then AUTH "
        "with; put `MAIN_TLS_ENABLE = yes` in ", macros, " with a certificate (",
        options_.debian_dir, "/exim.crt and exim.key, e.g. from exim-gencert, or "
        "MAIN_TLS_CERTIFICATE / MAIN_TLS_PRIVATEKEY) and run update-exim4.conf, or set "
        "auth.tls_only: false"));
  }
  // -bh has no TLS: the session runs against a copy whose authenticators are advertised
  // without it (activation's verification proves the TLS-only part for real).
  std::string session_config = config;
  if (auth.tls_only) {
    EximAuthWant want = AuthWantFor(auth, listeners);
    want.tls_only = false;
    ASSIGN_OR_RETURN(EximEdit without_tls, EditAuthenticators(text, want, config));
    session_config = stage_dir + "/exim4-auth-preflight.conf";
    RETURN_IF_ERROR(fs_.WriteScratchFile(session_config, without_tls.text));
  }
  const bool plain = std::find(auth.mechanisms.begin(), auth.mechanisms.end(),
                               AuthMechanism::kPlain) != auth.mechanisms.end();
  const AuthMechanism mechanism = plain ? AuthMechanism::kPlain : AuthMechanism::kLogin;
  const std::string source = policy.probe.untrusted_source.ToString();
  const std::string shown = absl::StrCat(
      "exim -oMi ", Interface(*offering), " -bh ", source, " (AUTH ", AuthMechanismName(mechanism),
      " as ", credential.username, ") against the staged ", ManagedFile());
  ASSIGN_OR_RETURN(ProcessResult r,
                   Exim(session_config, {"-oMi", Interface(*offering), "-bh", source},
                        AuthSessionInput(policy.probe, credential, mechanism)));
  // The trace shows $auth3 (the password): only a redacted copy is kept.
  const std::string trace_path = stage_dir + "/exim-auth-preflight.trace";
  const std::string replies = RedactSecret(r.stdout_text, credential);
  const std::string trace = RedactSecret(r.stderr_text, credential);
  RETURN_IF_ERROR(fs_.WriteScratchFile(
      trace_path,
      absl::StrCat("# ", shown, " (", ExitText(r), ")\n# replies\n", replies, "# trace\n", trace)));
  r.stdout_text.assign(r.stdout_text.size(), '\0');
  r.stderr_text.assign(r.stderr_text.size(), '\0');
  AuthSessionReplies got = ReadAuthSession(replies);
  const std::string why = FailureLines(trace);
  const std::string see = absl::StrCat(why.empty() ? "" : absl::StrCat(" (", why, ")"),
                                       "; the redacted session is in ", trace_path);
  if (!got.auth || got.auth->code != 235) {
    return absl::FailedPreconditionError(
        absl::StrCat(shown, ": AUTH got ", got.auth ? "\"" + got.auth->text + "\"" : "no reply",
                     ", not 235", see));
  }
  if (!got.rcpt || got.rcpt->code != 250) {
    return absl::FailedPreconditionError(
        absl::StrCat(shown, ": authenticated, but RCPT TO:<", policy.probe.foreign_recipient,
                     "> got ", got.rcpt ? "\"" + got.rcpt->text + "\"" : "no reply",
                     ", not 250: the RCPT ACL does not let authenticated clients relay", see));
  }
  return absl::OkStatus();
}

}  // namespace relayguard::agent::exim
