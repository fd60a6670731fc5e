#include "controller/cli/compliance_output.h"

#include <ctime>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/compliance_states_proto.h"
#include "common/csv.h"
#include "common/table.h"
#include "controller/cli/proto_json.h"

namespace relayguard::controller {
namespace {

namespace pb = ::relayguard::v1;

const char* VerdictName(pb::ProbeVerdict v) {
  switch (v) {
    case pb::PROBE_VERDICT_RELAY_ACCEPTED: return "relay-accepted";
    case pb::PROBE_VERDICT_REFUSED: return "refused";
    case pb::PROBE_VERDICT_INCONCLUSIVE: return "inconclusive";
    default: return "";
  }
}

// A check that found something wrong (drifted, relay-open, inconclusive, error): neither
// compliant nor a state this build does not know.
bool Problem(pb::ComplianceStatus status) {
  absl::StatusOr<ComplianceStatus> s = ComplianceStatusFromProto(status);
  return s.ok() && *s != ComplianceStatus::kCompliant;
}

// A host whose newest check found something wrong; not unreachable or never checked.
bool Problem(pb::FleetHostStatus status) {
  absl::StatusOr<FleetHostStatus> s = FleetHostStatusFromProto(status);
  return s.ok() && *s != FleetHostStatus::kCompliant && *s != FleetHostStatus::kUnreachable &&
         *s != FleetHostStatus::kNeverChecked;
}

// The report's states as the columns print them (today's words); "" for a host never checked,
// whose report is empty.
std::string StatusWord(const pb::ComplianceReport& c) {
  return c.status() == pb::COMPLIANCE_STATUS_UNSPECIFIED ? "" : ComplianceStatusText(c.status());
}
std::string ModeWord(const pb::ComplianceReport& c) {
  return c.mode() == pb::COMPLIANCE_MODE_UNSPECIFIED ? "" : ComplianceModeText(c.mode());
}
std::string EnforcementWord(const pb::ComplianceReport& c) {
  return c.enforcement() == pb::ENFORCEMENT_UNSPECIFIED ? "" : EnforcementText(c.enforcement());
}
std::string HostStatusWord(const pb::HostCompliance& h) { return FleetHostStatusText(h.status()); }

std::string Dash(const std::string& s) { return s.empty() ? "-" : s; }

std::string PolicyText(const pb::ComplianceReport& r) {
  return r.policy_name().empty() ? "-" : absl::StrCat(r.policy_name(), " v", r.policy_version());
}

std::string Percent(int compliant, int total) {
  return absl::StrFormat("%.1f%%", 100.0 * compliant / total);
}

std::string FleetLine(const pb::ComplianceResponse& r) {
  std::string line = absl::StrCat("fleet: ", r.compliant(), "/", r.total(), " hosts compliant");
  if (r.total() > 0) absl::StrAppend(&line, " (", Percent(r.compliant(), r.total()), ")");
  return line + "\n";
}

void Indented(std::string* out, const std::string& text, const char* prefix) {
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    absl::StrAppend(out, prefix, line, "\n");
  }
}

// A probe's "trick: detail; " parts: the first goes on the listener's line, every other one on a
// line of its own below it (20 on one line would be unreadable).
std::vector<std::string> DetailParts(const std::string& details) {
  return absl::StrSplit(details, "; ", absl::SkipWhitespace());
}

// "127.0.0.1:2525 (smtp, /etc/postfix/master.cf:12, implicit TLS, internal)"
std::string ListenerName(const pb::ListenerResult& l) {
  std::string name = absl::StrCat(l.address(), " (", l.service());
  if (!l.declared_at().empty()) absl::StrAppend(&name, ", ", l.declared_at());
  if (l.tls() == pb::LISTENER_TLS_IMPLICIT) absl::StrAppend(&name, ", implicit TLS");
  if (l.internal()) absl::StrAppend(&name, ", internal");
  return name + ")";
}

}  // namespace

std::string RelaySeenText(const std::string& host, const pb::RelaySeen& seen) {
  std::string recipients;
  for (const std::string& r : seen.recipients()) {
    absl::StrAppend(&recipients, recipients.empty() ? "" : ", ", "<", r, ">");
  }
  std::string out = absl::StrCat(
      "relay seen on ", host, " at ", IsoUtc(seen.seen_at()), ": client ", seen.client_address(),
      seen.client_name().empty() ? "" : absl::StrCat(" (", seen.client_name(), ")"), ", sender <",
      seen.sender(), ">, to ", recipients.empty() ? "-" : recipients, ", queue id ",
      Dash(seen.queue_id()),
      seen.log_source().empty() ? "" : absl::StrCat(" (", seen.log_source(), ")"), "\n");
  if (!seen.lines().empty()) absl::StrAppend(&out, "  | ", seen.lines(0), "\n");
  return out;
}

