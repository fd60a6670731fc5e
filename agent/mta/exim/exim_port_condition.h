// An ACL `condition = ${if ...}` that depends only on the port the client connected to
// ($received_port, $interface_port): `eq`/`==`/`=`/`<`/`<=`/`>`/`>=` of the port and a number,
// `inlist{$received_port}{587:465}`, `!` in front of any of them, and `or{{...}{...}}` /
// `and{{...}{...}}` of such, optionally followed by `{yes}` / `{true}` and `{no}`/`{}`. Such an
// accept is open on the listeners whose port makes the condition true (spec 11.7 "Expansion
// conditions").
#ifndef RELAYGUARD_AGENT_MTA_EXIM_EXIM_PORT_CONDITION_H_
#define RELAYGUARD_AGENT_MTA_EXIM_EXIM_PORT_CONDITION_H_

#include <memory>
#include <optional>
#include <set>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

namespace relayguard::agent::exim {

class PortCondition {
 public:
  // nullopt unless `value` is such a condition and nothing else.
  static std::optional<PortCondition> Parse(absl::string_view value);
  // Whether the condition holds for a client on `port`.
  bool Matches(int port) const;

  struct Node {
    enum class Kind { kCompare, kInList, kOr, kAnd } kind = Kind::kCompare;
    bool negated = false;
    std::string op;          // "==", "<", ... for kCompare (eq is "==")
    bool port_first = true;  // $received_port is the left operand
    int number = 0;
    std::set<int> list;  // kInList
    std::vector<Node> children;
  };

 private:
  Node root_;
};

}  // namespace relayguard::agent::exim

#endif  // RELAYGUARD_AGENT_MTA_EXIM_EXIM_PORT_CONDITION_H_
