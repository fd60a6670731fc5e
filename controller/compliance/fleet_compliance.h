// What the operator sees of the fleet's compliance: every known host with the status of its
// newest check, except unreachable when the host is offline now and never-checked when it has
// reported none (FleetHostStatus); and the enforcement holds still in force. Pure functions over
// store records.
#ifndef RELAYGUARD_CONTROLLER_COMPLIANCE_FLEET_COMPLIANCE_H_
#define RELAYGUARD_CONTROLLER_COMPLIANCE_FLEET_COMPLIANCE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controller/store/records.h"

namespace relayguard::controller {

// Whether a host's stream is open now, and when it was last heard from (0 when unknown).
struct HostPresence {
  bool online = false;
  int64_t last_heard = 0;
};

struct HostComplianceState {
  std::string host;
  FleetHostStatus status = FleetHostStatus::kNeverChecked;
  bool online = false;
  int64_t last_seen = 0;
  std::optional<ComplianceCheckRecord> last;  // the newest check, also when unreachable
};

struct FleetCompliance {
  std::vector<HostComplianceState> hosts;  // by host name
  int compliant = 0;
  int total = 0;  // unreachable and never-checked hosts count, as not compliant
};

// One entry per host of `hosts`; `latest` is the newest check per host (Store::
// LatestCompliance); a host missing from `presence` is offline.
FleetCompliance SummarizeCompliance(const std::vector<HostRecord>& hosts,
                                    const std::vector<ComplianceCheckRecord>& latest,
                                    const std::map<std::string, HostPresence>& presence);

// The holds still in force: a hold is for one policy version and is superseded once a newer
// version of that policy was pushed and applied on some host.
std::vector<EnforceHoldRecord> HoldsInForce(const std::vector<EnforceHoldRecord>& holds,
                                            const std::vector<HostRecord>& hosts);

// "no-open-relay v2: 3 hosts failed to enforce ..." (ComplianceResponse.holds).
std::string HoldText(const EnforceHoldRecord& hold);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_COMPLIANCE_FLEET_COMPLIANCE_H_
