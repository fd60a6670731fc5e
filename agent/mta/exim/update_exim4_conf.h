// Debian's /etc/exim4/update-exim4.conf.conf: the shell fragment of KEY='value' lines that
// update-exim4.conf(8) sources to generate Exim's configuration from exim4.conf.template or
// conf.d/. It turns dc_relay_nets into macro MAIN_RELAY_NETS (used by `hostlist relay_from_hosts`,
// always with " : 127.0.0.1 : ::::1" or " ; 127.0.0.1 ; ::1" appended) and dc_relay_domains into
// MAIN_RELAY_TO_DOMAINS (`domainlist relay_to_domains`). Its lists are ';'-separated: a value
// holding a ';' and not starting with '<' gets "<; " put in front; a value without ';' stays an
// Exim ':' list, where the colons of an IPv6 address would have to be doubled.
#ifndef RELAYGUARD_AGENT_MTA_EXIM_UPDATE_EXIM4_CONF_H_
#define RELAYGUARD_AGENT_MTA_EXIM_UPDATE_EXIM4_CONF_H_

#include <cstddef>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "agent/mta/exim/exim_edit.h"

namespace relayguard::agent::exim {

// One KEY=value line of update-exim4.conf.conf.
struct UpdateExim4Setting {
  std::string key;
  std::string value;  // shell quoting removed
  size_t line = 0;    // physical line number, from 1
};

// Every assignment of `text`, in file order (the shell keeps the last of a repeated key).
// InvalidArgument ("PATH:LINE: ...") for a line that is neither blank, a '#' comment, nor
// KEY='value', KEY="value" (no $, ` or \ inside) or KEY=word, optionally followed by a comment.
absl::StatusOr<std::vector<UpdateExim4Setting>> ParseUpdateExim4Conf(absl::string_view text,
                                                                     absl::string_view path);

// The items update-exim4.conf makes of a dc_* list value, without the 127.0.0.1 and ::1 it adds
// to dc_relay_nets: "192.0.2.0/24 ; 2001:db8::/32" and "<; 2001:db8::/32" as written,
// "10.0.0.0/8 : ::::1" -> {"10.0.0.0/8", "::1"}.
std::vector<std::string> ParseDebianList(absl::string_view value);

// Formats items the way update-exim4.conf(8) documents its lists: "192.0.2.0/24 ; 2001:db8::/32";
// a lone item containing ':' is written "<; 2001:db8::/32" so it is not split at its colons, and
// items whose first starts with '<' get the same "<; " (else it reads as a separator change).
// "" for no items.
std::string FormatDebianList(const std::vector<std::string>& items);

// Sets dc_relay_nets to want.relay_from_hosts and dc_relay_domains to want.relay_to_domains
// (FormatDebianList, in single quotes; every definition of a repeated key), keeping the rest of
// each such line (indentation, a trailing comment) and every other line byte for byte; a missing
// key is appended. A value that already holds the items is left as written. `changed` holds
// "dc_relay_domains" / "dc_relay_nets". Warns when the policy leaves out 127.0.0.1 or ::1 (which
// update-exim4.conf adds anyway) and when dc_eximconfig_configtype is 'none' (no macros are
// generated). InvalidArgument ("PATH:LINE: ... — nothing was changed") on a line
// ParseUpdateExim4Conf refuses.
absl::StatusOr<EximEdit> EditUpdateExim4Conf(absl::string_view text, const EximRelaySettings& want,
                                             absl::string_view path);

}  // namespace relayguard::agent::exim

#endif  // RELAYGUARD_AGENT_MTA_EXIM_UPDATE_EXIM4_CONF_H_
