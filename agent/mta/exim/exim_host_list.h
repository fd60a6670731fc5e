// What an Exim host list grants (spec 10.8-10.15), for deciding whether an ACL `accept hosts =`
// or `hostlist relay_from_hosts` lets strangers relay: items are networks and addresses, `*`,
// host names, `+name` (a named list), an absolute path (the file's lines are items, '#'
// comments), or a single-key lookup `[netN-]TYPE[*];FILE` whose keys are what matches
// (lsearch and iplsearch files are read; other lookup types cannot be evaluated here).
// A network grants strangers as GrantsStrangers (agent/policy/policy.h) says; `*` does; a
// negated item grants nothing. Pure: files are read through a callback.
#ifndef RELAYGUARD_AGENT_MTA_EXIM_EXIM_HOST_LIST_H_
#define RELAYGUARD_AGENT_MTA_EXIM_EXIM_HOST_LIST_H_

#include <functional>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "agent/policy/policy.h"

namespace relayguard::agent::exim {

// One item of a host list, and the line that holds it ("PATH:LINE"; a file entry's own line).
struct HostItem {
  std::string item;
  std::string where;
  std::string why;  // for an unproven item: why it cannot be evaluated
};

struct HostListVerdict {
  std::vector<HostItem> strangers;  // items that let strangers in: they must go
  std::vector<HostItem> narrow;     // the admin's narrow grants (partners): kept
  std::vector<HostItem> unproven;   // items relayguard cannot evaluate
  bool GrantsStrangers() const { return !strangers.empty(); }
};

// A named host list: its value (macros substituted) and where it is defined.
struct NamedHostList {
  std::string value;
  std::string where;
};

struct HostListContext {
  Policy policy;  // untrusted source, trusted networks, partners (GrantsStrangers)
  // Contents of a file a list names; an error makes its items unproven.
  std::function<absl::StatusOr<std::string>(const std::string& path)> read_file;
  // The named host list `name` (without '+'); nullopt when undefined.
  std::function<std::optional<NamedHostList>(const std::string& name)> named_list;
};

// Evaluates host list `value` written at `where`.
HostListVerdict EvaluateHostList(absl::string_view value, const std::string& where,
                                 const HostListContext& context);

}  // namespace relayguard::agent::exim

#endif  // RELAYGUARD_AGENT_MTA_EXIM_EXIM_HOST_LIST_H_
