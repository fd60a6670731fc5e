#include "agent/mta/exim/exim_acl_accept.h"

#include <optional>
#include <set>

#include "absl/strings/str_join.h"
#include "agent/mta/exim/exim_port_condition.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace relayguard::agent::exim {
namespace {

struct PortTest {
  PortCondition condition;
  bool negated = false;
};

// The listeners every port test holds on (internal ones never: their rules are left alone).
std::vector<std::string> OpenedListeners(const std::vector<Listener>& listeners,
                                         const std::vector<PortTest>& tests, std::set<int>& ports) {
  std::vector<std::string> names;
  for (const Listener& l : listeners) {
    bool holds = true;
    for (const PortTest& t : tests)
      holds = holds && t.condition.Matches(l.endpoint.port) != t.negated;
    if (!holds || l.internal) continue;
    names.push_back(l.Name());
    ports.insert(l.endpoint.port);
  }
  return names;
}

std::string Describe(const std::vector<PortTest>& tests, const std::set<int>& ports, bool encrypted,
                     const std::vector<HostItem>& strangers) {
  std::string who = "every host";
  if (!strangers.empty()) {
    std::vector<std::string> items;
    for (const HostItem& h : strangers) items.push_back(h.item);
    who = absl::StrCat("hosts ", absl::StrJoin(items, ", "), " (strangers among them)");
  }
  std::string what = absl::StrCat("accepts every recipient from ", who);
  if (encrypted) what += " that starts TLS";
  if (!tests.empty()) {
    std::vector<std::string> p;
    for (int port : ports) p.push_back(std::to_string(port));
    what += absl::StrCat(" on port ", absl::StrJoin(p, ", "), " ($received_port condition)");
  }
  return what + ", before the relay check";
}

}  // namespace

AcceptAnalysis AnalyseAccept(const ConfigText& text, const AclStatement& s,
                             const RcptAclContext& context) {
  AcceptAnalysis a;
  a.where = text.Where(s.first);
  std::vector<PortTest> tests;
  std::optional<HostListVerdict> hosts;
  bool encrypted = false;
  bool other = s.split_by_directive;
  for (const AclItem& item : s.items) {
    if (IsAclModifier(item.name)) continue;
    if (item.conditional) {
      other = true;
    } else if (item.name == "condition") {
      std::optional<PortCondition> c = PortCondition::Parse(item.value);
      if (c) {
        tests.push_back({*c, item.negated});
      } else {
        other = true;
      }
    } else if (item.name == "encrypted") {
      encrypted = true;
    } else if (item.name == "hosts" && item.negated) {
      // Everyone but the hosts listed: strangers.
      if (!hosts) hosts.emplace();
      hosts->strangers.push_back({absl::StrCat("!", item.value), text.Where(item.line), ""});
    } else if (item.name == "hosts") {
      HostListVerdict v = EvaluateHostList(item.value, text.Where(item.line), context.hosts);
      if (!hosts) hosts.emplace();
      // Every hosts condition must match: any narrow list narrows the statement.
      if (!v.GrantsStrangers() && v.unproven.empty()) {
        hosts->narrow.insert(hosts->narrow.end(), v.narrow.begin(), v.narrow.end());
        hosts->strangers.clear();
        hosts->unproven.clear();
        a.grant = AcceptGrant::kPartner;
        break;
      }
      hosts->strangers.insert(hosts->strangers.end(), v.strangers.begin(), v.strangers.end());
      hosts->unproven.insert(hosts->unproven.end(), v.unproven.begin(), v.unproven.end());
      // Narrow items beside a catch-all lose their grant with the statement: keep them to say so.
      hosts->narrow.insert(hosts->narrow.end(), v.narrow.begin(), v.narrow.end());
    } else {
      other = true;
    }
  }
  if (a.grant == AcceptGrant::kPartner) {
    a.items = hosts->narrow;
    a.what = "a narrow host list";
    return a;
  }
  std::set<int> ports;
  if (context.listeners) {
    a.listeners = OpenedListeners(*context.listeners, tests, ports);
    if (a.listeners.empty()) {
      a.grant = AcceptGrant::kDormant;
      return a;
    }
  }
  const std::vector<HostItem> no_items;
  const std::vector<HostItem>& strangers = hosts ? hosts->strangers : no_items;
  a.what = Describe(tests, ports, encrypted, strangers);
  if (other) {
    a.grant = AcceptGrant::kOther;
    a.what =
        "may accept recipients in foreign domains before the relay check (conditions "
        "relayguard does not read as a restriction)";
    return a;
  }
  if (hosts && hosts->strangers.empty() && !hosts->unproven.empty()) {
    a.grant = AcceptGrant::kUnproven;
    a.items = hosts->unproven;
    a.where = a.items.front().where;
    a.what = absl::StrCat("hosts item ", a.items.front().item, ": ", a.items.front().why);
    return a;
  }
  a.grant = AcceptGrant::kOpen;
  a.items = strangers;
  if (hosts) a.lost = hosts->narrow;
  if (!strangers.empty()) a.where = strangers.front().where;
  return a;
}

}  // namespace relayguard::agent::exim
