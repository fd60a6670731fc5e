#include "agent/auth/sasl_backend.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/auth/dovecot_auth_protocol.h"
#include "agent/auth/password_file.h"
#include "agent/auth/saslauthd_protocol.h"
#include "agent/auth/unix_stream.h"

namespace relayguard::agent {
namespace {

// A connect() failure in words that say what to do. `daemon` is "dovecot" or "saslauthd".
absl::Status ConnectFailure(const absl::Status& status, const std::string& daemon) {
  const std::string message(status.message());
  if (absl::IsNotFound(status)) {
    return absl::UnavailableError(absl::StrCat(
        daemon, " socket ", message, " (is ", daemon, " running, and is auth.path its socket?)"));
  }
  if (absl::IsPermissionDenied(status)) {
    return absl::FailedPreconditionError(absl::StrCat(daemon, " socket ", message));
  }
  if (absl::IsUnavailable(status) && message.find("refused") != std::string::npos) {
    return absl::UnavailableError(
        absl::StrCat(daemon, " socket ", message, ": is ", daemon,
                     " running? (a stopped daemon leaves its socket file behind)"));
  }
  return absl::UnavailableError(absl::StrCat(daemon, " socket ", message));
}

std::string MechanismNames(const std::vector<AuthMechanism>& mechanisms) {
  std::vector<std::string> names;
  for (AuthMechanism m : mechanisms) names.push_back(AuthMechanismName(m));
  return absl::StrJoin(names, " ");
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": cannot be read: ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<BackendAnswer> CheckPasswordFile(const std::string& path,
                                                const SmokeCredential& credential) {
  absl::StatusOr<std::string> text = ReadSmallFile(path);
  if (!text.ok()) return text.status();
  std::optional<std::string> hash = FindPasswordHash(*text, credential.username);
  if (!hash.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "password file ", path, " has no line for the smoke user ", credential.username,
        " (expected \"", credential.username, ":CRYPT-HASH\"; the credential is from ",
        credential.source, ")"));
  }
  if (!CryptMatches(credential.password.Reveal(), *hash)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "password file ", path, ": the hash on ", credential.username,
        "'s line does not match the smoke credential's password (from ", credential.source,
        "); update one of them"));
  }
  BackendAnswer answer;
  answer.summary = absl::StrCat("password file ", path, ": ", credential.username,
                                " authenticates (crypt hash matches)");
  answer.credential_checked = true;
  return answer;
}

// sasldb2 is a Berkeley DB the agent does not link; the file's keys are stored as plain bytes
// ("user\0realm\0userPassword"), which is enough to tell whether the smoke user is in it.
absl::StatusOr<BackendAnswer> CheckSasldb(const std::string& path,
                                          const SmokeCredential& credential) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("sasldb ", path, " is not a regular file"));
  }
  absl::StatusOr<std::string> text = ReadSmallFile(path);
  if (!text.ok()) return text.status();
  const SaslauthdUser user = SplitSaslauthdUser(credential.username);
  std::string key = user.login;
  key.push_back('\0');
  key += user.realm;
  key.push_back('\0');
  key += "userPassword";
  if (text->find(key) == std::string::npos) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sasldb ", path, " has no entry for the smoke user ", credential.username,
        " (saslpasswd2 -f ", path, " -c", user.realm.empty() ? "" : " -u " + user.realm, " ",
        user.login, ")"));
  }
  BackendAnswer answer;
  answer.summary = absl::StrCat("sasldb ", path, ": has an entry for ", credential.username);
  return answer;
}

}  // namespace

