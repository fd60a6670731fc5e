// SendmailDriver: what the live configuration does, read without changing anything: its
// listeners (Listeners), the relay grants of class {R} and the drift from a policy
// (CheckDrift). See sendmail_driver.h.
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/mta/sendmail/access_file.h"
#include "agent/mta/sendmail/relay_class.h"
#include "agent/mta/sendmail/sendmail_driver.h"
#include "agent/mta/sendmail/sendmail_mc.h"
#include "common/status_macros.h"

namespace relayguard::agent::sendmail {
namespace {

// Where /etc/services cannot be read: the ports of the names sendmail's own files use.
const std::map<std::string, uint16_t>& WellKnownPorts() {
  static const auto* ports = new std::map<std::string, uint16_t>{
      {"smtp", 25}, {"submission", 587}, {"smtps", 465}, {"submissions", 465}};
  return *ports;
}

// getaddrinfo of a host name in Addr= (sendmail resolves it with gethostbyname).
std::optional<IpAddress> ResolveHost(absl::string_view host, IpFamily family) {
  addrinfo hints;
  std::memset(&hints, 0, sizeof hints);
  hints.ai_family = family == IpFamily::kV4 ? AF_INET : AF_INET6;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (getaddrinfo(std::string(host).c_str(), nullptr, &hints, &result) != 0 || !result) {
    return std::nullopt;
  }
  IpAddress ip;
  ip.family = family;
  if (family == IpFamily::kV4) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(result->ai_addr);
    std::memcpy(ip.bytes.data(), &sin->sin_addr, 4);
  } else {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(result->ai_addr);
    std::memcpy(ip.bytes.data(), &sin6->sin6_addr, 16);
  }
  freeaddrinfo(result);
  return ip;
}

SettingDrift Drift(std::string setting, std::string effective, std::string desired,
                   std::string where, bool unproven = false) {
  SettingDrift d;
  d.setting = std::move(setting);
  d.effective = std::move(effective);
  d.desired = std::move(desired);
  d.where = std::move(where);
  d.unproven = unproven;
  return d;
}

}  // namespace

absl::Status SendmailDriver::ReadBuildInfo() {
  if (version_ && compile_options_) return absl::OkStatus();
  ASSIGN_OR_RETURN(ProcessResult r,
                   Run({options_.sendmail_path, "-C", CfPath(), "-d0.1", "-bt"}, ""));
  // "Version 8.17.1.9", then " Compiled with: DNSMAP ... SASLv2 ... STARTTLS" over several
  // lines, up to an empty one.
  bool in_options = false;
  std::string options;
  for (absl::string_view line : absl::StrSplit(r.stdout_text, '\n')) {
    if (absl::ConsumePrefix(&line, "Version ")) {
      version_ = std::string(absl::StripAsciiWhitespace(line));
      continue;
    }
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (absl::ConsumePrefix(&trimmed, "Compiled with:")) {
      in_options = true;
    } else if (trimmed.empty()) {
      in_options = false;
    }
    if (in_options) absl::StrAppend(&options, " ", trimmed, " ");
  }
  if (!version_) {
    return absl::FailedPreconditionError(absl::StrCat(
        options_.sendmail_path, " -C ", CfPath(), " -d0.1 -bt printed no version (exit ",
        r.exit_code, "): ", absl::StrJoin(absl::StrSplit(r.stdout_text, '\n'), "; ")));
  }
  compile_options_ = options;
  return absl::OkStatus();
}

SendmailLookups SendmailDriver::Lookups() {
  SendmailLookups lookups;
  std::map<std::string, uint16_t> ports = WellKnownPorts();
  if (absl::StatusOr<std::string> services = fs_.ReadFile(options_.services_path); services.ok()) {
    ports = TcpServicePorts(*services);
  }
  lookups.service_port = [ports](absl::string_view name) -> std::optional<uint16_t> {
    auto it = ports.find(std::string(name));
    if (it == ports.end()) return std::nullopt;
    return it->second;
  };
  lookups.resolve_host = ResolveHost;
  // Without the compile options, M=a and M=s are taken at their word: the probe of every
  // listener still decides whether the host is closed.
  if (ReadBuildInfo().ok() && compile_options_) {
    lookups.sasl = absl::StrContains(*compile_options_, " SASL");
    lookups.starttls = absl::StrContains(*compile_options_, " STARTTLS ");
  }
  return lookups;
}

absl::StatusOr<std::vector<SendmailListener>> SendmailDriver::DaemonListeners(
    const std::string& cf, const std::string& mc) {
  return SendmailListeners(cf, CfPath(), mc, McPath(), Lookups());
}

absl::StatusOr<std::vector<Listener>> SendmailDriver::Listeners() {
  ASSIGN_OR_RETURN(std::string cf, fs_.ReadFile(CfPath()));
  // The .mc only tells where a daemon is declared: without it, the .cf lines are named.
  std::string mc = fs_.ReadFile(McPath()).value_or("");
  ASSIGN_OR_RETURN(std::vector<SendmailListener> daemons, DaemonListeners(cf, mc));
  std::vector<Listener> listeners;
  for (SendmailListener& d : daemons) listeners.push_back(std::move(d.listener));
  AddExtraListener(options_.smtp_override, listeners);
  if (listeners.empty()) {
    return absl::NotFoundError(absl::StrCat(CfPath(),
                                            " declares no TCP daemon (every "
                                            "DaemonPortOptions has Family=unix)"));
  }
  return listeners;
}

