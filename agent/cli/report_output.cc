#include "agent/cli/report_output.h"

#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "agent/apply/commit_record.h"

namespace relayguard::agent {
namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string LocalTime(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string Indent(absl::string_view text, absl::string_view prefix) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!line.empty()) absl::StrAppend(&out, prefix, line, "\n");
  }
  return out;
}

// "every listener (3: 127.0.0.1:2525, 127.0.0.1:2526, 127.0.0.1:4465)"; internal ones apart.
std::string Probed(const std::vector<ListenerResult>& listeners) {
  std::vector<std::string> probed;
  size_t internal = 0;
  for (const ListenerResult& l : listeners) {
    if (l.listener.internal) {
      ++internal;
    } else {
      probed.push_back(l.listener.endpoint.ToString());
    }
  }
  std::string out = absl::StrCat(probed.size() == 1 ? "its only listener" : "every listener", " (",
                                 probed.size(), ": ", absl::StrJoin(probed, ", "), ")");
  if (internal > 0) absl::StrAppend(&out, "; ", internal, " internal not probed");
  return out;
}

const char* WhatVerdictMeans(ProbeVerdict v) {
  switch (v) {
    case ProbeVerdict::kRelayAccepted:
      return "RELAYS for";
    case ProbeVerdict::kRefused:
      return "refused relaying from";
    case ProbeVerdict::kInconclusive:
      return "INCONCLUSIVE from";
  }
  return "?";
}

std::string Headline(const TransactionReport& r) {
  std::string what = r.action == "apply"
                         ? absl::StrCat("policy ", r.policy, " v", r.version)
                         : r.policy.empty() ? "(no target)" : r.policy;
  switch (r.outcome) {
    case Outcome::kApplied:
      return absl::StrCat("APPLIED ", what, ": relay closed and verified on ", Probed(r.listeners));
    case Outcome::kUnchanged:
      return absl::StrCat("UNCHANGED ", what, ": nothing to change, nothing reloaded");
    case Outcome::kDryRun:
      return absl::StrCat("DRY RUN ", what, ": this diff would be applied; nothing was touched");
    case Outcome::kRefused:
      return absl::StrCat("REFUSED ", r.action, " ", what, " in phase ", r.failed_phase,
                          ": nothing was changed");
    case Outcome::kRolledBack:
      return absl::StrCat("ROLLED BACK ", what, ": phase ", r.failed_phase,
                          " failed; every file restored from ", r.backup_commit.substr(0, 10));
    case Outcome::kRestored:
      return r.action == "recovery"
                 ? absl::StrCat("RECOVERED: restored ", r.backup_commit.substr(0, 10),
                                " after an interrupted change (", r.policy, ")")
                 : absl::StrCat("ROLLED BACK to ", what);
    case Outcome::kRollbackFailed:
      return absl::StrCat("FAILED ", r.action, " ", what, " in phase ", r.failed_phase,
                          " AND RESTORING FAILED: the host needs attention");
  }
  return "?";
}

}  // namespace

