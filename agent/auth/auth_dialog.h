// What the SMTP AUTH probe says in one AUTH exchange (RFC 4954): the AUTH command and the answers
// to the server's 334 prompts, each with the form it is recorded in, so that a report never holds
// a password or a payload that carries one ("<secret>" stands in). Pure: the randomness for bogus
// credentials comes in as an argument.
#ifndef RELAYGUARD_AGENT_AUTH_AUTH_DIALOG_H_
#define RELAYGUARD_AGENT_AUTH_AUTH_DIALOG_H_

#include <string>
#include <vector>

#include "agent/auth/smoke_credential.h"
#include "agent/auth/smtp_auth_probe.h"
#include "agent/policy/policy.h"

namespace relayguard::agent {

struct AuthLine {
  std::string send;    // the bytes sent (without CRLF); may hold a secret
  std::string record;  // what the report shows instead
};

struct AuthDialog {
  std::string name;                 // "smoke-PLAIN", "wrong-password", ...
  std::string mechanism;            // as sent after AUTH
  AuthLine command;                 // "AUTH PLAIN <b64>"
  std::vector<AuthLine> responses;  // for each 334 prompt in turn; "*" (cancel) after the last
};

inline constexpr char kSecret[] = "<secret>";

// The smoke credential's AUTH: PLAIN with an initial response, or LOGIN answering the
// Username/Password prompts.
AuthDialog SmokeDialog(const SmokeCredential& credential, AuthMechanism mechanism);

// A bogus AUTH of `kind`. `offered`: the mechanisms EHLO listed (LOGIN is used for the credential
// kinds when the server offers LOGIN but not PLAIN; an unsupported mechanism is one not listed).
// `user` is the smoke credential's user (kWrongPassword; another kind ignores it); `random`: at
// least 32 random bytes (made-up user names, passwords, blobs).
AuthDialog BogusDialog(BogusAuth kind, const std::string& user,
                       const std::vector<std::string>& offered, const std::string& random);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_AUTH_AUTH_DIALOG_H_
