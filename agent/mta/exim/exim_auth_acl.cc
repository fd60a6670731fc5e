// EditAuthenticatedAccept and AuthDrift (exim_authenticators.h): the RCPT ACL's accept for
// authenticated clients, and a compliance check of the auth part of a configuration.
#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/mta/exim/exim_acl.h"
#include "agent/mta/exim/exim_authenticators.h"
#include "agent/mta/exim/exim_config_text.h"
#include "agent/mta/exim/exim_rcpt_acl.h"
#include "common/status_macros.h"

namespace relayguard::agent::exim {
namespace {

bool IsStar(absl::string_view value) { return absl::StripAsciiWhitespace(value) == "*"; }

// `accept authenticated = *` with nothing but modifiers beside it (Debian's has `control =`).
bool IsAuthenticatedAccept(const AclStatement& s) {
  if (s.verb != "accept") return false;
  bool authenticated = false;
  for (const AclItem& item : s.items) {
    if (item.conditional) return false;
    if (IsAclModifier(item.name)) continue;
    if (item.name != "authenticated" || item.negated || !IsStar(item.value)) return false;
    authenticated = true;
  }
  return authenticated;
}

bool LetsAuthenticatedThrough(const AclStatement& s) {
  return std::any_of(s.items.begin(), s.items.end(), [](const AclItem& item) {
    return item.name == "authenticated" && item.negated && IsStar(item.value);
  });
}

struct AcceptPlace {
  bool present = false;  // authenticated clients already relay
  size_t before = 0;     // physical line the accept goes before when not
  std::string indent;
};

absl::StatusOr<AcceptPlace> FindAcceptPlace(const ConfigText& text, absl::string_view acl_name) {
  ASSIGN_OR_RETURN(Acl acl, ReadAcl(text, text.has_sections() ? "acl" : "", acl_name));
  const std::vector<AclStatement>& st = acl.statements;
  auto check = std::find_if(st.begin(), st.end(), IsRelayCheck);
  if (check == st.end()) {
    return AclError(text, acl.header, acl.name,
                    "has no relay check (require domains = +local_domains : +relay_to_domains) "
                    "to put the accept for authenticated clients before");
  }
  AcceptPlace place;
  place.present =
      std::any_of(st.begin(), check, IsAuthenticatedAccept) ||
      (LetsAuthenticatedThrough(*check) && std::any_of(check + 1, st.end(), IsAuthenticatedAccept));
  place.before = check->first;
  const std::string& content = text.lines()[check->first].content;
  place.indent = content.substr(0, content.find_first_not_of(" \t"));
  return place;
}

// Whether `a` could be advertised without TLS: no server_advertise_condition testing the TLS
// cipher (the Debian examples' `${if eq{$tls_in_cipher}{}{}{*}}`, relayguard's own).
bool TestsTls(absl::string_view condition) {
  return absl::StrContains(condition, "$tls_in_cipher") ||
         absl::StrContains(condition, "$tls_cipher") ||
         absl::StrContains(condition, "${tls_in_cipher}");
}

}  // namespace

absl::StatusOr<EximEdit> EditAuthenticatedAccept(absl::string_view input,
                                                 absl::string_view acl_name,
                                                 absl::string_view path) {
  ASSIGN_OR_RETURN(ConfigText text, ConfigText::Parse(input, path));
  ASSIGN_OR_RETURN(AcceptPlace place, FindAcceptPlace(text, acl_name));
  EximEdit edit;
  if (place.present) {
    edit.text = std::string(input);
    return edit;
  }
  TextEditor editor(text);
  editor.InsertBefore(place.before, absl::StrCat(place.indent, "accept  authenticated = *"));
  edit.text = editor.Render();
  edit.changed.push_back(absl::StrCat(acl_name, " accept authenticated"));
  return edit;
}

absl::StatusOr<std::optional<size_t>> MissingAuthenticatedAccept(absl::string_view input,
                                                                 absl::string_view acl_name,
                                                                 absl::string_view path) {
  ASSIGN_OR_RETURN(ConfigText text, ConfigText::Parse(input, path));
  ASSIGN_OR_RETURN(AcceptPlace place, FindAcceptPlace(text, acl_name));
  if (place.present) return std::nullopt;
  return place.before;
}

absl::StatusOr<std::vector<AuthFinding>> AuthDrift(absl::string_view input,
                                                   const EximAuthWant& want,
                                                   const std::vector<std::string>& rcpt_acls,
                                                   absl::string_view path) {
  ASSIGN_OR_RETURN(ConfigText text, ConfigText::Parse(input, path));
  ASSIGN_OR_RETURN(std::vector<EximAuthenticator> auths, ReadAuthenticators(input, path));
  std::vector<AuthFinding> out;
  // auth_advertise_hosts (main part) decides before any authenticator's own condition.
  std::optional<std::string> advertise_hosts;
  std::string advertise_hosts_where = std::string(path);
  for (const LogicalLine& l : text.logical()) {
    if (!l.section.empty() || l.is_begin) continue;
    absl::string_view s = l.text;
    if (ReadName(s) != "auth_advertise_hosts") continue;
    absl::string_view rest = absl::StripLeadingAsciiWhitespace(s.substr(20));
    if (!absl::ConsumePrefix(&rest, "=")) continue;
    advertise_hosts = std::string(absl::StripAsciiWhitespace(rest));
    advertise_hosts_where = text.Where(l.first);
  }
  if (advertise_hosts && advertise_hosts->empty() && !want.offering.empty()) {
    out.push_back({"auth_advertise_hosts", "", "* (AUTH offered)", advertise_hosts_where});
  }
  for (AuthMechanism m : want.mechanisms) {
    const std::string name = AuthenticatorName(m);
    const char* mech = AuthMechanismName(m);
    auto offering = std::find_if(auths.begin(), auths.end(), [&](const EximAuthenticator& a) {
      return a.server && a.public_name == mech;
    });
    const std::string desired_summary =
        absl::StrCat(name, " (driver ", EximDriverFor(want.backend), ", public_name ", mech, ")");
    if (offering == auths.end()) {
      out.push_back(
          {absl::StrCat("authenticator ", mech), "missing", desired_summary, std::string(path)});
      continue;
    }
    if (offering->name != name) {
      out.push_back({absl::StrCat("authenticator ", mech),
                     absl::StrCat(offering->name, " (the admin's; relayguard cannot vouch for it)"),
                     desired_summary, offering->where});
      continue;
    }
    for (const auto& [option, value] : AuthenticatorOptions(want, m)) {
      std::optional<std::string> have = offering->Option(option);
      if (have == value) continue;
      std::string where = offering->where;
      for (size_t i = 0; i < offering->options.size(); ++i) {
        if (offering->options[i].first == option) where = text.Where(offering->option_lines[i]);
      }
      out.push_back({absl::StrCat("authenticator ", name, " ", option), have.value_or("(unset)"),
                     value, where});
    }
  }
  const bool host_level_tls = advertise_hosts && TestsTls(*advertise_hosts);
  if (want.tls_only && !host_level_tls) {
    for (const EximAuthenticator& a : auths) {
      if (!a.server) continue;
      std::optional<std::string> condition = a.Option("server_advertise_condition");
      if (condition && TestsTls(*condition)) continue;
      out.push_back({"AUTH on plaintext",
                     absl::StrCat("authenticator ", a.name, " (", a.public_name,
                                  ") is advertised without TLS"),
                     "AUTH only after STARTTLS (auth.tls_only)", a.where});
    }
  }
  for (const std::string& acl : rcpt_acls) {
    absl::StatusOr<AcceptPlace> place = FindAcceptPlace(text, acl);
    if (!place.ok()) {
      out.push_back({absl::StrCat("ACL ", acl, " accept authenticated = *"),
                     std::string(place.status().message()), "before the relay check",
                     std::string(path)});
    } else if (!place->present) {
      out.push_back({absl::StrCat("ACL ", acl, " accept authenticated = *"), "missing",
                     "before the relay check", text.Where(place->before)});
    }
  }
  return out;
}

}  // namespace relayguard::agent::exim
