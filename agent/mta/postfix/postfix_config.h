// One Postfix configuration as relayguard judges it: main.cf and master.cf as written (to edit
// them byte for byte) and the effective value of each parameter that matters, as each smtpd
// service sees it (main.cf, then the service's -o overrides, with $name expanded the way
// Postfix does: `postconf -x -o name=value ...`). Pure data; the driver fills it in.
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_POSTFIX_CONFIG_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_POSTFIX_CONFIG_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "agent/mta/postfix/main_cf.h"
#include "agent/mta/postfix/master_cf.h"
#include "agent/mta/postfix/postfix_settings.h"

namespace relayguard::agent::postfix {

using ParameterValues = std::map<std::string, std::string>;

struct PostfixConfig {
  std::string main_cf_path;
  std::string master_cf_path;
  MainCf main_cf;
  MasterCf master_cf;
  PostfixVersion version;
  // Expanded values without any service's overrides (inet_interfaces, inet_protocols, ...).
  ParameterValues global;
  // Expanded values as the service starting on that master.cf line sees them.
  std::map<int, ParameterValues> by_service;

  // The expanded value of `name` for the service on `service_line` (0: no service), falling back
  // to `global`; "" when neither knows it (an undefined parameter expands to nothing).
  std::string Expanded(int service_line, absl::string_view name) const;

  // "/etc/postfix/main.cf:31", "/etc/postfix/master.cf:14".
  std::string MainWhere(int line) const;
  std::string MasterWhere(int line) const;
};

// The parameters every smtpd service's judgement reads.
inline constexpr const char* kRelayParameters[] = {
    "mynetworks",
    "mynetworks_style",
    "smtpd_relay_restrictions",
    "smtpd_recipient_restrictions",
    "smtpd_restriction_classes",
    "smtpd_authorized_xclient_hosts",
    "smtpd_tls_wrappermode",
    "smtpd_service_name",
    "relay_domains",
};

// The parameters the SMTP AUTH settings read (smtp_auth.h), expanded like kRelayParameters.
inline constexpr const char* kAuthParameters[] = {
    "queue_directory",          "mail_owner",
    "smtpd_sasl_auth_enable",   "smtpd_sasl_type",
    "smtpd_sasl_path",          "smtpd_sasl_security_options",
    "smtpd_tls_auth_only",      "smtpd_sasl_mechanism_filter",
    "smtpd_tls_security_level", "smtpd_use_tls",
    "smtpd_enforce_tls",        "smtpd_tls_cert_file",
    "smtpd_tls_eccert_file",    "smtpd_tls_chain_files",
};

// The names whose expanded values `service` needs (nullptr: the global view): kRelayParameters,
// kAuthParameters, every main.cf parameter, every override of the service, and every $name they
// mention.
std::vector<std::string> ParametersToExpand(const MainCf& main_cf,
                                            const MasterCf::Service* service);

// The parameter named by `value` when it is exactly one reference ("$name", "${name}",
// "$(name)"), else nullopt.
std::optional<std::string> SoleReference(absl::string_view value);

// Every parameter name `value` refers to ($name, ${name}, $(name), ${name?...}, ${name:...}).
std::vector<std::string> References(absl::string_view value);

// Replaces the simple references in `text` ($name, ${name}, $(name)) with `lookup(name)`.
// nullopt when `text` holds another form ("${name?value}", "${{...}}"): the caller falls back
// to Postfix's own expansion of the whole value.
std::optional<std::string> ExpandSimple(
    absl::string_view text, const std::function<std::string(const std::string&)>& lookup);

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_POSTFIX_CONFIG_H_
