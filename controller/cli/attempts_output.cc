#include "controller/cli/attempts_output.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/table.h"
#include "controller/cli/compliance_output.h"

namespace relayguard::controller {

namespace pb = ::relayguard::v1;

std::string AttemptsTable(const pb::ListAttemptsResponse& r) {
  if (r.rows().empty() && r.hosts().empty()) {
    return absl::StrCat("no attempt reports since ", IsoUtc(r.since()), "\n");
  }
  std::vector<const pb::AttemptRow*> rows;
  for (const pb::AttemptRow& row : r.rows()) rows.push_back(&row);
  std::stable_sort(rows.begin(), rows.end(), [](const pb::AttemptRow* a, const pb::AttemptRow* b) {
    return a->refused() > b->refused();
  });
  Table t({{"HOST", 20},
           {"SOURCE", 16},
           {"REFUSED", 7},
           {"RECIPIENTS", 10},
           {"SASL-FAILURES", 13},
           {"RELAYED", 7},
           {"FIRST-SEEN", 20},
           {"LAST-SEEN"}});
  for (const pb::AttemptRow* row : rows) {
    t.AddRow({row->host(), absl::StrCat(row->source(), row->over_threshold() ? " !" : ""),
              absl::StrCat(row->refused()), absl::StrCat(row->recipients()),
              absl::StrCat(row->sasl_failures()), absl::StrCat(row->relayed()),
              IsoUtc(row->first_seen()), IsoUtc(row->last_seen())});
  }
  std::string out = t.Render();
  for (const pb::HostAttempts& h : r.hosts()) {
    absl::StrAppend(&out, h.host(), ": ", h.refused(), " refused, ", h.sasl_failures(),
                    " failed logins, ", h.relayed(), " relayed in ", h.reports(), " report",
                    h.reports() == 1 ? "" : "s", " since ", IsoUtc(r.since()),
                    h.log_source().empty() ? "" : absl::StrCat(" (", h.log_source(), ")"), "\n");
  }
  bool over = false;
  for (const pb::AttemptRow* row : rows) over = over || row->over_threshold();
  if (over) absl::StrAppend(&out, "!: passed the monitor's thresholds\n");
  return out;
}

}  // namespace relayguard::controller
