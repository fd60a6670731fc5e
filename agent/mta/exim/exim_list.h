// Exim list syntax (spec 6.20-6.22), shared by the exim.conf editor and Debian's
// update-exim4.conf.conf editor: items are separated by ':' (a doubled "::" is a literal colon)
// or, when the list starts with '<' and a punctuation character ("<; a ; b"), by that character;
// white space around items is ignored and an empty last item is dropped.
#ifndef RELAYGUARD_AGENT_MTA_EXIM_EXIM_LIST_H_
#define RELAYGUARD_AGENT_MTA_EXIM_EXIM_LIST_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

namespace relayguard::agent::exim {

// The items of a list value as Exim reads them: "127.0.0.1 : ::::1" -> {"127.0.0.1", "::1"},
// "<; 127.0.0.1 ; ::1" -> the same, ":" -> {""} (one empty item), "" -> {}.
std::vector<std::string> ParseEximList(absl::string_view value);

// Formats items as an Exim list: "127.0.0.1/32 : 10.0.0.0/8"; when any item contains ':' (IPv6)
// the "<; " separator form ("<; 127.0.0.1/32 ; ::1/128"). Separator characters inside items are
// doubled. An empty list is "" (an empty value).
std::string FormatEximList(const std::vector<std::string>& items);

// Whether two item lists say the same in the same order: networks compare by value
// ("127.0.0.1" == "127.0.0.1/32", "::1/128" == "0:0::1/128"), everything else ignoring ASCII case
// (Exim matches domains and host names caselessly).
bool SameEximListItems(const std::vector<std::string>& a, const std::vector<std::string>& b);

}  // namespace relayguard::agent::exim

#endif  // RELAYGUARD_AGENT_MTA_EXIM_EXIM_LIST_H_
