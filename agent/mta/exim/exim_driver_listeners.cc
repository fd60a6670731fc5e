// EximDriver: where the daemon listens, and the context the RCPT ACL rules need.
#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "agent/mta/exim/exim_debian_sources.h"
#include "agent/mta/exim/exim_driver.h"
#include "agent/mta/exim/exim_listeners.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "agent/mta/exim/update_exim4_conf.h"
#include "common/status_macros.h"

namespace relayguard::agent::exim {
namespace {

// The files update-exim4.conf reads, in order: conf.d's parts for a split configuration,
// exim4.conf.localmacros and the template for a non-split one.
std::vector<std::string> DebianSourcePaths(const std::string& dir, bool split) {
  namespace stdfs = std::filesystem;
  if (!split) return {dir + "/exim4.conf.localmacros", dir + "/exim4.conf.template"};
  std::vector<std::string> paths;
  std::error_code ec;
  for (const char* part : {"main", "acl", "router", "transport", "retry", "rewrite", "auth"}) {
    std::vector<std::string> names;
    for (const auto& e : stdfs::directory_iterator(dir + "/conf.d/" + part, ec)) {
      names.push_back(e.path().string());
    }
    std::sort(names.begin(), names.end());
    paths.insert(paths.end(), names.begin(), names.end());
  }
  return paths;
}

}  // namespace

const std::set<std::string>& EximDriver::BuiltinMacros() {
  if (builtin_macros_) return *builtin_macros_;
  builtin_macros_.emplace();
  // Without them, an `.ifdef _HAVE_...` around a listener option reads as undefined.
  absl::StatusOr<ProcessResult> r = Exim(DaemonConfig(), {"-bP", "macros"});
  if (!r.ok() || r->exit_code != 0) return *builtin_macros_;
  for (absl::string_view line : absl::StrSplit(r->stdout_text, '\n')) {
    if (line.empty() || line.front() != '_') continue;
    builtin_macros_->insert(std::string(line.substr(0, line.find('='))));
  }
  return *builtin_macros_;
}

std::map<std::string, int> EximDriver::Services() {
  absl::StatusOr<std::string> text = fs_.ReadFile("/etc/services");
  return text.ok() ? ParseServices(*text) : std::map<std::string, int>{};
}

std::string EximDriver::DebianSource(const std::string& text, size_t line) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  const std::string generated = absl::StrCat(DaemonConfig(), ":", line + 1);
  if (line >= lines.size()) return generated;
  absl::string_view content(lines[line].data(), lines[line].size());
  std::vector<SourceFile> sources;
  for (const std::string& path : DebianSourcePaths(options_.debian_dir, DebianSplit())) {
    if (absl::StatusOr<std::string> t = fs_.ReadFile(path); t.ok()) {
      sources.push_back({path, std::move(*t)});
    }
  }
  if (std::optional<std::string> at = LocateInSources(content, sources)) return *at;
  if (std::optional<std::string> key = DebianKeyForMacro(content)) {
    absl::StatusOr<std::string> conf = fs_.ReadFile(ManagedFile());
    absl::StatusOr<std::vector<UpdateExim4Setting>> settings =
        conf.ok() ? ParseUpdateExim4Conf(*conf, ManagedFile())
                  : absl::StatusOr<std::vector<UpdateExim4Setting>>(conf.status());
    if (settings.ok()) {
      for (auto s = settings->rbegin(); s != settings->rend(); ++s) {
        if (s->key == *key) return absl::StrCat(ManagedFile(), ":", s->line);
      }
    }
  }
  return generated;
}

absl::StatusOr<std::vector<Listener>> EximDriver::ListenersOf(const std::string& text,
                                                              const std::string& path, bool live) {
  ASSIGN_OR_RETURN(ConfigText config, ConfigText::Parse(text, path));
  EximListenerSource source{&config, BuiltinMacros(), Services(), nullptr};
  if (live && options_.debian) {
    source.locate = [this, &text](size_t line) { return DebianSource(text, line); };
  }
  return DeriveEximListeners(source);
}

absl::StatusOr<std::vector<Listener>> EximDriver::Listeners() {
  ASSIGN_OR_RETURN(std::string text, fs_.ReadFile(DaemonConfig()));
  ASSIGN_OR_RETURN(std::vector<Listener> listeners, ListenersOf(text, DaemonConfig(), true));
  AddExtraListener(options_.smtp_override, listeners);
  return listeners;
}

EximEditContext EximDriver::EditContext(const Policy& policy, std::vector<Listener> listeners) {
  MarkInternalListeners(policy.probe, listeners);
  EximEditContext context;
  context.listeners = std::move(listeners);
  context.policy = policy;
  context.read_file = [this](const std::string& path) { return fs_.ReadFile(path); };
  return context;
}

absl::StatusOr<EximEdit> EximDriver::AnalyseGenerated(const Policy& policy, bool analyse_only) {
  ASSIGN_OR_RETURN(std::string text, fs_.ReadFile(DaemonConfig()));
  ASSIGN_OR_RETURN(std::vector<Listener> listeners, ListenersOf(text, DaemonConfig(), true));
  EximEditContext context = EditContext(policy, std::move(listeners));
  context.analyse_only = analyse_only;
  EximRelaySettings want;
  if (!policy.require_auth) want.relay_from_hosts = RelayClients(policy);
  want.relay_to_domains = policy.relay_domains;
  ASSIGN_OR_RETURN(EximEdit edit, EditEximConf(text, want, DaemonConfig(), context));
  // Trace every place back to the file a person edits (conf.d, update-exim4.conf.conf).
  const std::string prefix = DaemonConfig() + ":";
  auto trace = [&](std::string& where) {
    size_t line = 0;
    if (!absl::StartsWith(where, prefix) || !absl::SimpleAtoi(where.substr(prefix.size()), &line) ||
        line == 0) {
      return;
    }
    where = DebianSource(text, line - 1);
  };
  for (RelayOpening& o : edit.openings) trace(o.where);
  for (std::string& k : edit.kept) {
    size_t colon = k.find(": ");
    if (colon == std::string::npos) continue;
    std::string where = k.substr(0, colon);
    trace(where);
    k = where + k.substr(colon);
  }
  return edit;
}

}  // namespace relayguard::agent::exim
