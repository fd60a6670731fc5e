// Who a restriction list lets relay: walked the way smtpd walks it for a RCPT TO a foreign
// domain, from a stranger (an untrusted, unauthenticated client) and from a trusted network.
// A stranger is stopped by the first closing element (reject_unauth_destination,
// defer_unauth_destination, reject, defer) unless an element before it lets them through:
// `permit`, permit_mynetworks while mynetworks holds strangers, a check_*_access table with an
// entry that grants strangers (lookup_table.h JudgeEntry), a restriction class whose own list
// lets them through. A table relayguard cannot read makes the list unproven, never closed.
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_RELAY_JUDGEMENT_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_RELAY_JUDGEMENT_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/mta/postfix/lookup_table.h"
#include "agent/mta/postfix/restriction_list.h"
#include "agent/policy/policy.h"

namespace relayguard::agent::postfix {

// How table entries are read and judged: the real reader and JudgeEntry in the agent; fakes in
// tests, so the walk is tested apart from the table formats.
using EntryJudge =
    std::function<EntryJudgement(const LookupTable&, const TableEntry&, LookupKind, const Policy&)>;
struct TableAccess {
  LookupTableReader& reader;
  EntryJudge judge = JudgeEntry;
};

// Something that lets strangers relay, or that relayguard cannot judge.
struct Finding {
  std::string setting;  // the parameter it is part of: "smtpd_relay_restrictions", "mynetworks"
  std::string what;     // "permit", "check_client_access cidr:/x: 0.0.0.0/0 OK (why)"
  std::string where;    // "PATH:LINE" (a table entry's own line when it is one)
};

// mynetworks (or another client list) judged entry by entry.
struct NetworksJudgement {
  std::vector<std::string> strangers;  // entries that grant strangers: "0.0.0.0/0"
  std::vector<std::string> unproven;   // entries relayguard cannot judge: "hash:/etc/nets"
  std::vector<std::string> narrow;     // the rest (trusted, partners, narrow admin networks)
  bool Grants() const { return !strangers.empty(); }
};
NetworksJudgement JudgeNetworks(const std::string& value, const Policy& policy);

enum class ListVerdict {
  kStops,     // strangers reach a closing element (or a class that stops them): refused
  kGrants,    // something before the closing element lets strangers through
  kPasses,    // strangers reach the end of the list: it does not decide (an empty list)
  kUnproven,  // something before the closing element cannot be judged
};

struct ListJudgement {
  ListVerdict verdict = ListVerdict::kPasses;
  std::optional<size_t> closing;  // index in elements of what stops strangers
  std::vector<size_t> granting;   // elements before it that let strangers through
  std::vector<size_t> unproven_elements;
  std::vector<Finding> grants;
  std::vector<Finding> unproven;
  std::vector<std::string> kept;  // "PATH:LINE: ... grants X (kept: why)"
};

// What the walk needs besides the list: the policy, the tables, whether permit_mynetworks lets
// strangers through here (and why), and the service's restriction classes.
class RelayJudge {
 public:
  RelayJudge(const PostfixConfig& config, const Policy& policy, TableAccess tables);

  // Judges `list` of the service on `service_line` for strangers. `mynetworks` is that
  // service's mynetworks finding when it grants strangers, nullopt when it does not.
  ListJudgement Judge(const RestrictionList& list, int service_line,
                      const std::optional<Finding>& mynetworks);

  // Whether a trusted client (in mynetworks) gets through `list` to relay: permit or
  // permit_mynetworks before the closing element, or no closing element at all.
  static bool TrustedPasses(const RestrictionList& list);

 private:
  struct TableResult {
    absl::Status read;
    std::vector<Finding> grants, unproven;
    std::vector<std::string> kept;
  };
  const TableResult& Table(const Element& element);
  ListJudgement JudgeDepth(const RestrictionList& list, int service_line,
                           const std::optional<Finding>& mynetworks, int depth);

  const PostfixConfig& config_;
  const Policy& policy_;
  TableAccess tables_;
  std::map<std::string, TableResult> table_cache_;  // by "restriction spec"
};

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_RELAY_JUDGEMENT_H_