std::string HumanProbe(const std::string& title, const ProbeReport& report) {
  std::string out = absl::StrCat(title, " ", report.source.ToString(), " -> ",
                                 report.endpoint.ToString(), ": ",
                                 Upper(ProbeVerdictName(report.verdict)), "\n");
  for (const RelayTestResult& t : report.tests) {
    absl::StrAppend(&out, "    ", t.test.name, t.tls ? " (after STARTTLS)" : "", ": ",
                    ProbeVerdictName(t.verdict));
    // The exchange that decided the verdict: RCPT if it got that far, else the last one before
    // RSET/QUIT.
    const SmtpExchange* deciding = nullptr;
    for (const SmtpExchange& e : t.exchanges) {
      if (e.command == "RSET" || e.command == "QUIT") continue;
      deciding = &e;
      if (e.command.rfind("RCPT", 0) == 0) break;
    }
    if (deciding != nullptr) {
      absl::StrAppend(&out, "  (", deciding->command, " -> ",
                      absl::StrReplaceAll(deciding->reply, {{"\n", " | "}}), ")");
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

std::string HumanListeners(const std::vector<ListenerResult>& listeners,
                           const std::string& indent) {
  std::string out;
  for (const ListenerResult& r : listeners) {
    absl::StrAppend(&out, indent, "listener ", r.listener.Name(), ": ");
    if (r.listener.internal || !r.untrusted) {
      const bool unproven = !r.listener.internal && !r.note.empty();
      absl::StrAppend(&out, unproven ? "INCONCLUSIVE: " : "",
                      r.note.empty() ? "not probed" : r.note, "\n");
      continue;
    }
    absl::StrAppend(&out, WhatVerdictMeans(r.verdict), " ", r.untrusted->source.ToString(),
                    r.listener.role == ListenerRole::kSubmission ? " (submission)" : "");
    if (r.trusted) {
      absl::StrAppend(&out, "; trusted ", r.trusted->source.ToString(), ": ",
                      ProbeVerdictName(r.trusted->verdict));
    }
    if (!r.note.empty()) absl::StrAppend(&out, "; ", r.note);
    absl::StrAppend(&out, "\n");
    absl::StrAppend(&out, indent, "  ", HumanProbe("probe from untrusted", *r.untrusted));
    if (r.trusted)
      absl::StrAppend(&out, indent, "  ", HumanProbe("smoke test from trusted", *r.trusted));
  }
  return out;
}

void WriteListenersJson(JsonWriter& json, const std::vector<ListenerResult>& listeners) {
  json.BeginArray();
  for (const ListenerResult& r : listeners) {
    const Listener& l = r.listener;
    json.BeginObject().Key("address").String(l.endpoint.ToString()).Key("bind").String(l.bind);
    json.Key("tls").String(ListenerTlsName(l.tls)).Key("role").String(ListenerRoleName(l.role));
    json.Key("service").String(l.service).Key("declared_at").String(l.declared_at);
    json.Key("internal").Bool(l.internal).Key("verdict");
    if (r.untrusted)
      json.String(ProbeVerdictName(r.verdict));
    else
      json.Null();
    json.Key("note").String(r.note).Key("untrusted_probe");
    if (r.untrusted)
      WriteProbeJson(json, *r.untrusted);
    else
      json.Null();
    json.Key("trusted_probe");
    if (r.trusted)
      WriteProbeJson(json, *r.trusted);
    else
      json.Null();
    json.EndObject();
  }
  json.EndArray();
}

void WriteProbeJson(JsonWriter& json, const ProbeReport& report) {
  json.BeginObject().Key("endpoint").String(report.endpoint.ToString());
  json.Key("source").String(report.source.ToString());
  json.Key("verdict").String(ProbeVerdictName(report.verdict));
  json.Key("tests").BeginArray();
  for (const RelayTestResult& t : report.tests) {
    json.BeginObject().Key("name").String(t.test.name).Key("mail_from").String(t.test.mail_from);
    json.Key("rcpt_to").String(t.test.rcpt_to).Key("verdict").String(ProbeVerdictName(t.verdict));
    json.Key("detail").String(t.detail).Key("tls").Bool(t.tls);
    if (t.tls) json.Key("tls_session").String(t.tls_session.ToString());
    json.Key("exchanges").BeginArray();
    for (const SmtpExchange& e : t.exchanges) {
      json.BeginObject().Key("command").String(e.command).Key("code").Int(e.code);
      json.Key("reply").String(e.reply).EndObject();
    }
    json.EndArray().EndObject();
  }
  json.EndArray().EndObject();
}

std::string HumanTransaction(const TransactionReport& r) {
  std::string out = absl::StrCat(Headline(r), "\n");
  if (!r.error.empty()) absl::StrAppend(&out, "  reason: ", r.error, "\n");
  for (const std::string& w : r.warnings) absl::StrAppend(&out, "  warning: ", w, "\n");
  for (const std::string& k : r.kept) absl::StrAppend(&out, "  kept: ", k, "\n");
  if (!r.changed_settings.empty()) {
    absl::StrAppend(&out, "  settings: ", absl::StrJoin(r.changed_settings, ", "), "\n");
  }
  if (!r.diff.empty() && r.outcome != Outcome::kUnchanged) {
    absl::StrAppend(&out, Indent(r.diff, "  | "));
  }
  if (r.reloaded) absl::StrAppend(&out, "  ", r.mta, r.restarted ? " restarted\n" : " reloaded\n");
  absl::StrAppend(&out, HumanListeners(r.listeners, "  "));
  if (!r.backup_commit.empty()) absl::StrAppend(&out, "  backup commit: ", r.backup_commit, "\n");
  if (!r.result_commit.empty()) absl::StrAppend(&out, "  result commit: ", r.result_commit, "\n");
  return out;
}

std::string JsonTransaction(const TransactionReport& r) {
  JsonWriter json;
  json.BeginObject().Key("action").String(r.action).Key("outcome").String(OutcomeName(r.outcome));
  json.Key("failed_phase").String(r.failed_phase).Key("error").String(r.error);
  json.Key("policy").String(r.policy).Key("version").Int(static_cast<int64_t>(r.version));
  json.Key("mta").String(r.mta).Key("mta_version").String(r.mta_version);
  json.Key("diff").String(r.diff);
  json.Key("changed_settings").BeginArray();
  for (const std::string& s : r.changed_settings) json.String(s);
  json.EndArray().Key("warnings").BeginArray();
  for (const std::string& s : r.warnings) json.String(s);
  json.EndArray().Key("kept").BeginArray();
  for (const std::string& s : r.kept) json.String(s);
  json.EndArray();
  json.Key("backup_commit").String(r.backup_commit).Key("result_commit").String(r.result_commit);
  json.Key("reloaded").Bool(r.reloaded).Key("restarted").Bool(r.restarted);
  json.Key("listeners");
  WriteListenersJson(json, r.listeners);
  json.Key("timings_ms").BeginObject();
  for (const PhaseTiming& t : r.timings) json.Key(t.phase).Double(t.milliseconds);
  json.EndObject().EndObject();
  return json.str() + "\n";
}

void WriteDriftJson(JsonWriter& json, const SettingDrift& d) {
  json.BeginObject().Key("setting").String(d.setting).Key("effective").String(d.effective);
  json.Key("desired").String(d.desired).Key("listener").String(d.listener);
  json.Key("where").String(d.where).Key("unproven").Bool(d.unproven).EndObject();
}

std::string HumanStatus(const StatusReport& s) {
  std::string out =
      absl::StrCat(s.mta, " ", s.mta_version, " (", s.config_dir, "), ", s.listeners.size(),
                   " listener(s): ", s.running ? "running" : "NOT RUNNING", "\n");
  for (const std::string& w : s.warnings) absl::StrAppend(&out, "warning: ", w, "\n");
  absl::StrAppend(&out, HumanListeners(s.listeners, ""));
  if (!s.policy.empty()) {
    absl::StrAppend(&out, "policy ", s.policy, " v", s.version, ": ",
                    s.compliant ? "COMPLIANT" : "NOT COMPLIANT", "\n");
    for (const SettingDrift& d : s.drift) absl::StrAppend(&out, "    ", DriftText(d), "\n");
  }
  if (!s.error.empty()) absl::StrAppend(&out, "error: ", s.error, "\n");
  if (s.last_commit) {
    absl::StrAppend(&out, "last backup commit: ", s.last_commit->id.substr(0, 10), " ",
                    LocalTime(s.last_commit->time), " ", s.last_commit->summary, "\n");
  }
  return out;
}

std::string JsonStatus(const StatusReport& s) {
  JsonWriter json;
  json.BeginObject().Key("mta").String(s.mta).Key("mta_version").String(s.mta_version);
  json.Key("config_dir").String(s.config_dir);
  json.Key("running").Bool(s.running).Key("listeners");
  WriteListenersJson(json, s.listeners);
  json.Key("warnings").BeginArray();
  for (const std::string& w : s.warnings) json.String(w);
  json.EndArray();
  json.Key("policy").String(s.policy).Key("version").Int(static_cast<int64_t>(s.version));
  json.Key("compliant").Bool(s.compliant).Key("drift").BeginArray();
  for (const SettingDrift& d : s.drift) WriteDriftJson(json, d);
  json.EndArray().Key("error").String(s.error);
  json.Key("last_commit");
  if (s.last_commit) json.String(s.last_commit->id); else json.Null();
  json.EndObject();
  return json.str() + "\n";
}

std::string HumanHistory(const std::vector<CommitInfo>& commits) {
  if (commits.empty()) return "no backup commits yet\n";
  std::string out;
  for (const CommitInfo& c : commits) {
    absl::StrAppend(&out, c.id.substr(0, 10), "  ", LocalTime(c.time), "  ", c.summary);
    absl::StatusOr<CommitRecord> record = CommitRecord::FromTrailers(c.id, c.trailers);
    if (record.ok() && record->HasOutcome()) {
      absl::StrAppend(&out, "  [", CommitOutcomeName(record->outcome), "]");
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

std::string JsonHistory(const std::vector<CommitInfo>& commits) {
  JsonWriter json;
  json.BeginArray();
  for (const CommitInfo& c : commits) {
    json.BeginObject().Key("id").String(c.id).Key("time").Int(c.time);
    json.Key("summary").String(c.summary).Key("trailers").BeginObject();
    for (const auto& [k, v] : c.trailers) json.Key(k).String(v);
    json.EndObject().EndObject();
  }
  json.EndArray();
  return json.str() + "\n";
}

}  // namespace relayguard::agent

namespace relayguard::agent {

std::string HumanCompliance(const ComplianceResult& r) {
  std::string out = absl::StrCat("compliance of policy ", r.policy, " v", r.version, " (",
                                 ComplianceModeName(r.mode), ") at ", LocalTime(r.checked_at),
                                 ": ", Upper(r.status), "\n  ", r.summary, "\n");
  for (const std::string& w : r.warnings) absl::StrAppend(&out, "  warning: ", w, "\n");
  absl::StrAppend(&out, HumanListeners(r.listeners, "  "));
  for (const SettingDrift& d : r.settings) absl::StrAppend(&out, "  setting ", DriftText(d), "\n");
  for (const ChangedFile& f : r.changed_files) {
    absl::StrAppend(&out, "  changed since the last backup: ", f.path, " (modified ",
                    f.modified_at ? LocalTime(f.modified_at) : "-", ")\n", Indent(f.diff, "    "));
  }
  if (!r.enforcement.empty()) absl::StrAppend(&out, "  enforcement: ", r.enforcement, "\n");
  if (r.enforce_report) absl::StrAppend(&out, Indent(HumanTransaction(*r.enforce_report), "    "));
  if (!r.error.empty()) absl::StrAppend(&out, "  error: ", r.error, "\n");
  return out;
}

std::string JsonCompliance(const ComplianceResult& r) {
  JsonWriter json;
  json.BeginObject().Key("policy").String(r.policy).Key("version").Int(static_cast<int64_t>(r.version));
  json.Key("mode").String(ComplianceModeName(r.mode)).Key("status").String(r.status);
  json.Key("checked_at").Int(r.checked_at).Key("summary").String(r.summary);
  json.Key("verdict").String(ProbeVerdictName(r.verdict));
  json.Key("settings").BeginArray();
  for (const SettingDrift& d : r.settings) WriteDriftJson(json, d);
  json.EndArray().Key("listeners");
  WriteListenersJson(json, r.listeners);
  json.Key("warnings").BeginArray();
  for (const std::string& w : r.warnings) json.String(w);
  json.EndArray();
  json.Key("changed_files").BeginArray();
  for (const ChangedFile& f : r.changed_files) {
    json.BeginObject().Key("path").String(f.path).Key("modified_at").Int(f.modified_at);
    json.Key("diff").String(f.diff).EndObject();
  }
  json.EndArray().Key("enforcement").String(r.enforcement).Key("next_window_at").Int(r.next_window_at);
  json.Key("backup_commit").String(r.enforce_report ? r.enforce_report->backup_commit : "");
  json.Key("result_commit").String(r.enforce_report ? r.enforce_report->result_commit : "");
  json.Key("error").String(r.error).EndObject();
  return json.str() + "\n";
}

}  // namespace relayguard::agent
