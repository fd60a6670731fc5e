// The relay check of an Exim RCPT ACL (spec 44). An ACL refuses to relay when a relay check
//   require domains = +local_domains : +relay_to_domains
//   deny   !domains = +local_domains : +relay_to_domains   (optionally with !hosts =
//                                                           +relay_from_hosts, !authenticated = *)
// (a subset of the two lists also counts, order and spacing do not matter) comes before every
// statement that could accept a recipient in a foreign domain: an `accept` not restricted by
// `hosts = +relay_from_hosts`, `authenticated = *`, `hosts = :` (local, non-TCP submission) or
// `domains =` a subset of +local_domains/+relay_to_domains; or an opaque line (.include, a macro
// standing alone) that could expand to one. A check inside an .ifdef branch covers only the
// statements of that branch.
#ifndef RELAYGUARD_AGENT_MTA_EXIM_EXIM_RCPT_ACL_H_
#define RELAYGUARD_AGENT_MTA_EXIM_EXIM_RCPT_ACL_H_

#include <string_view>

#include "absl/status/status.h"
#include "agent/mta/exim/exim_acl_accept.h"
#include "agent/mta/exim/exim_config_text.h"
#include "agent/mta/exim/exim_edit.h"

namespace relayguard::agent::exim {

// What PlanRcptAclEdits puts in front of each line of an `accept` it disables.
inline constexpr std::string_view kDisabledPrefix = "# relayguard: disabled (open relay): ";

// Plans into `editor` the edits that make ACL `acl_name` refuse to relay, and appends what it
// did to `notes.changed` / `notes.warnings`:
// - an `accept` with no conditions (or only `hosts = *` / `hosts = 0.0.0.0/0` style) that comes
//   before the ACL's existing relay check is commented out line by line (kDisabledPrefix); with
//   no relay check after it, it is treated like the next point (a check goes in front of it);
// - before the first other statement that could accept a foreign recipient and is not covered by
//   a check, the canonical `require message = relay not permitted` / `domains = +local_domains :
//   +relay_to_domains` is inserted (above the .ifdef blocks around it when no accept stands
//   between), or at the end of the ACL when it has no relay check at all ("NAME relay rule").
//   When an `accept hosts = +relay_from_hosts` or `accept authenticated = *` comes after that
//   place, the deny form with `!hosts = +relay_from_hosts` and `!authenticated = *` is inserted
//   instead, so that trusted clients keep relaying.
// `section` is the part of the file the ACL is in: "acl", or "" for a conf.d fragment without
// "begin" lines. NotFound when there is no such ACL; InvalidArgument ("PATH:LINE: ...") when the
// ACL cannot be edited safely (unparseable lines, statements split across .ifdef blocks, two
// ACLs of that name). Plans nothing when the ACL already refuses to relay. With
// `trusted_hosts_relay` (the policy has trusted networks) it also warns when clients in
// +relay_from_hosts reach no `accept` that could take a foreign recipient from them, i.e. the
// policy's trusted networks could not relay.
absl::Status PlanRcptAclEdits(const ConfigText& text, std::string_view section,
                              std::string_view acl_name, bool trusted_hosts_relay,
                              const RcptAclContext& context, TextEditor& editor,
                              EximEdit& notes);

}  // namespace relayguard::agent::exim

#endif  // RELAYGUARD_AGENT_MTA_EXIM_EXIM_RCPT_ACL_H_
