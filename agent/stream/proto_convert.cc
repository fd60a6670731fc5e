#include "agent/stream/proto_convert.h"

#include "absl/strings/str_cat.h"
#include "common/apply_outcome_proto.h"
#include "common/compliance_states_proto.h"

namespace relayguard::agent {
namespace {

namespace pb = ::relayguard::v1;

pb::ProbeVerdict ToProto(ProbeVerdict v) {
  switch (v) {
    case ProbeVerdict::kRelayAccepted: return pb::PROBE_VERDICT_RELAY_ACCEPTED;
    case ProbeVerdict::kRefused: return pb::PROBE_VERDICT_REFUSED;
    case ProbeVerdict::kInconclusive: return pb::PROBE_VERDICT_INCONCLUSIVE;
  }
  return pb::PROBE_VERDICT_UNSPECIFIED;
}

}  // namespace

void ToProto(const ProbeReport& report, pb::ProbeResult* p) {
  p->set_source_address(report.source.ToString());
  p->set_verdict(ToProto(report.verdict));
  for (const RelayTestResult& t : report.tests) {
    for (const SmtpExchange& e : t.exchanges) {
      pb::ProbeExchange* x = p->add_exchanges();
      x->set_command(e.command);
      x->set_reply(e.reply);
    }
    if (!t.detail.empty()) {
      p->set_detail(absl::StrCat(p->detail(), t.test.name, ": ", t.detail, "; "));
    }
  }
}

void ToProto(const ListenerResult& r, pb::ListenerResult* p) {
  const Listener& l = r.listener;
  p->set_address(l.endpoint.ToString());
  p->set_bind(l.bind);
  p->set_tls(l.tls == ListenerTls::kImplicit ? pb::LISTENER_TLS_IMPLICIT : pb::LISTENER_TLS_PLAIN);
  p->set_role(l.role == ListenerRole::kSubmission ? pb::LISTENER_ROLE_SUBMISSION
                                                  : pb::LISTENER_ROLE_RELAY);
  p->set_service(l.service);
  p->set_declared_at(l.declared_at);
  p->set_internal(l.internal);
  if (r.untrusted) {
    p->set_verdict(ToProto(r.verdict));
    ToProto(*r.untrusted, p->mutable_untrusted());
  }
  if (r.trusted) ToProto(*r.trusted, p->mutable_trusted());
  p->set_note(r.note);
}

void ToProto(const SettingDrift& d, pb::SettingDrift* s) {
  s->set_setting(d.setting);
  s->set_effective(d.effective);
  s->set_desired(d.desired);
  s->set_listener(d.listener);
  s->set_where(d.where);
  s->set_unproven(d.unproven);
}

pb::ApplyResult ToProto(const TransactionReport& r) {
  pb::ApplyResult out;
  out.set_outcome(ApplyOutcomeToProto(r.outcome));
  out.set_policy_name(r.policy);
  out.set_policy_version(r.version);
  out.set_phase(r.failed_phase);
  out.set_error(r.error);
  out.set_diff(r.diff);
  out.set_backup_commit(r.backup_commit);
  out.set_result_commit(r.result_commit);
  for (const ListenerResult& l : r.listeners) {
    if (l.untrusted) ToProto(*l.untrusted, out.add_probes());
    if (l.trusted) ToProto(*l.trusted, out.add_probes());
    ToProto(l, out.add_listeners());
  }
  for (const std::string& w : r.warnings) out.add_warnings(w);
  for (const std::string& k : r.kept) out.add_kept(k);
  return out;
}

pb::ComplianceReport ToProto(const ComplianceResult& r, uint64_t seq) {
  pb::ComplianceReport out;
  out.set_seq(seq);
  out.set_policy_name(r.policy);
  out.set_policy_version(r.version);
  out.set_mode(ComplianceModeToProto(r.mode));
  out.set_status(ComplianceStatusToProto(r.status));
  out.set_checked_at(r.checked_at);
  for (const SettingDrift& d : r.settings) ToProto(d, out.add_settings());
  pb::ProbeResult* host = out.mutable_probe();
  host->set_source_address(r.untrusted_source.ToString());
  host->set_verdict(ToProto(r.verdict));
  for (const ListenerResult& l : r.listeners) {
    ToProto(l, out.add_listeners());
    if (!l.listener.internal) {
      host->set_detail(absl::StrCat(host->detail(), l.listener.endpoint.ToString(), ": ",
                                    ProbeVerdictName(l.verdict), "; "));
    }
  }
  for (const std::string& w : r.warnings) out.add_warnings(w);
  for (const ChangedFile& f : r.changed_files) {
    pb::ChangedFile* c = out.add_changed_files();
    c->set_path(f.path);
    c->set_diff(f.diff);
    c->set_modified_at(f.modified_at);
  }
  out.set_enforcement(EnforcementToProto(r.enforcement));
  if (r.enforce_report) *out.mutable_enforce_result() = ToProto(*r.enforce_report);
  out.set_error(r.error);
  out.set_summary(r.summary);
  out.set_next_window_at(r.next_window_at);
  out.set_trigger(r.trigger);
  return out;
}

}  // namespace relayguard::agent
