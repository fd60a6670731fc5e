#include "agent/mta/postfix/xclient_hosts.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/mta/postfix/list_text.h"
#include "agent/mta/postfix/postfix_settings.h"

namespace relayguard::agent::postfix {
namespace {

constexpr char kParam[] = "smtpd_authorized_xclient_hosts";

std::string Where(const PostfixConfig& config, int service_line) {
  const MasterCf::Service* s = config.master_cf.ServiceAt(service_line);
  if (const MasterCf::Override* o = s ? s->Find(kParam) : nullptr) {
    return config.MasterWhere(o->line);
  }
  std::optional<int> line = config.main_cf.Line(kParam);
  return line ? config.MainWhere(*line) : config.main_cf_path;
}

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace

std::optional<Finding> XclientFinding(const PostfixConfig& config, int service_line,
                                      const Policy& policy) {
  NetworksJudgement j = JudgeNetworks(config.Expanded(service_line, kParam), policy);
  if (!j.Grants()) return std::nullopt;
  return Finding{kParam,
                 absl::StrCat("XCLIENT is allowed from ", absl::StrJoin(j.strangers, " "),
                              ": those clients can claim a trusted address and relay"),
                 Where(config, service_line)};
}

XclientFix FixXclientHosts(PostfixConfig& config, int service_line, const Policy& policy,
                           const std::string& listener) {
  XclientFix r;
  if (!XclientFinding(config, service_line, policy)) return r;
  const MasterCf::Service* s = config.master_cf.ServiceAt(service_line);
  if (const MasterCf::Override* o = s ? s->Find(kParam) : nullptr) {
    r.changed.push_back(
        absl::StrCat(Basename(config.master_cf_path), ":", o->line, " ", s->Id(), " -o ", kParam));
    r.drift = SettingDrift{kParam, o->value, "(removed: the service uses main.cf's)", listener,
                           config.MasterWhere(o->line)};
    config.master_cf.RemoveOverride(service_line, kParam);
  }
  // main.cf's list (now the service's): drop the entries that hold strangers. A $reference
  // stays; $mynetworks is the policy's relay clients by now.
  if (std::optional<std::string> raw = config.main_cf.RawValue(kParam)) {
    ListText text(*raw, true);
    std::vector<size_t> drop;
    for (size_t i = 0; i < text.words().size(); ++i) {
      const std::string& w = text.words()[i].text;
      if (!SoleReference(w) && JudgeNetworks(w, policy).Grants()) drop.push_back(i);
    }
    if (!drop.empty()) {
      const int line = config.main_cf.Line(kParam).value_or(0);
      const std::string before = config.main_cf.Get(kParam).value_or("");
      for (auto it = drop.rbegin(); it != drop.rend(); ++it) text.Remove(*it, *it);
      config.main_cf.SetRawValue(kParam, text.text());
      r.changed.push_back(absl::StrCat(Basename(config.main_cf_path), ":", line, " ", kParam));
      if (!r.drift) {
        r.drift = SettingDrift{kParam, before, config.main_cf.Get(kParam).value_or(""), listener,
                               config.MainWhere(line)};
      }
    }
  }
  // What the service allows now, with mynetworks as the policy has it.
  std::vector<std::string> networks;
  for (const Cidr& c : RelayClients(policy)) networks.push_back(PostfixNetwork(c));
  auto lookup = [&](const std::string& name) {
    return name == "mynetworks" ? absl::StrJoin(networks, " ")
                                : config.Expanded(service_line, name);
  };
  std::optional<std::string> now = ExpandSimple(config.main_cf.Get(kParam).value_or(""), lookup);
  if (!now || JudgeNetworks(*now, policy).Grants()) {
    r.unfixable = absl::StrCat(kParam, " (", Where(config, service_line),
                               ") still lets strangers send XCLIENT through what it refers to");
  }
  return r;
}

}  // namespace relayguard::agent::postfix
