// SMTP AUTH in Debian's Exim configuration (update-exim4.conf): where relayguard writes its
// authenticators, as Debian's admin would. Pure: no files, no processes.
//
// Split configuration (dc_use_split_config='true'): a file of relayguard's own,
// conf.d/auth/05_relayguard_auth, which update-exim4.conf concatenates after
// conf.d/auth/00_exim4-config_header ("begin authenticators"); created by an apply, removed by
// the rollback. Non-split: a marked block right after "begin authenticators" in
// exim4.conf.template (update-exim4.conf offers no include or macro hook for authenticators, and
// exim4.conf.localmacros is read before "begin acl", so it cannot hold them).
// The authenticators themselves are exim_authenticators.h's (EditAuthenticators).
#ifndef RELAYGUARD_AGENT_MTA_EXIM_EXIM_DEBIAN_AUTH_H_
#define RELAYGUARD_AGENT_MTA_EXIM_EXIM_DEBIAN_AUTH_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/mta/exim/exim_authenticators.h"
#include "agent/mta/exim/exim_edit.h"

namespace relayguard::agent::exim {

// relayguard's file in a split configuration, relative to the Debian directory.
inline constexpr absl::string_view kDebianAuthFile = "conf.d/auth/05_relayguard_auth";

// The first lines of a conf.d/auth file relayguard creates.
inline constexpr absl::string_view kDebianAuthFileHeader =
    "### conf.d/auth/05_relayguard_auth\n"
    "# Written by relayguard-agent for the auth section of the relay policy; a rollback removes\n"
    "# it. Edit the policy, not this file.\n";

// Whether update-exim4.conf.conf `text` selects the split configuration (dc_use_split_config
// 'true', any case; the last assignment counts; unset is non-split, as update-exim4.conf says).
// InvalidArgument ("PATH:LINE: ...") on a line ParseUpdateExim4Conf refuses.
absl::StatusOr<bool> DebianSplitConfig(absl::string_view text, absl::string_view path);

// The new contents of relayguard's conf.d/auth file: `current` ("" when it does not exist yet:
// kDebianAuthFileHeader, then the authenticators) edited so that relayguard's authenticators are
// those `want` describes. Idempotent. InvalidArgument as EditAuthenticators.
absl::StatusOr<EximEdit> EditDebianAuthFile(absl::string_view current, const EximAuthWant& want,
                                            absl::string_view path);

// exim4.conf.template with relayguard's marked block right after its (top-level)
// "begin authenticators" line, or the block already there replaced in place; every other byte
// kept. Idempotent. InvalidArgument ("PATH: ... — nothing was changed") when the template has
// no "begin authenticators"; as EditAuthenticators otherwise (an admin's server authenticator of
// a wanted mechanism is refused with its PATH:LINE).
absl::StatusOr<EximEdit> EditDebianTemplate(absl::string_view text, const EximAuthWant& want,
                                            absl::string_view path);

// Whether the main part of the generated configuration `text` defines macro `name`
// ("MAIN_TLS_ENABLE = yes" from exim4.conf.localmacros or conf.d/main/); a definition inside an
// .ifdef branch counts too.
bool DefinesMacro(absl::string_view text, absl::string_view name);

}  // namespace relayguard::agent::exim

#endif  // RELAYGUARD_AGENT_MTA_EXIM_EXIM_DEBIAN_AUTH_H_
