#include "agent/monitor/log_source_detect.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/monitor/journal_follower.h"

namespace relayguard::agent {
namespace {

bool Exists(FileSystem& fs, const std::string& path) { return fs.Stat(path).ok(); }

}  // namespace

absl::StatusOr<LogSource> DetectLogSource(const std::string& mta_kind, FileSystem& fs,
                                          const std::string& postfix_maillog_file) {
  std::string file;
  if (mta_kind == "postfix" || mta_kind == "sendmail") {
    file = "/var/log/mail.log";
  } else if (mta_kind == "exim") {
    file = "/var/log/exim4/mainlog";
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "no log location known for MTA kind \"", mta_kind, "\" (postfix, exim or sendmail)"));
  }
  LogSource source;
  if (mta_kind == "postfix" && !postfix_maillog_file.empty()) {
    source.path = postfix_maillog_file;
    source.why = absl::StrCat("Postfix's maillog_file is ", postfix_maillog_file);
    return source;
  }
  std::vector<std::string> looked_at = {file};
  if (Exists(fs, file)) {
    source.path = file;
    source.why = absl::StrCat(file, " exists");
    return source;
  }
  for (const char* journal : {"/run/systemd/journal", "/var/log/journal"}) {
    looked_at.push_back(journal);
    if (!Exists(fs, journal)) continue;
    source.kind = LogSource::Kind::kJournal;
    source.matches = DefaultJournalMatches(mta_kind);
    source.why = absl::StrCat(file, " does not exist and ", journal, " does: the journal");
    return source;
  }
  return absl::NotFoundError(absl::StrCat(
      "cannot tell where the ", mta_kind, " log is: none of ", absl::StrJoin(looked_at, ", "),
      " exists; set monitor.source in agent.yaml"));
}

}  // namespace relayguard::agent
