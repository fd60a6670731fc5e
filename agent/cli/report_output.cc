#include "agent/cli/report_output.h"

#include <cmath>
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

std::string HumanAuth(const AuthProbeReport& report) {
  auto mechs = [](const std::vector<std::string>& m) {
    return m.empty() ? std::string("not offered") : absl::StrJoin(m, " ");
  };
  std::string out = absl::StrCat("SMTP AUTH on ", report.endpoint.ToString(),
                                 ": plaintext: ", mechs(report.mechanisms_plain));
  if (report.starttls_offered || !report.mechanisms_tls.empty()) {
    absl::StrAppend(&out, "; after TLS: ", mechs(report.mechanisms_tls));
  }
  if (report.inconclusive) absl::StrAppend(&out, "; INCONCLUSIVE: ", report.error);
  absl::StrAppend(&out, "\n");
  auto attempt = [&out](const AuthAttempt& a) {
    absl::StrAppend(&out, "    ", a.name, a.tls ? " (after STARTTLS)" : "", ": ",
                    a.authenticated ? "authenticated" : "refused",
                    a.relayed ? ", relayed" : ", did not relay");
    if (!a.detail.empty()) absl::StrAppend(&out, " (", a.detail, ")");
    absl::StrAppend(&out, "\n");
  };
  if (report.smoke) attempt(*report.smoke);
  for (const AuthAttempt& a : report.bogus) attempt(a);
  return out;
}

Json AuthJson(const AuthProbeReport& report) {
  auto attempt = [](const AuthAttempt& a) {
    Json exchanges = Json::array();
    for (const SmtpExchange& e : a.exchanges) {
      exchanges.push_back({{"command", e.command}, {"code", e.code}, {"reply", e.reply}});
    }
    return Json{{"name", a.name},         {"authenticated", a.authenticated},
                {"relayed", a.relayed},   {"tls", a.tls},
                {"detail", a.detail},     {"exchanges", std::move(exchanges)}};
  };
  Json bogus = Json::array();
  for (const AuthAttempt& a : report.bogus) bogus.push_back(attempt(a));
  return {{"endpoint", report.endpoint.ToString()},
          {"mechanisms_plain", report.mechanisms_plain},
          {"mechanisms_tls", report.mechanisms_tls},
          {"starttls_offered", report.starttls_offered},
          {"smoke", report.smoke ? attempt(*report.smoke) : Json()},
          {"bogus", std::move(bogus)},
          {"inconclusive", report.inconclusive},
          {"error", report.error}};
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
    if (r.auth) absl::StrAppend(&out, indent, "  ", HumanAuth(*r.auth));
  }
  return out;
}

Json ListenersJson(const std::vector<ListenerResult>& listeners) {
  Json out = Json::array();
  for (const ListenerResult& r : listeners) {
    const Listener& l = r.listener;
    out.push_back({{"address", l.endpoint.ToString()},
                   {"bind", l.bind},
                   {"tls", ListenerTlsName(l.tls)},
                   {"role", ListenerRoleName(l.role)},
                   {"service", l.service},
                   {"declared_at", l.declared_at},
                   {"internal", l.internal},
                   {"verdict", r.untrusted ? Json(ProbeVerdictName(r.verdict)) : Json()},
                   {"note", r.note},
                   {"untrusted_probe", r.untrusted ? ProbeJson(*r.untrusted) : Json()},
                   {"trusted_probe", r.trusted ? ProbeJson(*r.trusted) : Json()},
                   {"auth", r.auth ? AuthJson(*r.auth) : Json()}});
  }
  return out;
}

Json ProbeJson(const ProbeReport& report) {
  Json tests = Json::array();
  for (const RelayTestResult& t : report.tests) {
    Json test = {{"name", t.test.name},           {"mail_from", t.test.mail_from},
                 {"rcpt_to", t.test.rcpt_to},     {"verdict", ProbeVerdictName(t.verdict)},
                 {"detail", t.detail},            {"tls", t.tls}};
    if (t.tls) test["tls_session"] = t.tls_session.ToString();
    Json exchanges = Json::array();
    for (const SmtpExchange& e : t.exchanges) {
      exchanges.push_back({{"command", e.command}, {"code", e.code}, {"reply", e.reply}});
    }
    test["exchanges"] = std::move(exchanges);
    tests.push_back(std::move(test));
  }
  return {{"endpoint", report.endpoint.ToString()},
          {"source", report.source.ToString()},
          {"verdict", ProbeVerdictName(report.verdict)},
          {"tests", std::move(tests)}};
}

std::string JsonText(const Json& json) {
  // Replies are the servers' bytes: invalid UTF-8 becomes U+FFFD instead of an exception.
  return json.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
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
  if (!r.auth_backend.empty()) absl::StrAppend(&out, "  SASL backend: ", r.auth_backend, "\n");
  if (r.reloaded) absl::StrAppend(&out, "  ", r.mta, r.restarted ? " restarted\n" : " reloaded\n");
  absl::StrAppend(&out, HumanListeners(r.listeners, "  "));
  if (!r.backup_commit.empty()) absl::StrAppend(&out, "  backup commit: ", r.backup_commit, "\n");
  if (!r.result_commit.empty()) absl::StrAppend(&out, "  result commit: ", r.result_commit, "\n");
  return out;
}

