// PostfixDriver, the SMTP AUTH preflight: before relayguard writes smtpd_sasl_type = dovecot,
// this Postfix must have Dovecot SASL support and the socket must answer smtpd's user. A
// missing, unreadable or stale socket makes every smtpd exit ("fatal: no SASL authentication
// mechanisms") and the master throttles the service: no inbound mail at all.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/mta/postfix/postfix_driver.h"
#include "agent/mta/postfix/smtp_auth.h"
#include "common/status_macros.h"

namespace relayguard::agent::postfix {

absl::StatusOr<BackendAnswer> PostfixDriver::PreflightAuth(const Policy& policy,
                                                           const SmokeCredential& credential,
                                                           const FileContents& staged,
                                                           const std::string& /*stage_dir*/) {
  if (!policy.auth) {
    return absl::InvalidArgumentError("the policy has no auth section: nothing to preflight");
  }
  RETURN_IF_ERROR(PostfixCanUse(*policy.auth));
  ASSIGN_OR_RETURN(std::string types, postconf_.Run(options_.config_dir, {"-a"}));
  std::vector<std::string> listed =
      absl::StrSplit(types, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
  if (std::find(listed.begin(), listed.end(), "dovecot") == listed.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("this Postfix has no dovecot SASL support (", options_.postconf_path,
                     " -a: ", listed.empty() ? "nothing" : absl::StrJoin(listed, " "), ")"));
  }
  auto main_it = staged.find(MainCfPath());
  auto master_it = staged.find(MasterCfPath());
  if (main_it == staged.end() || master_it == staged.end()) {
    return absl::InvalidArgumentError("PreflightAuth needs the staged main.cf and master.cf");
  }
  ASSIGN_OR_RETURN(PostfixConfig config, ReadConfig(&main_it->second, &master_it->second));
  // The file smtpd will open: a relative smtpd_sasl_path is under queue_directory, for chrooted
  // and non-chrooted smtpd alike.
  AuthSettings checked = *policy.auth;
  if (std::string socket = SaslSocketPath(config); !socket.empty()) checked.path = socket;
  std::string owner = config.Expanded(0, "mail_owner");
  if (owner.empty()) owner = "postfix";
  absl::StatusOr<BackendAnswer> answer =
      CheckSaslBackend(checked, credential, MtaUser{owner}, policy.probe.timeout);
  if (!answer.ok()) {
    // The backend check names the socket itself; say it once.
    const bool named = absl::StrContains(answer.status().message(), checked.path);
    return absl::Status(
        answer.status().code(),
        absl::StrCat("Postfix's smtpd (user ", owner, ") cannot use the Dovecot auth socket",
                     named ? "" : " " + checked.path, ": ", answer.status().message(),
                     " — with smtpd_sasl_type = dovecot every smtpd would exit (\"fatal: no SASL "
                     "authentication mechanisms\")"));
  }
  ASSIGN_OR_RETURN(PostfixVersion version, ParsedVersion());
  if (!HasMechanismFilter(version)) {
    // Without smtpd_sasl_mechanism_filter smtpd offers whatever Dovecot lists.
    std::vector<std::string> extra;
    for (const std::string& m : answer->mechanisms) {
      bool wanted = false;
      for (AuthMechanism w : policy.auth->mechanisms) {
        wanted = wanted || absl::EqualsIgnoreCase(m, AuthMechanismName(w));
      }
      if (!wanted) extra.push_back(m);
    }
    if (!extra.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "Dovecot at ", checked.path, " offers ", absl::StrJoin(extra, " "),
          " beyond auth.mechanisms, and Postfix ", *version_,
          " has no smtpd_sasl_mechanism_filter (3.6 and later) to hide them: set Dovecot's "
          "auth_mechanisms to the policy's, or list them in auth.mechanisms"));
    }
  }
  return answer;
}

}  // namespace relayguard::agent::postfix
