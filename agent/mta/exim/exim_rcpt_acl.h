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

#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "agent/mta/exim/exim_acl.h"
#include "agent/mta/exim/exim_acl_accept.h"
#include "agent/mta/exim/exim_config_text.h"
#include "agent/mta/exim/exim_edit.h"

namespace relayguard::agent::exim {

// What PlanRcptAclEdits puts in front of each line of an `accept` it disables.
inline constexpr absl::string_view kDisabledPrefix = "# relayguard: disabled (open relay): ";

// Whether statement `s` is a relay check of the forms above.
bool IsRelayCheck(const AclStatement& s);

// Plans into `editor` the edits that make ACL `acl_name` refuse to relay, and appends what it
// did to `notes.changed` / `notes.warnings`, what opened the relay to `notes.openings` and the
// narrow grants it kept to `notes.kept`. For each statement before the relay check that could
// accept a foreign recipient, AnalyseAccept (exim_acl_accept.h) with `context` decides:
// - open (no conditions, `hosts` with a catch-all, conditions on the port of a listener other
//   hosts reach, `encrypted = *`): commented out line by line (kDisabledPrefix) when a relay
//   check follows it; with no relay check after it, treated like the next point;
// - other conditions, or an opaque line: before the first such statement not covered by a
//   check, the canonical `require message = relay not permitted` / `domains = +local_domains :
//   +relay_to_domains` is inserted (above the .ifdef blocks around it when no accept stands
//   between), or at the end of the ACL when it has no relay check at all ("NAME relay rule").
//   When an `accept hosts = +relay_from_hosts` or `accept authenticated = *` comes after that
//   place, the deny form with `!hosts = +relay_from_hosts` and `!authenticated = *` is inserted
//   instead, so that trusted clients keep relaying;
// - a narrow host list (the admin's partner rule), or port conditions that hold only on
//   internal listeners or on no listener: left as it is (the former reported in `kept`);
// - a host list relayguard cannot evaluate: left as it is, an unproven opening.
absl::Status PlanRcptAclEdits(const ConfigText& text, absl::string_view section,
                              absl::string_view acl_name, bool trusted_hosts_relay,
                              const RcptAclContext& context, TextEditor& editor, EximEdit& notes);

}  // namespace relayguard::agent::exim

#endif  // RELAYGUARD_AGENT_MTA_EXIM_EXIM_RCPT_ACL_H_
