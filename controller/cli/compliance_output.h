// What `relayguardctl compliance` prints, from the controller's ComplianceResponse: a table for
// people (with the fleet line and the holds), the drift of each drifted host (--diff), the
// checks over time (--history), JSON with everything, CSV one row per host or history entry.
// Pure functions of the response and `now` (for "35s ago"), so they are tested directly.
#ifndef RELAYGUARD_CONTROLLER_CLI_COMPLIANCE_OUTPUT_H_
#define RELAYGUARD_CONTROLLER_CLI_COMPLIANCE_OUTPUT_H_

#include <cstdint>
#include <string>

#include "relayguard/v1/operator.pb.h"

namespace relayguard::controller {

// "2026-01-02T03:04:05Z"; "-" for 0.
std::string IsoUtc(int64_t seconds);
// "35s ago", "12m ago", "3h ago", "2d ago" (floor); "in 5s" for a time after `now`.
std::string Ago(int64_t seconds, int64_t now);

// HOST STATUS POLICY MODE LAST-CHECKED ENFORCEMENT REFUSED-24H SUMMARY, then the evidence of
// every relay a host's log monitor saw (RelaySeenText), "fleet: 4/5 hosts compliant (80.0%)"
// and the enforcement holds in force.
std::string ComplianceTable(const relayguard::v1::ComplianceResponse& r, int64_t now);
// "relay seen on HOST at TIME: client ADDR (NAME), sender <S>, to <R>, queue id Q (LOG)\n" and
// the first log line that proves it ("  | LINE\n").
std::string RelaySeenText(const std::string& host, const relayguard::v1::RelaySeen& seen);
// For each host whose newest check is not compliant or enforcement changed something: the relay
// its log monitor saw (with every log line), setting
// drift (setting: effective -> desired), changed files with mtime and unified diff, and the
// enforcement's commits (backup -> result).
std::string ComplianceDiff(const relayguard::v1::ComplianceResponse& r);
// The history, newest first: CHECKED HOST STATUS ENFORCEMENT SUMMARY.
std::string ComplianceHistoryTable(const relayguard::v1::ComplianceResponse& r);
// The response as proto JSON (ProtoJson): everything, including history (empty unless asked for).
std::string ComplianceJson(const relayguard::v1::ComplianceResponse& r);
// host,status,online,last_seen,policy,version,mode,checked_at,enforcement,summary,error
std::string ComplianceCsv(const relayguard::v1::ComplianceResponse& r);
// host,seq,checked_at,received_at,status,policy,version,mode,enforcement,summary,error
std::string ComplianceHistoryCsv(const relayguard::v1::ComplianceResponse& r);

// 0: every host compliant (or no host); 4: some host's newest check found drift, an open relay
// or an error (also when that host is offline now); 5: otherwise, some host is unreachable or
// was never checked.
int ComplianceExitCode(const relayguard::v1::ComplianceResponse& r);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_CLI_COMPLIANCE_OUTPUT_H_