std::string IsoUtc(int64_t seconds) {
  if (seconds == 0) return "-";
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string Ago(int64_t seconds, int64_t now) {
  int64_t d = now - seconds;
  const bool future = d < 0;
  if (future) d = -d;
  std::string n = d < 120       ? absl::StrCat(d, "s")
                  : d < 7200    ? absl::StrCat(d / 60, "m")
                  : d < 172800  ? absl::StrCat(d / 3600, "h")
                                : absl::StrCat(d / 86400, "d");
  return future ? absl::StrCat("in ", n) : absl::StrCat(n, " ago");
}

std::string ComplianceTable(const pb::ComplianceResponse& r, int64_t now) {
  Table t({{"HOST", 24}, {"STATUS", 13}, {"POLICY", 22}, {"MODE", 7}, {"LAST-CHECKED", 35},
           {"ENFORCEMENT", 15}, {"REFUSED-24H", 11}, {"SUMMARY"}});
  std::string seen;
  for (const pb::HostCompliance& h : r.hosts()) {
    const std::string refused = absl::StrCat(h.refused_24h());
    if (!h.has_last()) {
      t.AddRow({h.host(), HostStatusWord(h), "-", "-", "-", "-", refused, "-"});
      continue;
    }
    const pb::ComplianceReport& c = h.last().report();
    t.AddRow({h.host(), HostStatusWord(h), PolicyText(c), Dash(ModeWord(c)),
              absl::StrCat(IsoUtc(c.checked_at()), " (", Ago(c.checked_at(), now), ")"),
              Dash(EnforcementWord(c)), refused,
              c.summary().empty() ? Dash(c.error()) : c.summary()});
    if (c.has_relay_seen()) absl::StrAppend(&seen, RelaySeenText(h.host(), c.relay_seen()));
  }
  std::string out = t.Render();
  absl::StrAppend(&out, seen);
  absl::StrAppend(&out, FleetLine(r));
  if (!r.holds().empty()) {
    absl::StrAppend(&out, "enforcement held (audit only until a newer version is pushed):\n");
    for (const std::string& hold : r.holds()) absl::StrAppend(&out, "  ", hold, "\n");
  }
  return out;
}

std::string ComplianceDiff(const pb::ComplianceResponse& r) {
  std::string out;
  for (const pb::HostCompliance& h : r.hosts()) {
    if (!h.has_last()) continue;
    const pb::ComplianceReport& c = h.last().report();
    const pb::ApplyResult& e = c.enforce_result();
    const bool commits = !e.backup_commit().empty() || !e.result_commit().empty();
    if (!Problem(c.status()) && !commits) continue;
    absl::StrAppend(&out, "== ", h.host(), "  ", StatusWord(c), "  ", PolicyText(c), "  checked ",
                    IsoUtc(c.checked_at()), "\n");
    if (!c.summary().empty()) absl::StrAppend(&out, "   ", c.summary(), "\n");
    if (!c.error().empty()) absl::StrAppend(&out, "   error: ", c.error(), "\n");
    if (c.has_relay_seen()) {
      const pb::RelaySeen& seen = c.relay_seen();
      absl::StrAppend(&out, "   ", RelaySeenText(h.host(), seen));
      for (int i = 1; i < seen.lines_size(); ++i) absl::StrAppend(&out, "  | ", seen.lines(i), "\n");
    }
    for (const pb::SettingDrift& s : c.settings()) {
      absl::StrAppend(&out, "   setting ");
      if (!s.listener().empty()) absl::StrAppend(&out, "on listener ", s.listener(), " ");
      if (s.unproven()) {
        absl::StrAppend(&out, s.setting(), ": cannot be checked: ", Dash(s.effective()));
      } else {
        absl::StrAppend(&out, s.setting(), ": ", Dash(s.effective()), " -> ", Dash(s.desired()));
      }
      if (!s.where().empty()) absl::StrAppend(&out, " (", s.where(), ")");
      absl::StrAppend(&out, "\n");
    }
    if (c.listeners().empty() && c.probe().verdict() != pb::PROBE_VERDICT_UNSPECIFIED) {
      absl::StrAppend(&out, "   probe from ", Dash(c.probe().source_address()), ": ",
                      VerdictName(c.probe().verdict()),
                      c.probe().detail().empty() ? "" : absl::StrCat(" (", c.probe().detail(), ")"),
                      "\n");
    }
    for (const pb::ListenerResult& l : c.listeners()) {
      absl::StrAppend(&out, "   listener ", ListenerName(l), ": ");
      if (l.verdict() == pb::PROBE_VERDICT_UNSPECIFIED) {
        absl::StrAppend(&out, Dash(l.note()), "\n");
        continue;
      }
      absl::StrAppend(&out, VerdictName(l.verdict()), " from ",
                      Dash(l.untrusted().source_address()));
      std::vector<std::string> parts;
      if (l.verdict() != pb::PROBE_VERDICT_REFUSED) parts = DetailParts(l.untrusted().detail());
      if (!parts.empty()) absl::StrAppend(&out, " (", parts.front(), ")");
      absl::StrAppend(&out, "\n");
      for (size_t i = 1; i < parts.size(); ++i) absl::StrAppend(&out, "     ", parts[i], "\n");
    }
    for (const std::string& warning : c.warnings()) {
      absl::StrAppend(&out, "   warning: ", warning, "\n");
    }
    for (const pb::ChangedFile& f : c.changed_files()) {
      absl::StrAppend(&out, "   file ", f.path(), " (modified ", IsoUtc(f.modified_at()), ")\n");
      Indented(&out, f.diff(), "   | ");
    }
    if (!EnforcementWord(c).empty()) {
      absl::StrAppend(&out, "   enforcement ", EnforcementWord(c));
      if (commits) {
        absl::StrAppend(&out, ": backup ", Dash(e.backup_commit()), " -> result ",
                        Dash(e.result_commit()));
      }
      if (!e.error().empty()) {
        absl::StrAppend(&out, " (", e.phase().empty() ? "" : absl::StrCat(e.phase(), ": "),
                        e.error(), ")");
      }
      absl::StrAppend(&out, "\n");
    }
  }
  return out;
}

std::string ComplianceHistoryTable(const pb::ComplianceResponse& r) {
  Table t({{"CHECKED", 20}, {"HOST", 24}, {"STATUS", 13}, {"ENFORCEMENT", 15}, {"SUMMARY"}});
  std::string seen;  // the evidence of each relay the log monitor saw, with all its lines
  for (const pb::ComplianceCheck& c : r.history()) {
    const pb::ComplianceReport& rep = c.report();
    t.AddRow({IsoUtc(rep.checked_at()), c.host(), StatusWord(rep), Dash(EnforcementWord(rep)),
              rep.summary().empty() ? Dash(rep.error()) : rep.summary()});
    if (rep.has_relay_seen()) {
      absl::StrAppend(&seen, RelaySeenText(c.host(), rep.relay_seen()));
      for (int i = 1; i < rep.relay_seen().lines_size(); ++i) {
        absl::StrAppend(&seen, "  | ", rep.relay_seen().lines(i), "\n");
      }
    }
  }
  return t.Render() + seen;
}

std::string ComplianceJson(const pb::ComplianceResponse& r) { return ProtoJson(r); }

std::string ComplianceCsv(const pb::ComplianceResponse& r) {
  std::string out = CsvRecord({"host", "status", "online", "last_seen", "policy", "version",
                               "mode", "checked_at", "enforcement", "summary", "error"});
  for (const pb::HostCompliance& h : r.hosts()) {
    const pb::ComplianceReport& c = h.last().report();  // empty when !has_last
    const bool last = h.has_last();
    absl::StrAppend(&out, CsvRecord({h.host(), HostStatusWord(h), h.online() ? "true" : "false",
                                     h.last_seen() == 0 ? "" : IsoUtc(h.last_seen()),
                                     c.policy_name(), last ? absl::StrCat(c.policy_version()) : "",
                                     ModeWord(c), last ? IsoUtc(c.checked_at()) : "",
                                     EnforcementWord(c), c.summary(), c.error()}));
  }
  return out;
}

std::string ComplianceHistoryCsv(const pb::ComplianceResponse& r) {
  std::string out = CsvRecord({"host", "seq", "checked_at", "received_at", "status", "policy",
                               "version", "mode", "enforcement", "summary", "error"});
  for (const pb::ComplianceCheck& ch : r.history()) {
    const pb::ComplianceReport& c = ch.report();
    absl::StrAppend(&out, CsvRecord({ch.host(), absl::StrCat(c.seq()), IsoUtc(c.checked_at()),
                                     IsoUtc(ch.received_at()), StatusWord(c), c.policy_name(),
                                     absl::StrCat(c.policy_version()), ModeWord(c),
                                     EnforcementWord(c), c.summary(), c.error()}));
  }
  return out;
}

int ComplianceExitCode(const pb::ComplianceResponse& r) {
  bool problem = false, unknown = false;
  for (const pb::HostCompliance& h : r.hosts()) {
    if (h.status() == pb::FLEET_HOST_STATUS_COMPLIANT) continue;
    if (Problem(h.status()) || (h.has_last() && Problem(h.last().report().status()))) {
      problem = true;
    } else {
      unknown = true;
    }
  }
  return problem ? 4 : unknown ? 5 : 0;
}

}  // namespace relayguard::controller
