#include "controller/cli/compliance_output.h"

#include <ctime>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/json_writer.h"
#include "common/csv.h"

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

const char* OutcomeName(pb::ApplyResult::Outcome o) {
  switch (o) {
    case pb::ApplyResult::OUTCOME_APPLIED: return "applied";
    case pb::ApplyResult::OUTCOME_UNCHANGED: return "unchanged";
    case pb::ApplyResult::OUTCOME_ROLLED_BACK: return "rolled-back";
    case pb::ApplyResult::OUTCOME_REFUSED: return "refused";
    case pb::ApplyResult::OUTCOME_ROLLBACK_FAILED: return "rollback-failed";
    case pb::ApplyResult::OUTCOME_RESTORED: return "restored";
    default: return "";
  }
}

bool Problem(const std::string& status) {
  return status == "drifted" || status == "relay-open" || status == "inconclusive" ||
         status == "error";
}

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

const char* TlsName(pb::ListenerTls t) {
  return t == pb::LISTENER_TLS_IMPLICIT ? "implicit-tls" : "plain";
}

const char* RoleName(pb::ListenerRole r) {
  return r == pb::LISTENER_ROLE_SUBMISSION ? "submission" : "relay";
}

// The first of a probe's "trick: detail; " parts, and how many more there are: the whole list
// is in --json.
std::string FirstOfDetails(const std::string& details) {
  std::vector<absl::string_view> parts = absl::StrSplit(details, "; ", absl::SkipWhitespace());
  if (parts.empty()) return "";
  std::string out(parts.front());
  if (parts.size() > 1) absl::StrAppend(&out, "; and ", parts.size() - 1, " more");
  return out;
}

// "127.0.0.1:2525 (smtp, /etc/postfix/master.cf:12, implicit TLS, internal)"
std::string ListenerName(const pb::ListenerResult& l) {
  std::string name = absl::StrCat(l.address(), " (", l.service());
  if (!l.declared_at().empty()) absl::StrAppend(&name, ", ", l.declared_at());
  if (l.tls() == pb::LISTENER_TLS_IMPLICIT) absl::StrAppend(&name, ", implicit TLS");
  if (l.internal()) absl::StrAppend(&name, ", internal");
  return name + ")";
}

void ListenersJson(JsonWriter& w,
                   const google::protobuf::RepeatedPtrField<pb::ListenerResult>& ls) {
  w.BeginArray();
  for (const pb::ListenerResult& l : ls) {
    w.BeginObject().Key("address").String(l.address()).Key("bind").String(l.bind());
    w.Key("tls").String(TlsName(l.tls())).Key("role").String(RoleName(l.role()));
    w.Key("service").String(l.service()).Key("declared_at").String(l.declared_at());
    w.Key("internal").Bool(l.internal()).Key("verdict");
    if (l.verdict() == pb::PROBE_VERDICT_UNSPECIFIED) {
      w.Null();
    } else {
      w.String(VerdictName(l.verdict()));
    }
    w.Key("note").String(l.note()).Key("detail").String(l.untrusted().detail()).EndObject();
  }
  w.EndArray();
}

