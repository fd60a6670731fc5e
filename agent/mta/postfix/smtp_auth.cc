#include "agent/mta/postfix/smtp_auth.h"

#include <functional>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "agent/mta/postfix/postfix_settings.h"

namespace relayguard::agent::postfix {
namespace {

constexpr const char kAuthEnable[] = "smtpd_sasl_auth_enable";

bool IsYes(absl::string_view value) {
  const std::string v = absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
  return v == "yes" || v == "true";
}

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

const MasterCf::Service* FindService(const MasterCf& master, const std::string& id) {
  for (const MasterCf::Service& s : master.Services()) {
    if (s.Id() == id) return &s;
  }
  return nullptr;
}

// A parameter's value as a service (nullptr: no service) sees it in the current text, and
// where that is decided.
struct Value {
  std::string text;
  std::string where;
};

Value Effective(const PostfixConfig& c, const MasterCf::Service* s, const std::string& name,
                int depth = 0) {
  Value v;
  if (const MasterCf::Override* o = s != nullptr ? s->Find(name) : nullptr) {
    v = {o->value, c.MasterWhere(o->line)};
  } else if (std::optional<std::string> m = c.main_cf.Get(name)) {
    v = {*m, c.MainWhere(c.main_cf.Line(name).value_or(0))};
  } else {
    // Not written: Postfix's default, as postconf expanded it before any edit.
    return {c.Expanded(0, name), c.main_cf_path + " (default)"};
  }
  if (v.text.find('$') != std::string::npos) {
    std::optional<std::string> expanded =
        depth < 8
            ? ExpandSimple(v.text,
                           [&](const std::string& n) { return Effective(c, s, n, depth + 1).text; })
            : std::nullopt;
    v.text = expanded ? *expanded : c.Expanded(s != nullptr ? s->line : 0, name);
  }
  v.text = std::string(absl::StripAsciiWhitespace(v.text));
  return v;
}

std::vector<std::string> LowerList(absl::string_view value) {
  std::vector<std::string> out = SplitPostfixList(value);
  for (std::string& w : out) absl::AsciiStrToLower(&w);
  return out;
}

bool Chrooted(const MasterCf::Service& s, const PostfixVersion& version) {
  return s.chroot == "y" || (s.chroot == "-" && version.major < 3);
}

// One parameter the policy sets on every service that offers AUTH.
struct Desired {
  std::string name;
  std::string value;
  std::function<bool(const std::string&)> holds;
};

struct Offering {
  const AuthService* service;
  const MasterCf::Service* master;  // current text
};

std::vector<Offering> OfferingServices(const PostfixConfig& config,
                                       const std::vector<AuthService>& services) {
  std::vector<Offering> out;
  for (const AuthService& s : services) {
    if (!s.offers || s.internal) continue;
    if (const MasterCf::Service* m = FindService(config.master_cf, s.id)) out.push_back({&s, m});
  }
  return out;
}

std::string QueueDirectory(const PostfixConfig& config) {
  std::string qd = Effective(config, nullptr, "queue_directory").text;
  while (qd.size() > 1 && qd.back() == '/') qd.pop_back();
  return qd;
}

// smtpd_sasl_path for `auth.path`: relative when under the queue directory.
absl::StatusOr<std::string> SaslPathValue(const PostfixConfig& config,
                                          const std::vector<Offering>& offering,
                                          const AuthSettings& auth) {
  const std::string qd = QueueDirectory(config);
  if (!qd.empty() && absl::StartsWith(auth.path, qd + "/")) {
    return auth.path.substr(qd.size() + 1);
  }
  for (const Offering& o : offering) {
    if (!Chrooted(*o.master, config.version)) continue;
    return absl::InvalidArgumentError(absl::StrCat(
        config.MasterWhere(o.master->line), ": service ", o.master->Id(), " (listener ",
        o.service->listener, ") runs chrooted in ", qd,
        " (column 5), so its smtpd cannot reach the Dovecot socket ", auth.path, " (auth.path",
        auth.path_at.empty() ? "" : ", " + auth.path_at,
        ") outside it; put the socket under the queue directory (e.g. ", qd,
        "/private/auth: Dovecot's service auth { unix_listener ", qd,
        "/private/auth { mode = 0660 user = postfix group = postfix } }) or set the service's "
        "chroot column to n"));
  }
  return auth.path;
}

// AUTH only after TLS needs TLS that works on every service that offers AUTH.
absl::Status CheckStartTls(const PostfixConfig& config, const std::vector<Offering>& offering,
                           const AuthSettings& auth) {
  if (!auth.tls_only) return absl::OkStatus();
  for (const Offering& o : offering) {
    std::string cert;
    for (const char* name :
         {"smtpd_tls_cert_file", "smtpd_tls_eccert_file", "smtpd_tls_chain_files"}) {
      if (cert.empty()) cert = Effective(config, o.master, name).text;
    }
    std::string problem;
    if (!o.service->implicit_tls) {
      Value level = Effective(config, o.master, "smtpd_tls_security_level");
      std::string l = absl::AsciiStrToLower(level.text);
      if (l.empty()) {
        // Before smtpd_tls_security_level, STARTTLS was smtpd_use_tls / smtpd_enforce_tls.
        l = IsYes(Effective(config, o.master, "smtpd_enforce_tls").text) ? "encrypt"
            : IsYes(Effective(config, o.master, "smtpd_use_tls").text)   ? "may"
                                                                         : "";
      }
      if (l != "may" && l != "encrypt") {
        problem = absl::StrCat("smtpd_tls_security_level is \"", level.text, "\" (", level.where,
                               "): no STARTTLS");
      }
    }
    if (problem.empty() && cert.empty()) {
      problem = "smtpd_tls_cert_file is empty: no certificate, so no TLS";
    }
    if (problem.empty()) continue;
    return absl::InvalidArgumentError(absl::StrCat(
        "listener ", o.service->listener, ": auth.tls_only is true, but ", problem,
        "; AUTH would never be offered. Set relay.tls: may with a certificate "
        "(smtpd_tls_cert_file and smtpd_tls_key_file in main.cf), or auth.tls_only: false"));
  }
  return absl::OkStatus();
}

// Makes `d` hold for every offering service: in main.cf when one of them inherits it, in each
// service's own override where one says otherwise.
void FixSetting(PostfixConfig& config, const std::vector<AuthService>& services, const Desired& d,
                AuthFix& fix) {
  bool inherited = false;
  for (const Offering& o : OfferingServices(config, services)) {
    inherited = inherited || o.master->Find(d.name) == nullptr;
  }
  const Value global = Effective(config, nullptr, d.name);
  if (inherited && !d.holds(global.text)) {
    fix.drift.push_back({d.name, global.text, d.value, "", global.where});
    std::optional<int> line = config.main_cf.Line(d.name);
    config.main_cf.Set(d.name, d.value);
    const std::string file = Basename(config.main_cf_path);
    fix.changed.push_back(line ? absl::StrCat(file, ":", *line, " ", d.name)
                               : absl::StrCat(file, " ", d.name, " (added)"));
  }
  for (const AuthService& a : services) {
    // Found again each time: an edit reparses master.cf.
    const MasterCf::Service* m = FindService(config.master_cf, a.id);
    if (!a.offers || a.internal || m == nullptr) continue;
    const MasterCf::Override* over = m->Find(d.name);
    if (over == nullptr) continue;
    const Value v = Effective(config, m, d.name);
    if (d.holds(v.text)) continue;
    fix.drift.push_back({d.name, v.text, d.value, a.listener, v.where});
    fix.changed.push_back(absl::StrCat(Basename(config.master_cf_path), ":", over->line, " ",
                                       m->Id(), " -o ", d.name));
    config.master_cf.SetOverride(m->line, d.name, d.value);
  }
}

void SetServiceAuth(PostfixConfig& config, const std::string& id, bool want, AuthFix& fix) {
  const MasterCf::Service* s = FindService(config.master_cf, id);
  if (s == nullptr) return;
  const int line = s->line;
  if (s->Find(kAuthEnable) != nullptr) {
    config.master_cf.SetOverride(line, kAuthEnable, want ? "yes" : "no");
  } else {
    config.master_cf.AddOverride(line, kAuthEnable, want ? "yes" : "no");
  }
  s = config.master_cf.ServiceAt(line);
  const MasterCf::Override* o = s != nullptr ? s->Find(kAuthEnable) : nullptr;
  fix.changed.push_back(absl::StrCat(Basename(config.master_cf_path), ":", o ? o->line : line, " ",
                                     id, " -o ", kAuthEnable));
}

// smtpd_sasl_auth_enable: yes exactly on the services that offer AUTH.
void FixAuthEnable(PostfixConfig& config, const std::vector<AuthService>& services, AuthFix& fix) {
  if (services.empty()) return;
  bool all = true;
  for (const AuthService& s : services) all = all && s.offers && !s.internal;
  bool holds = true;
  for (const AuthService& s : services) {
    const MasterCf::Service* m = FindService(config.master_cf, s.id);
    if (s.internal || m == nullptr) continue;
    const Value v = Effective(config, m, kAuthEnable);
    if (IsYes(v.text) == s.offers) continue;
    holds = false;
    fix.drift.push_back(
        {kAuthEnable, v.text, s.offers ? "yes" : "no (auth.listeners)", s.listener, v.where});
  }
  // Every listener already has it as the policy says (internal ones are not judged).
  if (holds) return;
  const Value global = Effective(config, nullptr, kAuthEnable);
  if (IsYes(global.text) != all && (all || IsYes(global.text))) {
    std::optional<int> line = config.main_cf.Line(kAuthEnable);
    config.main_cf.Set(kAuthEnable, all ? "yes" : "no");
    const std::string file = Basename(config.main_cf_path);
    fix.changed.push_back(line ? absl::StrCat(file, ":", *line, " ", kAuthEnable)
                               : absl::StrCat(file, " ", kAuthEnable, " (added)"));
  }
  for (const AuthService& s : services) {
    const MasterCf::Service* m = FindService(config.master_cf, s.id);
    if (s.internal || m == nullptr) continue;
    if (IsYes(Effective(config, m, kAuthEnable).text) == s.offers) continue;
    SetServiceAuth(config, s.id, s.offers, fix);
  }
}

}  // namespace

absl::Status PostfixCanUse(const AuthSettings& auth) {
  if (auth.backend == SaslBackend::kDovecot) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "auth.backend is ", SaslBackendName(auth.backend),
      ", but Postfix authenticates through Dovecot's auth socket here (smtpd_sasl_type = "
      "dovecot): set auth.backend: dovecot and auth.path to the socket Dovecot's service auth "
      "makes for Postfix"));
}

