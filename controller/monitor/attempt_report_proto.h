// The log monitor's messages between the wire and the store: an agent's AttemptReport as a
// record, and the operator's view of the attempts as a ListAttemptsResponse.
#ifndef RELAYGUARD_CONTROLLER_MONITOR_ATTEMPT_REPORT_PROTO_H_
#define RELAYGUARD_CONTROLLER_MONITOR_ATTEMPT_REPORT_PROTO_H_

#include <string>

#include "controller/monitor/attempt_tracker.h"
#include "controller/store/records.h"
#include "relayguard/v1/agent_stream.pb.h"
#include "relayguard/v1/operator.pb.h"

namespace relayguard::controller {

// `report` from `host`, field for field (received_at left 0).
AttemptReportRecord AttemptReportFromProto(const std::string& host,
                                           const relayguard::v1::AttemptReport& report);

// The rows and totals of `view`.
void AttemptViewToProto(const AttemptView& view, relayguard::v1::ListAttemptsResponse* out);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_MONITOR_ATTEMPT_REPORT_PROTO_H_