std::string JsonTransaction(const TransactionReport& r) {
  Json timings = Json::object();
  // Milliseconds to the microsecond: more digits would only be noise.
  for (const PhaseTiming& t : r.timings) {
    timings[t.phase] = std::round(t.milliseconds * 1000) / 1000;
  }
  return JsonText({{"action", r.action},
                   {"outcome", ApplyOutcomeName(r.outcome)},
                   {"failed_phase", r.failed_phase},
                   {"error", r.error},
                   {"policy", r.policy},
                   {"version", r.version},
                   {"mta", r.mta},
                   {"mta_version", r.mta_version},
                   {"diff", r.diff},
                   {"changed_settings", r.changed_settings},
                   {"warnings", r.warnings},
                   {"kept", r.kept},
                   {"backup_commit", r.backup_commit},
                   {"result_commit", r.result_commit},
                   {"reloaded", r.reloaded},
                   {"restarted", r.restarted},
                   {"auth_backend", r.auth_backend},
                   {"listeners", ListenersJson(r.listeners)},
                   {"timings_ms", std::move(timings)}});
}

Json DriftJson(const SettingDrift& d) {
  return {{"setting", d.setting},   {"effective", d.effective}, {"desired", d.desired},
          {"listener", d.listener}, {"where", d.where},         {"unproven", d.unproven}};
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
  Json drift = Json::array();
  for (const SettingDrift& d : s.drift) drift.push_back(DriftJson(d));
  return JsonText({{"mta", s.mta},
                   {"mta_version", s.mta_version},
                   {"config_dir", s.config_dir},
                   {"running", s.running},
                   {"listeners", ListenersJson(s.listeners)},
                   {"warnings", s.warnings},
                   {"policy", s.policy},
                   {"version", s.version},
                   {"compliant", s.compliant},
                   {"drift", std::move(drift)},
                   {"error", s.error},
                   {"last_commit", s.last_commit ? Json(s.last_commit->id) : Json()}});
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
  Json out = Json::array();
  for (const CommitInfo& c : commits) {
    Json trailers = Json::object();
    for (const auto& [k, v] : c.trailers) trailers[k] = v;
    out.push_back({{"id", c.id}, {"time", c.time}, {"summary", c.summary},
                   {"trailers", std::move(trailers)}});
  }
  return JsonText(out);
}

}  // namespace relayguard::agent

namespace relayguard::agent {

std::string HumanCompliance(const ComplianceResult& r) {
  std::string out = absl::StrCat("compliance of policy ", r.policy, " v", r.version, " (",
                                 ComplianceModeName(r.mode), ") at ", LocalTime(r.checked_at), ": ",
                                 Upper(ComplianceStatusName(r.status)), "\n  ", r.summary, "\n");
  for (const std::string& w : r.warnings) absl::StrAppend(&out, "  warning: ", w, "\n");
  absl::StrAppend(&out, HumanListeners(r.listeners, "  "));
  for (const SettingDrift& d : r.settings) absl::StrAppend(&out, "  setting ", DriftText(d), "\n");
  for (const ChangedFile& f : r.changed_files) {
    absl::StrAppend(&out, "  changed since the last backup: ", f.path, " (modified ",
                    f.modified_at ? LocalTime(f.modified_at) : "-", ")\n", Indent(f.diff, "    "));
  }
  if (r.enforcement != Enforcement::kNone) {
    absl::StrAppend(&out, "  enforcement: ", EnforcementName(r.enforcement), "\n");
  }
  if (r.enforce_report) absl::StrAppend(&out, Indent(HumanTransaction(*r.enforce_report), "    "));
  if (!r.error.empty()) absl::StrAppend(&out, "  error: ", r.error, "\n");
  return out;
}

std::string JsonCompliance(const ComplianceResult& r) {
  Json settings = Json::array();
  for (const SettingDrift& d : r.settings) settings.push_back(DriftJson(d));
  Json files = Json::array();
  for (const ChangedFile& f : r.changed_files) {
    files.push_back({{"path", f.path}, {"modified_at", f.modified_at}, {"diff", f.diff}});
  }
  return JsonText({{"policy", r.policy},
                   {"version", r.version},
                   {"mode", ComplianceModeName(r.mode)},
                   {"status", ComplianceStatusName(r.status)},
                   {"checked_at", r.checked_at},
                   {"summary", r.summary},
                   {"auth_check_ms", r.auth_check_ms},
                   {"verdict", ProbeVerdictName(r.verdict)},
                   {"settings", std::move(settings)},
                   {"listeners", ListenersJson(r.listeners)},
                   {"warnings", r.warnings},
                   {"changed_files", std::move(files)},
                   {"enforcement", EnforcementName(r.enforcement)},
                   {"next_window_at", r.next_window_at},
                   {"backup_commit", r.enforce_report ? r.enforce_report->backup_commit : ""},
                   {"result_commit", r.enforce_report ? r.enforce_report->result_commit : ""},
                   {"error", r.error}});
}

}  // namespace relayguard::agent