absl::StatusOr<BackendAnswer> CheckDovecotAuth(const std::string& socket_path,
                                               const std::vector<AuthMechanism>& mechanisms,
                                               const SmokeCredential& credential,
                                               const std::string& remote_ip,
                                               std::chrono::milliseconds timeout) {
  const auto deadline = ProbeClock::now() + timeout;
  const std::string where = absl::StrCat("dovecot auth socket ", socket_path);
  UnixStream stream;
  if (absl::Status s = stream.Connect(socket_path, deadline); !s.ok()) {
    return ConnectFailure(s, "dovecot");
  }
  auto failed = [&](const std::string& step, const absl::Status& s) {
    return absl::FailedPreconditionError(absl::StrCat(where, ": ", step, ": ", s.message()));
  };
  if (absl::Status s = stream.WriteAll(DovecotClientHandshake(getpid()), deadline); !s.ok()) {
    return failed("sending the handshake", s);
  }
  DovecotHandshake handshake;
  while (!handshake.done) {
    absl::StatusOr<std::string> line = stream.ReadLine(deadline);
    if (!line.ok()) return failed("reading the handshake", line.status());
    if (absl::Status s = AddDovecotHandshakeLine(*line, handshake); !s.ok()) {
      return failed("handshake", s);
    }
  }
  std::vector<std::string> missing;
  for (AuthMechanism m : mechanisms) {
    bool listed = false;
    for (const std::string& offered : handshake.mechanisms) {
      listed |= absl::EqualsIgnoreCase(offered, AuthMechanismName(m));
    }
    if (!listed) missing.push_back(AuthMechanismName(m));
  }
  BackendAnswer answer;
  answer.mechanisms = handshake.mechanisms;
  const std::string offered = absl::StrJoin(handshake.mechanisms, " ");
  if (!missing.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        where, " offers ", offered.empty() ? "no mechanism" : offered, " but the policy wants ",
        MechanismNames(mechanisms), ": add ", absl::StrJoin(missing, " "),
        " to dovecot's auth_mechanisms"));
  }
  // The request holds the secret; its bytes go to the socket and nowhere else.
  if (absl::Status s = stream.WriteAll(DovecotAuthPlainRequest(1, credential.username,
                                                               credential.password.Reveal(),
                                                               remote_ip),
                                       deadline);
      !s.ok()) {
    return failed("sending AUTH", s);
  }
  absl::StatusOr<std::string> line = stream.ReadLine(deadline);
  if (!line.ok()) return failed("waiting for the AUTH answer", line.status());
  const DovecotAuthReply reply = ParseDovecotAuthReply(*line);
  switch (reply.kind) {
    case DovecotAuthReply::Kind::kOk:
      break;
    case DovecotAuthReply::Kind::kFail:
      return absl::FailedPreconditionError(absl::StrCat(
          where, " refused the smoke credential for user ", credential.username, " (from ",
          credential.source, ")", reply.reason.empty() ? "" : ": " + reply.reason,
          "; check the password in dovecot's passdb"));
    default:
      return absl::FailedPreconditionError(absl::StrCat(
          where, " answered AUTH PLAIN with something other than OK or FAIL (",
          reply.kind == DovecotAuthReply::Kind::kContinue ? "CONT" : "unknown reply", ")"));
  }
  answer.summary = absl::StrCat("dovecot ", handshake.major, ".", handshake.minor, " at ",
                                socket_path, ": ", offered, "; ", credential.username,
                                " authenticates");
  answer.credential_checked = true;
  return answer;
}

absl::StatusOr<BackendAnswer> CheckSaslauthd(const std::string& mux_path,
                                             const SmokeCredential& credential,
                                             std::chrono::milliseconds timeout) {
  const auto deadline = ProbeClock::now() + timeout;
  const std::string where = absl::StrCat("saslauthd socket ", mux_path);
  UnixStream stream;
  if (absl::Status s = stream.Connect(mux_path, deadline); !s.ok()) {
    return ConnectFailure(s, "saslauthd");
  }
  const SaslauthdUser user = SplitSaslauthdUser(credential.username);
  absl::StatusOr<std::string> request =
      SaslauthdRequest(user.login, credential.password.Reveal(), "smtp", user.realm);
  if (!request.ok()) return request.status();
  if (absl::Status s = stream.WriteAll(*request, deadline); !s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(where, ": sending: ", s.message()));
  }
  absl::StatusOr<std::string> header = stream.ReadExactly(2, deadline);
  absl::StatusOr<std::string> text =
      header.ok() ? stream.ReadExactly(SaslauthdLength(*header), deadline) : header.status();
  if (!text.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, ": waiting for the answer: ", text.status().message()));
  }
  if (!SaslauthdAccepted(*text)) {
    return absl::FailedPreconditionError(absl::StrCat(
        where, " refused the smoke credential for user ", credential.username, " (from ",
        credential.source, "): ", absl::StripAsciiWhitespace(*text)));
  }
  BackendAnswer answer;
  answer.summary = absl::StrCat("saslauthd at ", mux_path, ": ", credential.username,
                                " authenticates (service smtp)");
  answer.credential_checked = true;
  return answer;
}

absl::StatusOr<BackendAnswer> CheckSaslBackend(const AuthSettings& auth,
                                               const SmokeCredential& credential,
                                               const MtaUser& user,
                                               std::chrono::milliseconds timeout) {
  const bool socket = auth.backend == SaslBackend::kDovecot ||
                      auth.backend == SaslBackend::kSaslauthd;
  const std::string at = auth.path_at.empty() ? "" : " (" + auth.path_at + ")";
  if (absl::Status s = CheckAccess(auth.path, user, socket); !s.ok()) {
    if (absl::IsNotFound(s)) {
      const std::string what = absl::StrCat(SaslBackendName(auth.backend), " ",
                                            socket ? "socket " : "file ", s.message(), at);
      if (socket) {
        return absl::UnavailableError(absl::StrCat(what, ": is ", SaslBackendName(auth.backend),
                                                   " running, and is auth.path its socket?"));
      }
      return absl::FailedPreconditionError(what);
    }
    return absl::FailedPreconditionError(absl::StrCat(s.message(), at));
  }
  switch (auth.backend) {
    case SaslBackend::kDovecot:
      return CheckDovecotAuth(auth.path, auth.mechanisms, credential, kPreflightRemoteIp,
                              timeout);
    case SaslBackend::kSaslauthd:
      return CheckSaslauthd(auth.path, credential, timeout);
    case SaslBackend::kSasldb:
      return CheckSasldb(auth.path, credential);
    case SaslBackend::kPasswordFile:
      return CheckPasswordFile(auth.path, credential);
  }
  return absl::InvalidArgumentError("unknown SASL backend");
}

}  // namespace relayguard::agent
