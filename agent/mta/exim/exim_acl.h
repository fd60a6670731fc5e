// The statements of one Exim ACL (spec 44.17-44.21) as Exim's acl_read() sees them: a line
// "NAME:" starts the ACL, a verb (accept, defer, deny, discard, drop, require, warn) starts a
// statement, "[!]condition = value" / "modifier = value" lines continue it, and the next
// "NAME:", a macro definition or a "begin" line ends the ACL. Conditional directives are kept
// track of, so that callers can tell what holds in every branch.
#ifndef RELAYGUARD_AGENT_MTA_EXIM_EXIM_ACL_H_
#define RELAYGUARD_AGENT_MTA_EXIM_EXIM_ACL_H_

#include <cstddef>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/mta/exim/exim_config_text.h"

namespace relayguard::agent::exim {

// A condition or modifier of a statement: "!verify = sender" -> {true, "verify", "sender"}.
struct AclItem {
  bool negated = false;
  std::string name;
  std::string value;
  bool conditional = false;  // in a branch nested inside the statement's own
  size_t line = 0;           // physical index of the line it is on
};

// A statement: its verb and items, or an opaque line (.include, a macro standing alone) that
// could expand to anything.
struct AclStatement {
  std::string verb;           // "" for an opaque line
  size_t first = 0;           // physical index of its first line
  size_t last = 0;            // physical index of its last line
  size_t branch = kTopLevel;  // the branch of its first line
  std::vector<AclItem> items;
  bool split_by_directive = false;  // a directive line sits among its lines
};

// One ACL: from its "NAME:" line to the line where the next ACL, macro or part starts.
struct Acl {
  std::string name;
  size_t header = 0;  // physical index of "NAME:"
  size_t header_branch = kTopLevel;
  size_t stop = 0;  // physical index of the line that ends it (or the number of lines)
  std::vector<AclStatement> statements;
};

// Whether `name` is an ACL modifier (message, control, logwrite, ...) rather than a condition.
bool IsAclModifier(absl::string_view name);

// The ACL called `name` in part `section` of `text` ("acl", or "" for a conf.d fragment without
// "begin" lines). NotFound when there is none; InvalidArgument ("PATH:LINE: ACL NAME: ...") for
// lines it cannot read, a statement continued across an .ifdef/.else/.endif boundary, a line
// outside the .ifdef block the ACL starts in, or two ACLs of that name.
absl::StatusOr<Acl> ReadAcl(const ConfigText& text, absl::string_view section,
                            absl::string_view name);

// InvalidArgument "PATH:LINE: ACL NAME: what".
absl::Status AclError(const ConfigText& text, size_t line, absl::string_view acl,
                      absl::string_view what);

}  // namespace relayguard::agent::exim

#endif  // RELAYGUARD_AGENT_MTA_EXIM_EXIM_ACL_H_
