// Minimal edits of a monolithic Exim runtime configuration (exim.conf, Debian's
// exim4.conf.template; Exim 4.96 syntax) so that it relays only as a policy says: the named lists
// relay_from_hosts and relay_to_domains, and the relay check of the RCPT ACL. Every byte the
// rules do not name is kept: comments, alignment, .ifdef blocks, macros, CRLF endings, a missing
// final newline. Pure: no files, no processes.
#ifndef RELAYGUARD_AGENT_MTA_EXIM_EXIM_CONF_H_
#define RELAYGUARD_AGENT_MTA_EXIM_EXIM_CONF_H_

#include <functional>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "agent/mta/exim/exim_acl_accept.h"  // RcptAclContext
#include "agent/mta/exim/exim_edit.h"        // EximRelaySettings, EximEdit
#include "agent/mta/exim/exim_host_list.h"   // NamedHostList
#include "agent/mta/exim/exim_list.h"  // FormatEximList, ParseEximList

namespace relayguard::agent::exim {

// Edits monolithic configuration `text` (`path` only names it in messages) so that:
// - `hostlist relay_from_hosts` lists exactly want.relay_from_hosts ("127.0.0.1/32 : 10.0.0.0/8",
//   the "<; " form once an IPv6 network is in it) and `domainlist relay_to_domains` exactly
//   want.relay_to_domains. Only the value changes (a continued value's continuation lines go,
//   comment lines between them stay); every definition of the list is set; a value that already
//   holds those items (networks compared by value, names caselessly) is left as written. A value
//   that was a macro (MAIN_RELAY_NETS), a lookup, a file or an expansion is replaced, with a
//   warning naming it. A missing list is inserted after `domainlist local_domains`, else before
//   the first setting of the file.
// - the ACL named by `acl_smtp_rcpt` (directly or through a macro defined in the file) refuses
//   to relay; see PlanRcptAclEdits in exim_rcpt_acl.h for the exact rules. Without
//   `acl_smtp_rcpt` Exim refuses every remote RCPT, so no ACL is touched. Warns when that macro
//   is a conditional default (Debian's `.ifndef MAIN_ACL_CHECK_RCPT`), and when the ACL would
//   not let the policy's trusted networks relay.
// `changed` names what changed: "hostlist relay_from_hosts", "domainlist relay_to_domains",
// "NAME relay rule", "NAME open accept (line N)". Idempotent: editing the result again with the
// same settings returns it unchanged with empty `changed`. InvalidArgument
// ("PATH:LINE: what is wrong — nothing was changed") when the file cannot be edited safely, e.g.
// `acl_smtp_rcpt` names an ACL the file does not define, or is an expansion.
// What the RCPT ACL rules need beyond the file: the daemon's listeners (internal ones marked;
// unset: a port condition counts for every port), the policy (GrantsStrangers) and a reader for
// the host list files and lookups the ACL names.
struct EximEditContext {
  std::optional<std::vector<Listener>> listeners;
  Policy policy;
  std::function<absl::StatusOr<std::string>(const std::string& path)> read_file;
  // A compliance check: an ACL statement relayguard cannot evaluate is an unproven opening,
  // not an error.
  bool analyse_only = false;
};

// With `context`, `edit.openings` lists what lets strangers relay in `text` (per listener),
// `edit.kept` the narrow grants kept; an ACL statement relayguard cannot evaluate (a host list
// lookup it cannot read) makes it InvalidArgument naming it.
absl::StatusOr<EximEdit> EditEximConf(absl::string_view text, const EximRelaySettings& want,
                                      absl::string_view path, const EximEditContext& context = {});

// The RCPT ACL part of EditEximConf alone, for a file that defines ACL `acl_name` after
// "begin acl" or, if it has no "begin" line at all, anywhere (a conf.d fragment such as Debian's
// acl/30_exim4-config_check_rcpt). InvalidArgument when the ACL is missing or cannot be edited.
absl::StatusOr<EximEdit> EditRcptAcl(absl::string_view text, absl::string_view acl_name,
                                     absl::string_view path);

// The names of the ACLs `acl_smtp_rcpt` names in the main part of `text` (through the macros the
// file defines), each once; empty when it is unset. InvalidArgument when it is an expansion.
absl::StatusOr<std::vector<std::string>> RcptAclNames(absl::string_view text,
                                                      absl::string_view path);

// The items of named list `kind` ("hostlist", "domainlist", "addresslist", "localpartlist") `name`
// in the main part of `text`, as Exim would read them (macros the file defines before the list
// are substituted; a macro defined elsewhere stays as its name). nullopt when the list is not
// defined. InvalidArgument for an unknown kind, or when several definitions (e.g. in .ifdef
// branches) disagree.
// The value (macros substituted) and "PATH:LINE" of the last definition of named list `kind`
// `name` in the main part of `text`; nullopt when it is not defined.
absl::StatusOr<std::optional<NamedHostList>> NamedListDefinition(absl::string_view text,
                                                                 absl::string_view kind,
                                                                 absl::string_view name,
                                                                 absl::string_view path);

absl::StatusOr<std::optional<std::vector<std::string>>> ReadNamedList(absl::string_view text,
                                                                      absl::string_view kind,
                                                                      absl::string_view name,
                                                                      absl::string_view path);

}  // namespace relayguard::agent::exim

#endif  // RELAYGUARD_AGENT_MTA_EXIM_EXIM_CONF_H_
