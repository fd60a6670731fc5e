#include "controller/monitor/attempt_report_proto.h"

namespace relayguard::controller {

namespace pb = ::relayguard::v1;

AttemptReportRecord AttemptReportFromProto(const std::string& host, const pb::AttemptReport& r) {
  AttemptReportRecord out;
  out.host = host;
  out.seq = r.seq();
  out.period_start = r.period_start();
  out.period_end = r.period_end();
  for (const pb::SourceAttempts& s : r.sources()) {
    SourceAttemptsRecord source;
    source.source = s.source();
    source.refused = s.refused();
    source.recipients = s.recipients();
    source.sasl_failures = s.sasl_failures();
    source.relayed = s.relayed();
    source.first_seen = s.first_seen();
    source.last_seen = s.last_seen();
    source.samples = {s.samples().begin(), s.samples().end()};
    source.over_threshold = s.over_threshold();
    out.sources.push_back(std::move(source));
  }
  out.other_sources = r.other_sources();
  out.refused = r.refused();
  out.sasl_failures = r.sasl_failures();
  out.relayed = r.relayed();
  out.lines = r.lines();
  out.unknown_lines = r.unknown_lines();
  out.log_source = r.log_source();
  out.warnings = {r.warnings().begin(), r.warnings().end()};
  return out;
}

void AttemptViewToProto(const AttemptView& view, pb::ListAttemptsResponse* out) {
  out->set_since(view.since);
  out->set_now(view.now);
  for (const SourceAttemptsSummary& s : view.sources) {
    pb::AttemptRow* row = out->add_rows();
    row->set_host(s.host);
    row->set_source(s.source);
    row->set_refused(s.refused);
    row->set_recipients(s.recipients);
    row->set_sasl_failures(s.sasl_failures);
    row->set_relayed(s.relayed);
    row->set_first_seen(s.first_seen);
    row->set_last_seen(s.last_seen);
    for (const std::string& line : s.samples) row->add_samples(line);
    row->set_over_threshold(s.over_threshold);
  }
  for (const HostAttemptTotals& t : view.hosts) {
    pb::HostAttempts* host = out->add_hosts();
    host->set_host(t.host);
    host->set_reports(t.reports);
    host->set_refused(t.refused);
    host->set_sasl_failures(t.sasl_failures);
    host->set_relayed(t.relayed);
    host->set_lines(t.lines);
    host->set_unknown_lines(t.unknown_lines);
    host->set_last_report_at(t.last_period_end);
    host->set_log_source(t.log_source);
  }
}

}  // namespace relayguard::controller