void CheckJson(JsonWriter& w, const pb::ComplianceCheck& c) {
  const pb::ComplianceReport& r = c.report();
  w.BeginObject().Key("host").String(c.host()).Key("seq").Int(static_cast<int64_t>(r.seq()));
  w.Key("checked_at").Int(r.checked_at()).Key("received_at").Int(c.received_at());
  w.Key("policy").String(r.policy_name());
  w.Key("version").Int(static_cast<int64_t>(r.policy_version()));
  w.Key("mode").String(r.mode()).Key("status").String(r.status());
  w.Key("summary").String(r.summary()).Key("error").String(r.error());
  w.Key("settings").BeginArray();
  for (const pb::SettingDrift& s : r.settings()) {
    w.BeginObject().Key("setting").String(s.setting()).Key("effective").String(s.effective());
    w.Key("desired").String(s.desired()).Key("listener").String(s.listener());
    w.Key("where").String(s.where()).Key("unproven").Bool(s.unproven()).EndObject();
  }
  w.EndArray().Key("listeners");
  ListenersJson(w, r.listeners());
  w.Key("warnings").BeginArray();
  for (const std::string& warning : r.warnings()) w.String(warning);
  w.EndArray().Key("changed_files").BeginArray();
  for (const pb::ChangedFile& f : r.changed_files()) {
    w.BeginObject().Key("path").String(f.path()).Key("modified_at").Int(f.modified_at());
    w.Key("diff").String(f.diff()).EndObject();
  }
  w.EndArray().Key("probe").BeginObject();
  w.Key("source_address").String(r.probe().source_address());
  w.Key("verdict").String(VerdictName(r.probe().verdict()));
  w.Key("detail").String(r.probe().detail()).Key("exchanges").BeginArray();
  for (const pb::ProbeExchange& e : r.probe().exchanges()) {
    w.BeginObject().Key("command").String(e.command()).Key("reply").String(e.reply()).EndObject();
  }
  w.EndArray().EndObject();
  const pb::ApplyResult& e = r.enforce_result();
  w.Key("enforcement").String(r.enforcement());
  w.Key("next_window_at").Int(r.next_window_at());
  w.Key("enforce_result").BeginObject().Key("outcome").String(OutcomeName(e.outcome()));
  w.Key("phase").String(e.phase()).Key("error").String(e.error()).Key("diff").String(e.diff());
  w.Key("backup_commit").String(e.backup_commit());
  w.Key("result_commit").String(e.result_commit()).EndObject();
  w.EndObject();
}

}  // namespace

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
  constexpr char kRow[] = "%-24s %-13s %-22s %-7s %-35s %-15s %s\n";
  std::string out = absl::StrFormat(kRow, "HOST", "STATUS", "POLICY", "MODE", "LAST-CHECKED",
                                    "ENFORCEMENT", "SUMMARY");
  for (const pb::HostCompliance& h : r.hosts()) {
    if (!h.has_last()) {
      absl::StrAppend(&out, absl::StrFormat(kRow, h.host(), h.status(), "-", "-", "-", "-", "-"));
      continue;
    }
    const pb::ComplianceReport& c = h.last().report();
    std::string checked = absl::StrCat(IsoUtc(c.checked_at()), " (", Ago(c.checked_at(), now), ")");
    std::string summary = c.summary().empty() ? Dash(c.error()) : c.summary();
    absl::StrAppend(&out, absl::StrFormat(kRow, h.host(), h.status(), PolicyText(c),
                                          Dash(c.mode()), checked, Dash(c.enforcement()),
                                          summary));
  }
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
    absl::StrAppend(&out, "== ", h.host(), "  ", c.status(), "  ", PolicyText(c), "  checked ",
                    IsoUtc(c.checked_at()), "\n");
    if (!c.summary().empty()) absl::StrAppend(&out, "   ", c.summary(), "\n");
    if (!c.error().empty()) absl::StrAppend(&out, "   error: ", c.error(), "\n");
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
      if (l.verdict() != pb::PROBE_VERDICT_REFUSED && !l.untrusted().detail().empty()) {
        absl::StrAppend(&out, " (", FirstOfDetails(l.untrusted().detail()), ")");
      }
      absl::StrAppend(&out, "\n");
    }
    for (const std::string& warning : c.warnings()) {
      absl::StrAppend(&out, "   warning: ", warning, "\n");
    }
    for (const pb::ChangedFile& f : c.changed_files()) {
      absl::StrAppend(&out, "   file ", f.path(), " (modified ", IsoUtc(f.modified_at()), ")\n");
      Indented(&out, f.diff(), "   | ");
    }
    if (!c.enforcement().empty()) {
      absl::StrAppend(&out, "   enforcement ", c.enforcement());
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
  constexpr char kRow[] = "%-20s %-24s %-13s %-15s %s\n";
  std::string out =
      absl::StrFormat(kRow, "CHECKED", "HOST", "STATUS", "ENFORCEMENT", "SUMMARY");
  for (const pb::ComplianceCheck& c : r.history()) {
    const pb::ComplianceReport& rep = c.report();
    absl::StrAppend(&out, absl::StrFormat(kRow, IsoUtc(rep.checked_at()), c.host(), rep.status(),
                                          Dash(rep.enforcement()),
                                          rep.summary().empty() ? Dash(rep.error())
                                                                : rep.summary()));
  }
  return out;
}

std::string ComplianceJson(const pb::ComplianceResponse& r) {
  JsonWriter w;
  w.BeginObject().Key("compliant").Int(r.compliant()).Key("total").Int(r.total());
  w.Key("percent");
  if (r.total() > 0) {
    w.Double(100.0 * r.compliant() / r.total());
  } else {
    w.Null();
  }
  w.Key("holds").BeginArray();
  for (const std::string& hold : r.holds()) w.String(hold);
  w.EndArray().Key("hosts").BeginArray();
  for (const pb::HostCompliance& h : r.hosts()) {
    w.BeginObject().Key("host").String(h.host()).Key("status").String(h.status());
    w.Key("online").Bool(h.online()).Key("last_seen").Int(h.last_seen()).Key("last");
    if (h.has_last()) {
      CheckJson(w, h.last());
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndArray().Key("history").BeginArray();
  for (const pb::ComplianceCheck& c : r.history()) CheckJson(w, c);
  w.EndArray().EndObject();
  return w.str() + "\n";
}

std::string ComplianceCsv(const pb::ComplianceResponse& r) {
  std::string out = CsvRecord({"host", "status", "online", "last_seen", "policy", "version",
                               "mode", "checked_at", "enforcement", "summary", "error"});
  for (const pb::HostCompliance& h : r.hosts()) {
    const pb::ComplianceReport& c = h.last().report();  // empty when !has_last
    const bool last = h.has_last();
    absl::StrAppend(
        &out, CsvRecord({h.host(), h.status(), h.online() ? "true" : "false",
                         h.last_seen() == 0 ? "" : IsoUtc(h.last_seen()), c.policy_name(),
                         last ? absl::StrCat(c.policy_version()) : "", c.mode(),
                         last ? IsoUtc(c.checked_at()) : "", c.enforcement(), c.summary(),
                         c.error()}));
  }
  return out;
}

std::string ComplianceHistoryCsv(const pb::ComplianceResponse& r) {
  std::string out = CsvRecord({"host", "seq", "checked_at", "received_at", "status", "policy",
                               "version", "mode", "enforcement", "summary", "error"});
  for (const pb::ComplianceCheck& ch : r.history()) {
    const pb::ComplianceReport& c = ch.report();
    absl::StrAppend(&out, CsvRecord({ch.host(), absl::StrCat(c.seq()), IsoUtc(c.checked_at()),
                                     IsoUtc(ch.received_at()), c.status(), c.policy_name(),
                                     absl::StrCat(c.policy_version()), c.mode(), c.enforcement(),
                                     c.summary(), c.error()}));
  }
  return out;
}

int ComplianceExitCode(const pb::ComplianceResponse& r) {
  bool problem = false, unknown = false;
  for (const pb::HostCompliance& h : r.hosts()) {
    if (h.status() == "compliant") continue;
    if (Problem(h.status()) || (h.has_last() && Problem(h.last().report().status()))) {
      problem = true;
    } else {
      unknown = true;
    }
  }
  return problem ? 4 : unknown ? 5 : 0;
}

}  // namespace relayguard::controller
