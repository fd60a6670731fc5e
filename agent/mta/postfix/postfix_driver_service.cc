// PostfixDriver, the parts about the Postfix service itself: construction, version, whether
// the master runs, reload and restart.
#include <signal.h>

#include <cerrno>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/mta/postfix/postfix_driver.h"
#include "common/status_macros.h"

namespace relayguard::agent::postfix {
namespace {

std::string PostmapPath(const PostfixOptions& o) {
  if (!o.postmap_path.empty()) return o.postmap_path;
  return o.postconf_path.substr(0, o.postconf_path.rfind('/') + 1) + "postmap";
}

}  // namespace

PostfixDriver::PostfixDriver(PostfixOptions options, FileSystem& fs, ProcessRunner& runner)
    : options_(std::move(options)),
      fs_(fs),
      runner_(runner),
      postconf_(runner, options_.postconf_path),
      own_tables_(std::make_unique<RealLookupTableReader>(fs, runner, PostmapPath(options_),
                                                          options_.config_dir)),
      tables_(*own_tables_),
      resolvers_(SystemResolvers()) {}

PostfixDriver::PostfixDriver(PostfixOptions options, FileSystem& fs, ProcessRunner& runner,
                             LookupTableReader& tables, NameResolvers resolvers)
    : options_(std::move(options)),
      fs_(fs),
      runner_(runner),
      postconf_(runner, options_.postconf_path),
      tables_(tables),
      resolvers_(std::move(resolvers)) {}

std::string PostfixDriver::MainCfPath() const { return options_.config_dir + "/main.cf"; }
std::string PostfixDriver::MasterCfPath() const { return options_.config_dir + "/master.cf"; }

std::vector<std::string> PostfixDriver::ManagedFiles() const {
  return {MainCfPath(), MasterCfPath()};
}

int64_t PostfixDriver::WriteAgeSeconds(const std::string& path) const {
  return path == MainCfPath() ? 2 : 0;
}

absl::StatusOr<std::string> PostfixDriver::Version() {
  if (!version_) {
    // Reading the live configuration tells the version too (each postconf run costs ~8 ms, and
    // the preflight reads the configuration next anyway); a configuration that cannot be read
    // whole still has a version.
    if (!ReadConfig(nullptr, nullptr).ok() || !version_) {
      ASSIGN_OR_RETURN(
          ParameterValues values,
          postconf_.Expanded(options_.config_dir, {"mail_version", "queue_directory"}));
      version_ = values["mail_version"];
      queue_directory_ = values["queue_directory"];
    }
  }
  return *version_;
}

absl::StatusOr<PostfixVersion> PostfixDriver::ParsedVersion() {
  ASSIGN_OR_RETURN(std::string text, Version());
  return ParsePostfixVersion(text);
}

absl::StatusOr<bool> PostfixDriver::IsRunning() {
  // What `postfix status` checks, without its shell script: the master's pid file names a live
  // master process.
  RETURN_IF_ERROR(Version().status());
  absl::StatusOr<std::string> pid_text = fs_.ReadFile(*queue_directory_ + "/pid/master.pid");
  if (absl::IsNotFound(pid_text.status())) return false;
  if (!pid_text.ok()) return pid_text.status();
  int pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*pid_text), &pid) || pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno != EPERM) return false;
  // "PID (master) S ...": a live (not zombie) process called master.
  absl::StatusOr<std::string> stat = fs_.ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return false;
  size_t close = stat->rfind(')');
  if (close == std::string::npos || close + 2 >= stat->size()) return false;
  char state = (*stat)[close + 2];
  return stat->find("(master)") != std::string::npos && state != 'Z' && state != 'X';
}

absl::Status PostfixDriver::RunPostfix(const std::string& verb) {
  Command cmd{
      {options_.postfix_path, "-c", options_.config_dir, verb}, "", std::chrono::seconds(60)};
  return RunChecked(runner_, cmd, PostfixDiagnostics).status();
}

absl::Status PostfixDriver::Reload(bool restart) {
  if (!restart) return RunPostfix("reload");
  ASSIGN_OR_RETURN(bool running, IsRunning());
  if (running) RETURN_IF_ERROR(RunPostfix("stop"));
  return RunPostfix("start");
}

MtaDriver::MonitorHints PostfixDriver::LogHints() {
  MonitorHints hints;
  absl::StatusOr<ParameterValues> values = postconf_.Expanded(
      options_.config_dir, {"maillog_file", "mydestination", "virtual_alias_domains",
                            "virtual_mailbox_domains", "relay_domains"});
  if (!values.ok()) return hints;
  for (const auto& [name, value] : *values) {
    if (name == "maillog_file") {
      if (!value.empty() && value.front() == '/') hints.log_file = value;
      continue;
    }
    for (absl::string_view item : absl::StrSplit(value, absl::ByAnyChar(", \t\n"), absl::SkipEmpty())) {
      // type:table, /file/name and !negations are lookups, not domains.
      if (item.find(':') != absl::string_view::npos || item.front() == '/' || item.front() == '!') {
        continue;
      }
      hints.local_domains.push_back(absl::AsciiStrToLower(item));
    }
  }
  return hints;
}

}  // namespace relayguard::agent::postfix
