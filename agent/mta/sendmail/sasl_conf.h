// Cyrus SASL's application configuration for Sendmail (/etc/sasl2/Sendmail.conf): libsasl reads
// it once, when the daemon starts (a SIGHUP re-executes the daemon, which reads it again).
//
// The format, as libsasl's config.c reads it: one "key: value" per line; leading blanks are
// skipped; an empty line or one whose first non-blank character is '#' is ignored; the key is
// letters, digits, '-' and '_' (compared in lower case) followed directly by ':'; the value is
// what follows after blanks, trailing blanks removed, and must not be empty. Any other line
// makes libsasl refuse the whole file (SASL_CONFIGERR: Sendmail then offers no AUTH at all). When
// a key appears twice the first line wins.
//
// The keys relayguard manages (the policy's auth section, agent/policy/policy.h):
//   saslauthd: pwcheck_method: saslauthd, saslauthd_path: MUX
//   sasldb:    pwcheck_method: auxprop, auxprop_plugin: sasldb, sasldb_path: FILE
//   both:      mech_list: PLAIN LOGIN (the policy's mechanisms, in its order)
// Keys of the other backend are left alone (unused by the chosen pwcheck_method).
#ifndef RELAYGUARD_AGENT_MTA_SENDMAIL_SASL_CONF_H_
#define RELAYGUARD_AGENT_MTA_SENDMAIL_SASL_CONF_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/mta/sendmail/sendmail_mc.h"
#include "agent/policy/policy.h"

namespace relayguard::agent::sendmail {

// The keys the policy wants, in the order they are appended to a file that lacks them.
// InvalidArgument for a backend Sendmail cannot use (dovecot, password-file), naming the
// supported ones.
using SaslConfKeys = std::vector<std::pair<std::string, std::string>>;
absl::StatusOr<SaslConfKeys> WantedSaslConfKeys(const AuthSettings& auth,
                                                absl::string_view policy_source);

// One effective "key: value" of the file (the first line of that key).
struct SaslConfEntry {
  std::string value;
  size_t line = 0;  // 1-based
};

// The effective value of `key` (lower case), nullopt when the file does not set it. Never fails:
// an unreadable file gives what could be read.
std::optional<SaslConfEntry> SaslConfValue(absl::string_view text, absl::string_view key);

// Whether `have` already says `want` for `key`: mech_list compares the set of mechanisms
// without regard to case or order, the others compare exactly.
bool SaslConfValueMatches(absl::string_view key, absl::string_view have, absl::string_view want);

// Makes the file set `want`: a key whose effective line has another value gets that line's
// value replaced (its leading blanks, its key's spelling and the blanks after ':' kept); a
// missing key is appended as "key: value". A later duplicate of a managed key is left alone
// with a warning (libsasl ignores it). Every other byte is kept; CRLF stays CRLF. `text` empty
// and `exists` false: the file is created (changed lists "Sendmail.conf (created)").
// InvalidArgument "PATH:LINE: ..." for a line libsasl cannot read: nothing changed.
absl::StatusOr<SendmailEdit> EditSaslConf(absl::string_view text, bool exists,
                                          const SaslConfKeys& want, absl::string_view path);

}  // namespace relayguard::agent::sendmail

#endif  // RELAYGUARD_AGENT_MTA_SENDMAIL_SASL_CONF_H_