bool HasMechanismFilter(const PostfixVersion& version) {
  return version.major > 3 || (version.major == 3 && version.minor >= 6);
}

std::string MechanismFilter(const AuthSettings& auth) {
  std::vector<std::string> names;
  for (AuthMechanism m : auth.mechanisms)
    names.push_back(absl::AsciiStrToLower(AuthMechanismName(m)));
  return absl::StrJoin(names, ", ");
}

std::vector<AuthService> AuthServices(const PostfixConfig& config,
                                      const std::vector<PostfixListener>& listeners,
                                      const AuthSettings& auth,
                                      std::vector<std::string>* warnings) {
  std::vector<AuthService> out;
  std::vector<std::pair<std::string, std::string>> skipped;  // service id, unselected listener
  for (const PostfixListener& pl : listeners) {
    const MasterCf::Service* s = config.master_cf.ServiceAt(pl.rules_line);
    if (s == nullptr) continue;
    AuthService* a = nullptr;
    for (AuthService& existing : out) {
      if (existing.id == s->Id()) a = &existing;
    }
    if (a == nullptr) {
      out.push_back({s->Id(), false, true, false, pl.listener.Name()});
      a = &out.back();
    }
    a->internal = a->internal && pl.listener.internal;
    a->implicit_tls = a->implicit_tls || pl.listener.tls == ListenerTls::kImplicit;
    if (pl.listener.internal) continue;
    if (OffersAuth(auth, pl.listener)) {
      a->offers = true;
    } else {
      skipped.emplace_back(s->Id(), pl.listener.Name());
    }
  }
  for (const auto& [id, listener] : skipped) {
    for (const AuthService& a : out) {
      if (a.id != id || !a.offers || warnings == nullptr) continue;
      warnings->push_back(
          absl::StrCat("listener ", listener,
                       ": auth.listeners does not select it, but it is the same smtpd "
                       "service (",
                       id, ") as ", a.listener, ", so it offers AUTH too"));
    }
  }
  return out;
}