SendmailDriver::RelayClassReport SendmailDriver::InspectRelayClass(const std::string& cf,
                                                                   const AccessPolicy& want) {
  RelayClassReport report;
  const ClassRSources sources = ClassRSourcesOf(cf);
  auto judge = [&](const ClassWord& w, const std::string& where) {
    std::optional<ClassMember> m = JudgeClassMember(w.word, want);
    if (!m) return;
    if (!m->reason.empty()) {
      report.wide.push_back(Drift(absl::StrCat("class {R} member ", w.word), m->grants,
                                  absl::StrCat("absent: ", m->reason), where));
      return;
    }
    report.kept.push_back(absl::StrCat(where, ": ", w.word, " ", m->grants));
    if (!m->note.empty()) {
      report.warnings.push_back(
          absl::StrCat(where, ": class {R} member ", w.word, ": ", m->note, "; kept"));
    }
  };
  for (const ClassWord& w : sources.words) judge(w, absl::StrCat(CfPath(), ":", w.line));
  for (const ClassFile& f : sources.files) {
    const std::string at = absl::StrCat(CfPath(), ":", f.cf_line);
    auto unproven = [&](const std::string& why) {
      report.unproven.push_back(
          Drift(absl::StrCat("class {R} file ", f.spec), why, "readable", at, /*unproven=*/true));
    };
    if (f.path.empty()) {
      unproven("relayguard reads only files into class {R}, not programs or maps");
      continue;
    }
    absl::StatusOr<std::string> text = fs_.ReadFile(f.path);
    if (absl::IsNotFound(text.status())) {
      if (!f.optional) {
        report.warnings.push_back(absl::StrCat(at, ": ", f.path,
                                               " (class {R}) does not exist; "
                                               "sendmail reports an error and goes on"));
      }
      continue;
    }
    if (!text.ok()) {
      unproven(absl::StrCat("cannot read ", f.path, ": ", text.status().message()));
      continue;
    }
    std::optional<std::vector<ClassWord>> words = ClassFileWords(*text, f.format);
    if (!words) {
      unproven(absl::StrCat("cannot tell what the format \"", f.format, "\" reads from ", f.path));
      continue;
    }
    for (const ClassWord& w : *words) judge(w, absl::StrCat(f.path, ":", w.line));
  }
  return report;
}

absl::StatusOr<std::vector<SettingDrift>> SendmailDriver::CheckDrift(const Policy& policy) {
  ASSIGN_OR_RETURN(std::string mc, fs_.ReadFile(McPath()));
  ASSIGN_OR_RETURN(std::string cf, fs_.ReadFile(CfPath()));
  ASSIGN_OR_RETURN(std::string access, fs_.ReadFile(AccessPath()));
  const AccessPolicy want = AccessPolicyFor(policy);

  // A grant opens every listener that lets clients in without authentication: one finding
  // per such listener (for the whole host when there is none, or they cannot be read).
  std::vector<std::string> doors;
  if (absl::StatusOr<std::vector<SendmailListener>> daemons = DaemonListeners(cf, mc);
      daemons.ok()) {
    std::vector<Listener> listeners;
    for (const SendmailListener& d : *daemons) listeners.push_back(d.listener);
    MarkInternalListeners(policy.probe, listeners);
    for (size_t i = 0; i < listeners.size(); ++i) {
      if (!listeners[i].internal && !(*daemons)[i].auth_required) {
        doors.push_back(listeners[i].Name());
      }
    }
  }
  std::vector<SettingDrift> drift;
  auto opens = [&](const SettingDrift& d) {
    if (doors.empty()) drift.push_back(d);
    for (const std::string& door : doors) {
      drift.push_back(d);
      drift.back().listener = door;
    }
  };
  for (const FeatureCall& f : OpenRelayFeatureCalls(mc)) {
    opens(Drift(absl::StrCat("FEATURE(", f.name, ")"), "present", "absent",
                absl::StrCat(McPath(), ":", f.line)));
  }
  if (absl::StatusOr<SendmailEdit> edit = EditSendmailMc(mc, McPath()); !edit.ok()) {
    drift.push_back(Drift("sendmail.mc", std::string(edit.status().message()), "readable", McPath(),
                          /*unproven=*/true));
  } else if (std::find(edit->changed.begin(), edit->changed.end(), "FEATURE(access_db)") !=
             edit->changed.end()) {
    drift.push_back(Drift("FEATURE(access_db)", "absent", "present", McPath()));
  }
  ASSIGN_OR_RETURN(AccessEdit wanted, EditAccessFile(access, want, AccessPath()));
  for (const RemovedGrant& g : wanted.removed) {
    opens(Drift(absl::StrCat("access ", g.key, " RELAY"), g.grants,
                absl::StrCat(g.replacement.empty() ? "absent" : g.replacement, ": ", g.reason),
                absl::StrCat(AccessPath(), ":", g.line)));
  }
  for (const std::string& change : wanted.changed) {
    if (!absl::StartsWith(change, "access ")) continue;  // removals are reported above
    drift.push_back(Drift(change.substr(7), "absent", "present", AccessPath()));
  }
  const RelayClassReport relay_class = InspectRelayClass(cf, want);
  for (const SettingDrift& d : relay_class.wide) opens(d);
  for (const SettingDrift& d : relay_class.unproven) opens(d);
  if (policy.auth) {
    std::vector<SettingDrift> auth = AuthDrift(policy, cf, mc);
    drift.insert(drift.end(), auth.begin(), auth.end());
  }
  return drift;
}

}  // namespace relayguard::agent::sendmail
