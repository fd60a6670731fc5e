// Class {R} of a sendmail.cf: the hosts, domains and networks that may relay. Ruleset Relay_ok
// lets a client relay when its address starts with a member ("10.1" covers 10.1.0.0/16, as
// access keys do) or its verified name ends in one; Rcpt_ok lets anyone relay to a recipient
// in a member domain. The class is filled by "CR word ..." lines (RELAY_DOMAIN(...) in the
// .mc) and "FR[-o] FILE [FORMAT]" lines (confCR_FILE, RELAY_DOMAIN_FILE; Debian reads
// /etc/mail/relay-domains with "%[^\#]"). relayguard does not edit the class: a member that
// lets strangers relay (judged like an access key, access_grants.h) is reported by file and
// line, and the policy is refused until the admin removes it; a file it cannot read leaves
// the host unproven.
#ifndef RELAYGUARD_AGENT_MTA_SENDMAIL_RELAY_CLASS_H_
#define RELAYGUARD_AGENT_MTA_SENDMAIL_RELAY_CLASS_H_

#include <cstddef>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "agent/mta/sendmail/access_grants.h"

namespace relayguard::agent::sendmail {

// A file sendmail reads into class {R}.
struct ClassFile {
  std::string path;       // "" when it is not a file (a program "|cmd", a map "key@map:spec")
  bool optional = false;  // "-o": a missing file is no error
  std::string format;     // the scanf format ("" = "%s": each line's first word)
  size_t cf_line = 0;     // 1-based line of the F line
  std::string spec;       // the F line after the class name, for messages
};

// A member of the class and where it comes from.
struct ClassWord {
  std::string word;
  size_t line = 0;  // 1-based line of its file (or of the C line)
};

struct ClassRSources {
  std::vector<ClassFile> files;
  std::vector<ClassWord> words;  // from C lines, with their cf line
};

// The C{R}/CR and F{R}/FR lines of a sendmail.cf.
ClassRSources ClassRSourcesOf(absl::string_view cf);

// The words sendmail reads from a class file with `format`: lines starting with '#' are
// skipped; "" or "%s" takes each line's first word, a format of the form "%[^#]" (any escape of
// the '#') every word before the first '#'. nullopt for any other format.
std::optional<std::vector<ClassWord>> ClassFileWords(absl::string_view text,
                                                     absl::string_view format);

// What a member of class {R} grants and whether it lets strangers relay.
struct ClassMember {
  std::string grants;  // "lets clients in 10.0.0.0/8 relay"; "" for nothing of note
  std::string reason;  // why it lets strangers relay; "" when it may stay
  std::string note;    // for a member that stays: what else the operator should know
};
// nullopt for members that need no report (127.0.0.1, ::1, localhost).
std::optional<ClassMember> JudgeClassMember(absl::string_view word, const AccessPolicy& policy);

}  // namespace relayguard::agent::sendmail

#endif  // RELAYGUARD_AGENT_MTA_SENDMAIL_RELAY_CLASS_H_
