#include "controller/compliance/fleet_compliance.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace relayguard::controller {

FleetCompliance SummarizeCompliance(const std::vector<HostRecord>& hosts,
                                    const std::vector<ComplianceCheckRecord>& latest,
                                    const std::map<std::string, HostPresence>& presence) {
  std::map<std::string, const ComplianceCheckRecord*> last_of;
  for (const ComplianceCheckRecord& c : latest) last_of[c.host] = &c;
  FleetCompliance fleet;
  for (const HostRecord& h : hosts) {
    HostComplianceState s;
    s.host = h.name;
    auto p = presence.find(h.name);
    s.online = p != presence.end() && p->second.online;
    s.last_seen = std::max(h.last_seen, p == presence.end() ? 0 : p->second.last_heard);
    if (auto it = last_of.find(h.name); it != last_of.end()) s.last = *it->second;
    // An offline host's last check may be stale by any amount: say so rather than vouch for it.
    s.status = !s.online ? FleetHostStatus::kUnreachable
               : !s.last ? FleetHostStatus::kNeverChecked
                         : ToFleetHostStatus(s.last->status);
    fleet.compliant += s.status == FleetHostStatus::kCompliant;
    fleet.hosts.push_back(std::move(s));
  }
  std::sort(fleet.hosts.begin(), fleet.hosts.end(),
            [](const HostComplianceState& a, const HostComplianceState& b) {
              return a.host < b.host;
            });
  fleet.total = static_cast<int>(fleet.hosts.size());
  return fleet;
}

std::vector<EnforceHoldRecord> HoldsInForce(const std::vector<EnforceHoldRecord>& holds,
                                            const std::vector<HostRecord>& hosts) {
  std::map<std::string, uint64_t> newest_applied;
  for (const HostRecord& h : hosts) {
    if (h.applied_policy.empty()) continue;
    uint64_t& v = newest_applied[h.applied_policy];
    v = std::max(v, h.applied_version);
  }
  std::vector<EnforceHoldRecord> out;
  for (const EnforceHoldRecord& hold : holds) {
    auto it = newest_applied.find(hold.policy);
    if (it == newest_applied.end() || it->second <= hold.version) out.push_back(hold);
  }
  return out;
}

std::string HoldText(const EnforceHoldRecord& hold) {
  return absl::StrCat(hold.policy, " v", hold.version, ": ", hold.reason);
}

}  // namespace relayguard::controller
