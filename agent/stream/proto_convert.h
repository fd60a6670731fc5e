// Domain types -> wire messages (relayguard.v1) for what the agent sends the controller.
#ifndef RELAYGUARD_AGENT_STREAM_PROTO_CONVERT_H_
#define RELAYGUARD_AGENT_STREAM_PROTO_CONVERT_H_

#include <cstdint>
#include <string>

#include "agent/apply/transaction_report.h"
#include "agent/compliance/compliance_check.h"
#include "relayguard/v1/agent_stream.pb.h"

namespace relayguard::agent {

relayguard::v1::ApplyResult ToProto(const TransactionReport& report);
void ToProto(const ProbeReport& report, relayguard::v1::ProbeResult* out);
void ToProto(const ListenerResult& result, relayguard::v1::ListenerResult* out);
void ToProto(const SettingDrift& drift, relayguard::v1::SettingDrift* out);
relayguard::v1::ComplianceReport ToProto(const ComplianceResult& result, uint64_t seq);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_STREAM_PROTO_CONVERT_H_
