// EximDriver's SMTP AUTH part for Debian's configuration (update-exim4.conf): relayguard's
// authenticators in its conf.d/auth file or exim4.conf.template (exim_debian_auth.h), checked
// against the configuration update-exim4.conf generated, which is what the daemon runs.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/mta/exim/exim_authenticators.h"
#include "agent/mta/exim/exim_conf.h"
#include "agent/mta/exim/exim_debian_auth.h"
#include "agent/mta/exim/exim_driver.h"
#include "common/status_macros.h"

namespace relayguard::agent::exim {
namespace {

absl::Status Refuse(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(why, " — nothing was changed"));
}

}  // namespace

absl::StatusOr<EximEdit> EximDriver::RenderDebianAuth(const Policy& policy,
                                                      const std::string& conf,
                                                      const FileContents& current,
                                                      std::string& path) {
  const AuthSettings& auth = *policy.auth;
  if (std::string why = UnsupportedEximBackend(auth.backend); !why.empty()) return Refuse(why);
  // What the daemon runs decides which listeners offer AUTH, and whether the RCPT ACL (Debian's,
  // which relayguard does not edit) lets authenticated clients relay.
  absl::StatusOr<std::string> generated = fs_.ReadFile(DaemonConfig());
  if (!generated.ok()) {
    return Refuse(absl::StrCat("cannot read ", DaemonConfig(), ", the configuration "
                               "update-exim4.conf generates (run update-exim4.conf first): ",
                               generated.status().message()));
  }
  const std::string& text = *generated;
  absl::StatusOr<std::vector<Listener>> listeners = ListenersOf(text, DaemonConfig(), true);
  if (!listeners.ok()) return Refuse(listeners.status().message());
  const EximAuthWant want = AuthWantFor(auth, *listeners);
  ASSIGN_OR_RETURN(std::vector<std::string> acls, RcptAclNames(text, DaemonConfig()));
  if (acls.empty()) {
    return Refuse(absl::StrCat(DaemonConfig(), ": no acl_smtp_rcpt, so Exim refuses every remote "
                               "recipient and an authenticated client could not relay either"));
  }
  for (const std::string& acl : acls) {
    absl::StatusOr<std::optional<size_t>> missing =
        MissingAuthenticatedAccept(text, acl, DaemonConfig());
    if (!missing.ok()) return Refuse(missing.status().message());
    if (!*missing) continue;
    return Refuse(absl::StrCat(
        DebianSource(text, **missing), ": the RCPT ACL ", acl,
        " has no `accept authenticated = *` before this relay check, so no authenticated client "
        "could relay; relayguard does not edit Debian's ACL files: put `accept authenticated = "
        "*` right before this line (Debian's stock conf.d/acl/30_exim4-config_check_rcpt has "
        "it), run update-exim4.conf, then apply again"));
  }
  // An admin's server authenticator elsewhere (another conf.d/auth file): Exim refuses two
  // server authenticators of one public_name.
  ASSIGN_OR_RETURN(std::vector<EximAuthenticator> auths, ReadAuthenticators(text, DaemonConfig()));
  for (const EximAuthenticator& a : auths) {
    if (absl::StartsWith(a.name, "relayguard_") || !a.server) continue;
    for (AuthMechanism m : want.mechanisms) {
      if (a.public_name != AuthMechanismName(m)) continue;
      return Refuse(absl::StrCat(
          DebianSource(text, a.first), ": authenticator ", a.name, " already offers AUTH ",
          a.public_name, " as a server, and Exim refuses two server authenticators with one "
          "public_name: remove it (relayguard writes ", AuthenticatorName(m),
          ") or leave ", a.public_name, " out of auth.mechanisms"));
    }
  }
  absl::StatusOr<bool> split = DebianSplitConfig(conf, ManagedFile());
  if (!split.ok()) return Refuse(split.status().message());
  absl::StatusOr<EximEdit> edit;
  if (*split) {
    path = DebianAuthFile();
    auto it = current.find(path);
    edit = EditDebianAuthFile(it == current.end() ? "" : it->second, want, path);
  } else {
    path = DebianTemplate();
    auto it = current.find(path);
    if (it == current.end()) {
      return Refuse(absl::StrCat(ManagedFile(), " selects the non-split configuration "
                                 "(dc_use_split_config is not 'true'), but ", path,
                                 " does not exist"));
    }
    edit = EditDebianTemplate(it->second, want, path);
  }
  if (!edit.ok()) return edit.status();
  if (policy.require_auth) {
    edit->warnings.push_back(absl::StrCat(
        ManagedFile(), ": require_auth: dc_relay_nets is emptied, but update-exim4.conf always "
        "adds 127.0.0.1 and ::1 to relay_from_hosts and Debian's RCPT ACL accepts "
        "+relay_from_hosts before it asks for AUTH: clients on this host still relay without "
        "authenticating; every other client needs AUTH"));
  }
  return edit;
}

}  // namespace relayguard::agent::exim
