#include "agent/cli/run_monitor.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/monitor/file_follower.h"
#include "agent/monitor/journal_follower.h"
#include "agent/monitor/log_source_detect.h"

namespace relayguard::agent {
namespace {

std::vector<std::string> SplitMatches(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    out.emplace_back(item);
  }
  return out;
}

// The trust context: the policy's relay clients (trusted networks and partners) and its relay
// domains with the MTA's own destinations. The MTA is asked again only when the policy changed
// (an apply is what changes its configuration).
class ContextSource {
 public:
  ContextSource(MtaDriver& driver, std::function<std::optional<Policy>()> cached,
                OwnProbes& own)
      : driver_(driver), cached_(std::move(cached)), own_(own) {}

  std::optional<RelayContext> operator()() {
    std::optional<Policy> policy = cached_();
    if (!policy) return std::nullopt;
    own_.Note(OwnProbeOf(policy->probe));
    const std::string key = absl::StrCat(policy->name, " v", policy->version);
    if (key != key_) {
      key_ = key;
      hints_ = driver_.LogHints();
    }
    RelayContext context;
    context.trusted = RelayClients(*policy);
    for (const std::string& d : policy->relay_domains) {
      context.local_domains.push_back(absl::AsciiStrToLower(d));
    }
    for (const std::string& d : hints_.local_domains) context.local_domains.push_back(d);
    std::sort(context.local_domains.begin(), context.local_domains.end());
    context.local_domains.erase(
        std::unique(context.local_domains.begin(), context.local_domains.end()),
        context.local_domains.end());
    return context;
  }

 private:
  MtaDriver& driver_;
  std::function<std::optional<Policy>()> cached_;
  OwnProbes& own_;
  std::string key_;
  MtaDriver::MonitorHints hints_;
};

}  // namespace

OwnProbe OwnProbeOf(const ProbeSettings& settings) {
  OwnProbe own;
  own.sources.push_back(settings.untrusted_source.ToString());
  if (settings.untrusted_source_v6) own.sources.push_back(settings.untrusted_source_v6->ToString());
  const std::string rcpt = absl::AsciiStrToLower(settings.foreign_recipient);
  const size_t at = rcpt.rfind('@');
  own.recipient_local = rcpt.substr(0, at);
  own.recipient_domain = at == std::string::npos ? "" : rcpt.substr(at + 1);
  return own;
}

std::unique_ptr<RelayMonitor> MakeRelayMonitor(const MonitorFlags& flags, MonitorParts parts,
                                               RelayMonitorHooks hooks, std::string& why) {
  if (flags.source == "off") {
    why = "the log monitor is off (monitor: off)";
    return nullptr;
  }
  const std::string kind = parts.driver.Kind();
  absl::StatusOr<LogMta> mta = ParseLogMta(kind);
  if (!mta.ok()) {
    why = absl::StrCat("no log monitor: ", mta.status().message());
    return nullptr;
  }
  LogSource source;
  if (flags.source == "journal") {
    source.kind = LogSource::Kind::kJournal;
    source.why = "monitor: journal";
  } else if (!flags.log_file.empty()) {
    source.kind = LogSource::Kind::kFile;
    source.path = flags.log_file;
    source.why = "monitor_log in the configuration";
  } else {
    const MtaDriver::MonitorHints hints = parts.driver.LogHints();
    if (!hints.log_file.empty()) {
      // The file the MTA's own configuration names (maillog_file, log_file_path) wins.
      source.kind = LogSource::Kind::kFile;
      source.path = hints.log_file;
      source.why = absl::StrCat(kind, "'s configuration names it");
    } else {
      absl::StatusOr<LogSource> detected = DetectLogSource(kind, parts.fs, "");
      if (!detected.ok()) {
        why = absl::StrCat("no log monitor: ", detected.status().message());
        return nullptr;
      }
      if (flags.source == "file" && detected->kind != LogSource::Kind::kFile) {
        why = absl::StrCat("no log monitor: monitor: file, but no ", kind,
                           " log file was found (", detected->why,
                           "); set monitor_log in agent.yaml");
        return nullptr;
      }
      source = *detected;
    }
  }
  std::unique_ptr<LogFollower> follower;
  if (source.kind == LogSource::Kind::kJournal) {
    JournalFollowerOptions options;
    options.matches = flags.journal_match.empty() ? DefaultJournalMatches(kind)
                                                  : SplitMatches(flags.journal_match);
    options.cursor_file = parts.state_dir + "/monitor-journal-cursor";
    options.name = kind;
    absl::StatusOr<std::unique_ptr<JournalFollower>> journal =
        JournalFollower::Open(std::move(options), parts.fs);
    if (!journal.ok()) {
      why = absl::StrCat("no log monitor: ", journal.status().message());
      return nullptr;
    }
    follower = *std::move(journal);
  } else {
    follower = std::make_unique<FileFollower>(
        FileFollowerOptions{source.path, parts.state_dir + "/monitor-position"}, parts.fs);
  }
  AttemptTrackerOptions options;
  options.max_sources = static_cast<size_t>(flags.max_sources);
  options.threshold_window_s = flags.threshold_window_s;
  options.refused_per_source = static_cast<uint64_t>(flags.refused_per_source);
  options.sasl_failures_per_source = static_cast<uint64_t>(flags.sasl_failures_per_source);
  auto tracker = std::make_unique<AttemptTracker>(options, parts.clock);
  auto parser = std::make_unique<MtaLogParser>(*mta, RelayContext{}, parts.clock);
  hooks.context = ContextSource(parts.driver, parts.cached_policy, parts.own_probes);
  parts.own_probes.Note(OwnProbeOf(DefaultProbeSettings()));
  hooks.own_probes = [&own = parts.own_probes] { return own.Current(); };
  why = absl::StrCat("the log monitor follows ", follower->Describe(), " (", source.why, ")");
  return std::make_unique<RelayMonitor>(std::move(follower), std::move(parser),
                                        std::move(tracker), parts.attempt_queue, parts.clock,
                                        std::chrono::seconds(flags.report_s), std::move(hooks));
}

}  // namespace relayguard::agent
