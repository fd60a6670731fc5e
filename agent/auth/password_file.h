// A "user:crypt-hash[:...]" password file (Exim's plaintext authenticator with crypteq, Dovecot's
// passwd-file): find a user's hash and check a password against it with crypt(3).
#ifndef RELAYGUARD_AGENT_AUTH_PASSWORD_FILE_H_
#define RELAYGUARD_AGENT_AUTH_PASSWORD_FILE_H_

#include <optional>
#include <string>

namespace relayguard::agent {

// The hash on `username`'s line of `text`: the field after "user:" up to the next ':' (leading
// blanks skipped, as Exim's lsearch does; a Dovecot "{SHA512-CRYPT}" scheme prefix dropped).
// Blank lines and '#' comments are skipped. nullopt when no line is the user's.
std::optional<std::string> FindPasswordHash(const std::string& text, const std::string& username);

// Whether crypt(password, hash) reproduces `hash` (crypt_r: thread-safe). False for an empty or
// unusable hash ("*", "!", a scheme this libcrypt does not know).
bool CryptMatches(const std::string& password, const std::string& hash);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_AUTH_PASSWORD_FILE_H_
