#include "controller/monitor/attempt_report_limits.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace relayguard::controller {

absl::Status CheckAttemptReport(const AttemptReportRecord& r, const AttemptReportLimits& limits) {
  auto refuse = [&](const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrCat("attempt report ", r.seq, " of ", r.host, ": ", why, " — not stored"));
  };
  if (r.period_end < r.period_start) {
    return refuse(absl::StrCat("its period ends (", r.period_end, ") before it starts (",
                               r.period_start, ")"));
  }
  if (r.sources.size() > limits.sources) {
    return refuse(
        absl::StrCat(r.sources.size(), " sources listed, at most ", limits.sources, " are taken"));
  }
  if (r.log_source.size() > limits.log_source_bytes) {
    return refuse(absl::StrCat("its log source is ", r.log_source.size(), " bytes long, at most ",
                               limits.log_source_bytes, " are taken"));
  }
  if (r.warnings.size() > limits.warnings) {
    return refuse(
        absl::StrCat(r.warnings.size(), " warnings, at most ", limits.warnings, " are taken"));
  }
  for (const std::string& w : r.warnings) {
    if (w.size() > limits.warning_bytes) {
      return refuse(absl::StrCat("a warning of ", w.size(), " bytes, at most ",
                                 limits.warning_bytes, " are taken"));
    }
  }
  for (const SourceAttemptsRecord& s : r.sources) {
    if (s.source.empty() || s.source.size() > limits.source_bytes) {
      return refuse(absl::StrCat("a source address of ", s.source.size(), " bytes (1 to ",
                                 limits.source_bytes, " are taken)"));
    }
    if (s.last_seen < s.first_seen) {
      return refuse(absl::StrCat("source ", s.source, " was last seen before it was first seen"));
    }
    if (s.samples.size() > limits.samples) {
      return refuse(absl::StrCat("source ", s.source, " has ", s.samples.size(),
                                 " sample lines, at most ", limits.samples, " are taken"));
    }
    for (const std::string& line : s.samples) {
      if (line.size() > limits.sample_bytes) {
        return refuse(absl::StrCat("source ", s.source, " has a sample line of ", line.size(),
                                   " bytes, at most ", limits.sample_bytes, " are taken"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace relayguard::controller
