// EximDriver::CheckDrift: the live configuration against the policy, per listener.
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "agent/mta/exim/exim_driver.h"
#include "agent/mta/exim/update_exim4_conf.h"
#include "common/status_macros.h"

namespace relayguard::agent::exim {
namespace {

// Items of an Exim list as written by an operator or by us, normalized for comparison
// ("127.0.0.1" and "127.0.0.1/32" are the same network).
std::set<std::string> Normalized(const std::vector<std::string>& items) {
  std::set<std::string> out;
  for (const std::string& item : items) {
    std::string text(absl::StripAsciiWhitespace(item));
    if (absl::StatusOr<Cidr> cidr = ParseCidr(text); cidr.ok()) {
      out.insert(cidr->ToString());
    } else {
      out.insert(absl::AsciiStrToLower(text));
    }
  }
  return out;
}

std::vector<std::string> Strings(const std::vector<Cidr>& networks) {
  std::vector<std::string> out;
  for (const Cidr& c : networks) out.push_back(c.ToString());
  return out;
}

// One drift entry per listener an opening opens (one for the host when it names none).
void AddOpenings(const std::vector<RelayOpening>& openings, std::vector<SettingDrift>& drift) {
  for (const RelayOpening& o : openings) {
    const std::string desired = o.unproven ? "" : "no relaying for strangers";
    if (o.listeners.empty()) drift.push_back({o.setting, o.what, desired, "", o.where, o.unproven});
    for (const std::string& l : o.listeners) {
      drift.push_back({o.setting, o.what, desired, l, o.where, o.unproven});
    }
  }
}

// Where relay_from_hosts lets strangers in (a file entry's own line), else its definition.
std::string RelayFromHostsWhere(const NamedHostList& def, const Policy& policy, FileSystem& fs) {
  HostListContext c{policy, [&fs](const std::string& p) { return fs.ReadFile(p); }, nullptr};
  HostListVerdict v = EvaluateHostList(def.value, def.where, c);
  if (!v.strangers.empty()) return v.strangers.front().where;
  if (!v.unproven.empty()) return v.unproven.front().where;
  return def.where;
}

}  // namespace

absl::StatusOr<std::vector<SettingDrift>> EximDriver::CheckDrift(const Policy& policy) {
  ASSIGN_OR_RETURN(std::string text, fs_.ReadFile(ManagedFile()));
  std::vector<std::string> clients;
  if (!policy.require_auth) clients = Strings(RelayClients(policy));
  std::vector<SettingDrift> drift;
  if (options_.debian) {
    ASSIGN_OR_RETURN(std::vector<UpdateExim4Setting> settings,
                     ParseUpdateExim4Conf(text, ManagedFile()));
    std::map<std::string, const UpdateExim4Setting*> values;
    for (const UpdateExim4Setting& s : settings) values[s.key] = &s;
    const std::vector<std::pair<std::string, std::vector<std::string>>> wanted = {
        {"dc_relay_nets", clients}, {"dc_relay_domains", policy.relay_domains}};
    for (const auto& [key, desired] : wanted) {
      const UpdateExim4Setting* s = values.count(key) ? values[key] : nullptr;
      std::string value = s ? s->value : "";
      if (Normalized(ParseDebianList(value)) != Normalized(desired)) {
        drift.push_back({key, value, FormatDebianList(desired), "",
                         s ? absl::StrCat(ManagedFile(), ":", s->line) : ManagedFile(), false});
      }
    }
    absl::StatusOr<EximEdit> generated = AnalyseGenerated(policy, /*analyse_only=*/true);
    if (!generated.ok()) {
      drift.push_back(
          {"RCPT ACL", std::string(generated.status().message()), "", "", DaemonConfig(), true});
    } else {
      AddOpenings(generated->openings, drift);
    }
    if (policy.auth) {
      ASSIGN_OR_RETURN(std::string daemon_text, fs_.ReadFile(DaemonConfig()));
      const size_t first = drift.size();
      RETURN_IF_ERROR(AuthDriftOf(*policy.auth, daemon_text, DaemonConfig(), drift));
      // Each finding at the line a person edits (relayguard's conf.d/auth file, the template,
      // Debian's ACL in conf.d), not at the generated file's.
      const std::string prefix = DaemonConfig() + ":";
      for (size_t i = first; i < drift.size(); ++i) {
        size_t line = 0;
        absl::string_view where = drift[i].where;
        if (absl::ConsumePrefix(&where, prefix) && absl::SimpleAtoi(where, &line) && line > 0) {
          drift[i].where = DebianSource(daemon_text, line - 1);
        } else if (drift[i].where == DaemonConfig() &&
                   absl::StartsWith(drift[i].setting, "authenticator ")) {
          // A missing authenticator: where relayguard writes it.
          drift[i].where = DebianSplit() ? DebianAuthFile() : DebianTemplate();
        }
      }
    }
    return drift;
  }
  auto compare = [&](const char* kind, const char* name,
                     const std::vector<std::string>& desired) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> items,
                     ReadNamedList(text, kind, name, ManagedFile()));
    std::vector<std::string> effective = items.value_or(std::vector<std::string>{});
    if (Normalized(effective) == Normalized(desired)) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::optional<NamedHostList> def,
                     NamedListDefinition(text, kind, name, ManagedFile()));
    std::string where = !def                              ? ManagedFile()
                        : std::string(kind) == "hostlist" ? RelayFromHostsWhere(*def, policy, fs_)
                                                          : def->where;
    drift.push_back({absl::StrCat(kind, " ", name), FormatEximList(effective),
                     FormatEximList(desired), "", where, false});
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(compare("hostlist", "relay_from_hosts", clients));
  RETURN_IF_ERROR(compare("domainlist", "relay_to_domains", policy.relay_domains));
  absl::StatusOr<std::vector<Listener>> listeners = ListenersOf(text, ManagedFile(), true);
  if (!listeners.ok()) {
    drift.push_back(
        {"listeners", std::string(listeners.status().message()), "", "", ManagedFile(), true});
    return drift;
  }
  EximEditContext context = EditContext(policy, std::move(*listeners));
  context.analyse_only = true;
  EximRelaySettings want{policy.require_auth ? std::vector<Cidr>{} : RelayClients(policy),
                         policy.relay_domains};
  absl::StatusOr<EximEdit> edit = EditEximConf(text, want, ManagedFile(), context);
  if (!edit.ok()) {
    // An ACL relayguard cannot read cannot be proven closed.
    drift.push_back(
        {"RCPT ACL", std::string(edit.status().message()), "", "", ManagedFile(), true});
    return drift;
  }
  AddOpenings(edit->openings, drift);
  if (policy.auth) RETURN_IF_ERROR(AuthDriftOf(*policy.auth, text, ManagedFile(), drift));
  return drift;
}

}  // namespace relayguard::agent::exim
