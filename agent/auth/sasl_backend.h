// Checks that a SASL backend (the policy's auth.backend and auth.path) can serve an MTA before
// relayguard changes anything: the socket or file exists and the MTA's daemon user may use it,
// the daemon answers its protocol, and, where the protocol allows it, the smoke credential is
// accepted. Every refusal says exactly what is wrong (path, mode, owner, the daemon's answer).
#ifndef RELAYGUARD_AGENT_AUTH_SASL_BACKEND_H_
#define RELAYGUARD_AGENT_AUTH_SASL_BACKEND_H_

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/auth/smoke_credential.h"
#include "agent/policy/policy.h"

namespace relayguard::agent {

// Who must reach the backend: the user (and its groups) the MTA's receiving process runs as
// ("postfix" for Postfix smtpd, "Debian-exim" for Exim, "root" for Sendmail).
struct MtaUser {
  std::string name;
};

// What the backend said, for reports (never the secret).
struct BackendAnswer {
  std::string summary;                  // "dovecot 1.2 at /run/dovecot/auth-client: PLAIN LOGIN"
  std::vector<std::string> mechanisms;  // what a Dovecot handshake listed; empty otherwise
  bool credential_checked = false;      // the smoke credential itself was verified
};

// Whether `path` can be opened by `user` as the kernel would decide (owner, group, supplementary
// groups from /etc/group, mode bits of the file and of every parent directory's search bit).
// FailedPrecondition naming the path, its owner:group and mode and the user when not; NotFound
// when `path` does not exist. root passes (it overrides the mode bits). Sockets: want_write.
absl::Status CheckAccess(const std::string& path, const MtaUser& user, bool want_write);

// Dovecot auth-client protocol 1.x on a unix socket: VERSION/CPID handshake until DONE, the
// listed mechanisms must include the policy's, then one AUTH PLAIN with the smoke credential
// (service=smtp, rip=`remote_ip`; none when empty) must get OK. Unavailable for a missing socket
// ("no such file") or a refused connection ("connection refused: is dovecot running?"),
// FailedPrecondition for a handshake or credential that fails or an unreachable socket.
// A failed credential costs that rip Dovecot's per-IP penalty (the next AUTH from it waits up to
// 4 s): pass an address the SMTP probe does not use (kPreflightRemoteIp).
absl::StatusOr<BackendAnswer> CheckDovecotAuth(const std::string& socket_path,
                                               const std::vector<AuthMechanism>& mechanisms,
                                               const SmokeCredential& credential,
                                               const std::string& remote_ip,
                                               std::chrono::milliseconds timeout);

// The rip of the preflight's own Dovecot AUTH: loopback 127.0.0.1, never the untrusted probe's
// source (127.0.0.9 in the labs), so that a refused preflight does not slow the next probe.
inline constexpr char kPreflightRemoteIp[] = "127.0.0.1";

// Cyrus saslauthd's mux protocol (four counted strings: login, password, service "smtp", realm)
// must answer "OK" for the smoke credential. "user@realm" is split at the last '@' into login and
// realm as libsasl does.
absl::StatusOr<BackendAnswer> CheckSaslauthd(const std::string& mux_path,
                                             const SmokeCredential& credential,
                                             std::chrono::milliseconds timeout);

// The whole preflight for one MTA: CheckAccess for `user`, then the backend's own check
// (sasldb: a readable regular file holding the smoke user's key; password-file: the smoke user's
// line exists and its crypt hash matches the password). FailedPrecondition / Unavailable with
// the reason (a missing socket is Unavailable, a missing file FailedPrecondition).
absl::StatusOr<BackendAnswer> CheckSaslBackend(const AuthSettings& auth,
                                               const SmokeCredential& credential,
                                               const MtaUser& user,
                                               std::chrono::milliseconds timeout);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_AUTH_SASL_BACKEND_H_
