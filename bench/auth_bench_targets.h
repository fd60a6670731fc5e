// auth_bench's subjects: one real MTA each with a working SMTP AUTH backend from
// tests/support/sasl_lab.h, set up the way that MTA's integration tests set it up, and the
// require-auth playbook for it. Runs inside tests/support/mta_sandbox.sh (private /etc, the
// unpacked Dovecot, Cyrus SASL and Exim/Sendmail); lab failures throw std::runtime_error.
#ifndef RELAYGUARD_BENCH_AUTH_BENCH_TARGETS_H_
#define RELAYGUARD_BENCH_AUTH_BENCH_TARGETS_H_

#include <memory>
#include <string>
#include <vector>

namespace relayguard::bench {

class AuthTarget {
 public:
  virtual ~AuthTarget() = default;

  // "postfix", "exim", "sendmail".
  virtual std::string name() const = 0;
  // The backend as the report line names it ("dovecot", "password-file", "sasldb").
  virtual std::string backend() const = 0;
  // Whether the backend penalises a client address after a failed AUTH (Dovecot: 4 s per
  // remote IP), so that back-to-back runs from one source measure the penalty, not the host.
  virtual bool penalises_failures() const = 0;
  // Starts the MTA (STARTTLS on) and the backend, and waits until the MTA offers STARTTLS.
  virtual void Start() = 0;
  // Stops the MTA, then the backend (an MTA holding a backend connection delays its stop).
  virtual void Stop() = 0;
  // relayguard-agent for this instance, then `args`.
  virtual std::vector<std::string> AgentArgv(const std::vector<std::string>& args) const = 0;
  // A directory for the bench's own files (the playbooks).
  virtual std::string work_dir() const = 0;

  // The require-auth playbook for this instance, with its probes sent from `untrusted_source`.
  std::string Playbook(const std::string& untrusted_source) const;

 protected:
  // The playbook's auth: section (backend, path, mechanisms, tls_only, smoke_credential).
  virtual std::string AuthSection() const = 0;
};

// Postfix + an auth-only Dovecot (smtpd_sasl_type dovecot), STARTTLS via postfix_tls.h.
std::unique_ptr<AuthTarget> MakePostfixTarget();
// Debian's light Exim (no dovecot authenticator) + its plaintext authenticator on a crypt
// password file, STARTTLS with a self-signed certificate.
std::unique_ptr<AuthTarget> MakeEximTarget();
// Sendmail 8.17 + Cyrus SASL with a sasldb2 file, STARTTLS with a self-signed certificate.
std::unique_ptr<AuthTarget> MakeSendmailTarget();

}  // namespace relayguard::bench

#endif  // RELAYGUARD_BENCH_AUTH_BENCH_TARGETS_H_