absl::StatusOr<AuthFix> FixSmtpAuth(PostfixConfig& config, const std::vector<AuthService>& services,
                                    const AuthSettings& auth) {
  if (absl::Status s = PostfixCanUse(auth); !s.ok()) return s;
  const std::vector<Offering> offering = OfferingServices(config, services);
  AuthFix fix;
  if (!offering.empty()) {
    absl::StatusOr<std::string> path = SaslPathValue(config, offering, auth);
    if (!path.ok()) return path.status();
    if (absl::Status s = CheckStartTls(config, offering, auth); !s.ok()) return s;
    bool chrooted = false;
    for (const Offering& o : offering) chrooted = chrooted || Chrooted(*o.master, config.version);
    const std::string want_path = *path;
    const std::string filter = MechanismFilter(auth);
    std::vector<Desired> desired = {
        {"smtpd_sasl_type", "dovecot",
         [](const std::string& v) { return absl::AsciiStrToLower(v) == "dovecot"; }},
        // An absolute path to the same socket works as well where no AUTH service is chrooted.
        {"smtpd_sasl_path", want_path,
         [&](const std::string& v) { return v == want_path || (v == auth.path && !chrooted); }},
        {"smtpd_sasl_security_options", "noanonymous",
         [](const std::string& v) {
           return LowerList(v) == std::vector<std::string>{"noanonymous"};
         }},
        {"smtpd_tls_auth_only", auth.tls_only ? "yes" : "no",
         [&](const std::string& v) { return IsYes(v) == auth.tls_only; }},
    };
    if (HasMechanismFilter(config.version)) {
      desired.push_back({"smtpd_sasl_mechanism_filter", filter,
                         [&](const std::string& v) { return LowerList(v) == LowerList(filter); }});
    }
    for (const Desired& d : desired) FixSetting(config, services, d, fix);
  }
  FixAuthEnable(config, services, fix);
  return fix;
}

std::vector<SettingDrift> SmtpAuthFindings(const PostfixConfig& config,
                                           const std::vector<AuthService>& services,
                                           const AuthSettings& auth) {
  PostfixConfig copy = config;
  absl::StatusOr<AuthFix> fix = FixSmtpAuth(copy, services, auth);
  if (!fix.ok()) {
    return {
        {"smtp auth", std::string(fix.status().message()), "the policy's auth section", "", ""}};
  }
  return fix->drift;
}

std::string SaslSocketPath(const PostfixConfig& config) {
  // smtpd_sasl_path means something else for Cyrus (its default "smtpd" is an app name).
  if (absl::AsciiStrToLower(Effective(config, nullptr, "smtpd_sasl_type").text) != "dovecot") {
    return "";
  }
  const std::string path = Effective(config, nullptr, "smtpd_sasl_path").text;
  if (path.empty() || absl::StartsWith(path, "inet:")) return "";
  if (path.front() == '/') return path;
  return QueueDirectory(config) + "/" + path;
}

}  // namespace relayguard::agent::postfix
