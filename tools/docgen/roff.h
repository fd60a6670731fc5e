// Text for man(7) pages: escaping for roff, so that any help text renders as written.
#ifndef RELAYGUARD_TOOLS_DOCGEN_ROFF_H_
#define RELAYGUARD_TOOLS_DOCGEN_ROFF_H_

#include <string>
#include <string_view>

namespace relayguard::docgen {

// `text` as roff input text: backslashes and hyphens escaped (\e, \-: options stay
// copy-pastable), non-ASCII as \[uXXXX], and a control character (. or ') at the start of a
// line made literal with \&.
std::string Roff(std::string_view text);

// `text` as one argument of a macro: Roff, in double quotes (a double quote as \(dq).
std::string RoffArg(std::string_view text);

// Bold and italic runs: \fB...\fR, \fI...\fR around Roff(text).
std::string Bold(std::string_view text);
std::string Italic(std::string_view text);

}  // namespace relayguard::docgen

#endif  // RELAYGUARD_TOOLS_DOCGEN_ROFF_H_
