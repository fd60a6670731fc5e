// A Postfix restriction list (smtpd_relay_restrictions, smtpd_recipient_restrictions, a
// restriction class) as one smtpd service sees it, traced back to where each element is
// written so it can be edited there: the service's `-o` override, the main.cf parameter, or
// Postfix's default (not written anywhere yet). `-o name=$param` and `name = $param` follow the
// reference to the parameter that holds the text (the $mua_relay_restrictions idiom); an element
// that is a reference ($extra_rules) is expanded in place from its own source.
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_RESTRICTION_LIST_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_RESTRICTION_LIST_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "agent/mta/postfix/list_text.h"
#include "agent/mta/postfix/postfix_config.h"

namespace relayguard::agent::postfix {

enum class ElementKind {
  kPermit,            // permit: everyone passes
  kPermitMynetworks,  // permit_mynetworks
  kPermitSasl,        // permit_sasl_authenticated
  kClosing,           // reject_unauth_destination, defer_unauth_destination, reject, defer
  kTable,             // check_*_access TABLE
  kClass,             // a name listed in smtpd_restriction_classes
  kOther,             // everything else (check_policy_service, reject_rbl_client, ...)
};

// Where a list's text lives.
struct ListSource {
  enum class Kind { kOverride, kMainCf, kDefault };
  Kind kind = Kind::kMainCf;
  std::string param;     // the parameter (or override name) holding the text
  int service_line = 0;  // kOverride: the master.cf service
  int line = 0;          // 1-based line of the value's first byte (0 for kDefault)
  std::string file;      // main.cf or master.cf path
  // The text could not be followed (a ${name?value} form): `text` is Postfix's expansion of
  // the whole value, and an edit rewrites the whole value.
  bool expanded_whole = false;
  ListText text{"", true};

  std::string Id() const;     // identifies the source across lists
  std::string Where() const;  // "PATH:LINE"
  // For changed_settings: "main.cf:31 smtpd_relay_restrictions",
  // "master.cf:14 submission/inet -o smtpd_relay_restrictions".
  std::string Describe(const MasterCf& master_cf) const;
};

struct Element {
  ElementKind kind = ElementKind::kOther;
  std::vector<std::string> words;  // expanded: {"check_client_access", "cidr:/etc/x.cidr"}
  std::string written;             // as written, words joined by a space
  size_t source = 0;               // index into RestrictionList::sources
  size_t first_word = 0;           // in that source's text
  size_t word_count = 1;
  std::string where;         // "PATH:LINE" of its first word
  std::string Text() const;  // expanded words joined by a space
};

struct RestrictionList {
  std::string param;                // as the service sees it: "smtpd_relay_restrictions"
  std::vector<ListSource> sources;  // [0]: where the list itself is written
  std::vector<Element> elements;    // in evaluation order, references expanded
};

// The list `param` of the service starting on `service_line` (0: main.cf alone), from the
// current text of `config`. InvalidArgument for a reference loop.
absl::StatusOr<RestrictionList> BuildRestrictionList(const PostfixConfig& config, int service_line,
                                                     absl::string_view param);

// Writes `source.text` back where it came from (a kDefault source becomes a main.cf line).
void WriteBack(const ListSource& source, PostfixConfig& config);

// Whether restriction `name` takes the next word as its argument (check_*_access TABLE,
// check_policy_service SERVICE, reject_rbl_client DOMAIN, ...).
bool TakesArgument(absl::string_view name);

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_RESTRICTION_LIST_H_
