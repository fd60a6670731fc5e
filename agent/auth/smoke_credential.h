// The credential the agent proves SMTP AUTH with (the policy's auth.smoke_credential): read from
// a root-only file, never from a playbook, and held so that it cannot end up in a log line, a
// report, a commit or a test's failure message by accident.
#ifndef RELAYGUARD_AGENT_AUTH_SMOKE_CREDENTIAL_H_
#define RELAYGUARD_AGENT_AUTH_SMOKE_CREDENTIAL_H_

#include <string>

#include "absl/status/statusor.h"

namespace relayguard::agent {

// A password. It has no operator<<, no AbslStringify and no implicit conversion: the only way to
// the text is Reveal(), which the code calls where it hands the secret to a backend or encodes
// it for AUTH, and nowhere else. Copies are wiped when destroyed.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret&) = default;
  Secret& operator=(const Secret&) = default;
  ~Secret();
  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

 private:
  std::string value_;
};

struct SmokeCredential {
  std::string username;  // "smoke@example.org"; not secret, may be logged
  Secret password;
  std::string source;    // the file it came from, for messages
};

// Reads FILE: one line "USERNAME:PASSWORD" (split at the first ':'; a trailing newline is
// ignored). Refuses, with the path and the reason and never the content: a missing file, one that
// is not a regular file, one owned by another user than root (or the agent's own user), one
// readable or writable by group or others ("chmod 600 FILE"), an empty user or password, a
// control character, more than one line.
absl::StatusOr<SmokeCredential> ReadSmokeCredential(const std::string& path);

// Replaces every occurrence of the password, and of its base64 forms as they appear in an AUTH
// exchange (the PLAIN response "\0user\0password" and the LOGIN password), with "<secret>".
// For diagnostics kept from tools that echo what they were given (exim -bh's trace).
std::string RedactSecret(std::string text, const SmokeCredential& credential);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_AUTH_SMOKE_CREDENTIAL_H_
