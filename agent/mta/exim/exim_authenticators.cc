#include "agent/mta/exim/exim_authenticators.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "agent/mta/exim/exim_config_text.h"
#include "common/cidr.h"
#include "common/status_macros.h"

namespace relayguard::agent::exim {
namespace {

constexpr absl::string_view kRelayguardPrefix = "relayguard_";

// A path goes into an Exim expansion (lsearch{PATH}) or a socket option: only characters that
// mean nothing to Exim's expander or its list syntax.
bool SafePath(absl::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  return std::all_of(path.begin(), path.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '_' ||
           c == '-' || c == '@' || c == '+';
  });
}

bool InAuthPart(const ConfigText& text, const LogicalLine& l) {
  if (l.is_begin) return false;
  return text.has_sections() ? l.section == "authenticators" : true;
}

// The address a listener's condition can name: its declared bind when that is one address
// other than a wildcard.
std::optional<std::string> BindAddress(const Listener& l) {
  absl::StatusOr<IpAddress> ip = ParseIpAddress(l.bind);
  if (!ip.ok()) return std::nullopt;
  const std::string text = ip->ToString();
  if (text == "0.0.0.0" || text == "::") return std::nullopt;
  return text;
}

std::string ListenerCondition(const Listener& l, const std::vector<Listener>& others) {
  const std::string port = absl::StrCat("eq{$received_port}{", l.endpoint.port, "}");
  const bool shared = std::any_of(others.begin(), others.end(), [&](const Listener& o) {
    return o.endpoint.port == l.endpoint.port;
  });
  std::optional<std::string> ip = BindAddress(l);
  if (!shared || !ip) return port;
  return absl::StrCat("and{{", port, "}{eq{$received_ip_address}{", *ip, "}}}");
}

std::string PasswordFileCondition(const std::string& path, absl::string_view user,
                                  absl::string_view password) {
  return absl::StrCat("${if crypteq{", password, "}{${extract{1}{:}{${lookup{", user, "}lsearch{",
                      path, "}{$value}{*:*}}}}}}");
}

absl::Status NothingChanged(const absl::Status& status) {
  return absl::InvalidArgumentError(absl::StrCat(status.message(), " — nothing was changed"));
}

// "name = value", "name", "no_name": the option's name and value ("" when it has none).
std::optional<std::pair<std::string, std::string>> ParseOption(absl::string_view s) {
  absl::string_view name = ReadName(s);
  if (name.empty()) return std::nullopt;
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(s.substr(name.size()));
  if (rest.empty()) return std::make_pair(std::string(name), std::string());
  if (!absl::ConsumePrefix(&rest, "=")) return std::nullopt;
  return std::make_pair(std::string(name), std::string(absl::StripAsciiWhitespace(rest)));
}

// The desired lines of relayguard's authenticators, marker first.
std::vector<std::string> DesiredLines(const EximAuthWant& want) {
  std::vector<std::string> lines = {std::string(kAuthMarker)};
  for (AuthMechanism m : want.mechanisms) {
    lines.push_back(absl::StrCat(AuthenticatorName(m), ":"));
    for (const auto& [name, value] : AuthenticatorOptions(want, m)) {
      lines.push_back(absl::StrCat("  ", name, " = ", value));
    }
  }
  return lines;
}

// Where relayguard's authenticators go when there are none yet: after the last line of the
// authenticators part (a client authenticator's options may sit in .ifdef blocks there: they
// stay with it), outside any .ifdef block; nullopt when the file has no such part.
std::optional<size_t> EndOfAuthPart(const ConfigText& text) {
  if (!text.has_sections()) return text.lines().size();
  std::optional<size_t> last;
  for (const LogicalLine& l : text.logical()) {
    if (l.section == "authenticators") last = l.last;
  }
  if (!last) return std::nullopt;
  size_t at = *last + 1;
  while (at < text.lines().size() && text.BranchAfter(at - 1) != kTopLevel) ++at;
  return at;
}

}  // namespace

EximAuthWant AuthWantFor(const AuthSettings& auth, const std::vector<Listener>& listeners) {
  EximAuthWant want;
  want.backend = auth.backend;
  want.path = auth.path;
  want.mechanisms = auth.mechanisms;
  want.tls_only = auth.tls_only;
  for (const Listener& l : listeners) {
    (OffersAuth(auth, l) ? want.offering : want.others).push_back(l);
  }
  return want;
}

std::string UnsupportedEximBackend(SaslBackend backend) {
  if (backend == SaslBackend::kDovecot || backend == SaslBackend::kPasswordFile) return "";
  return absl::StrCat(
      "auth.backend ", SaslBackendName(backend),
      " is a Cyrus SASL backend relayguard configures for Sendmail only; for Exim use "
      "auth.backend dovecot (Exim's dovecot authenticator, exim4-daemon-heavy) or password-file "
      "(Exim's plaintext authenticator with crypteq over a \"user:crypt-hash\" file)");
}

const char* EximDriverFor(SaslBackend backend) {
  return backend == SaslBackend::kDovecot ? "dovecot" : "plaintext";
}

std::string AuthenticatorName(AuthMechanism mechanism) {
  return absl::StrCat(kRelayguardPrefix, absl::AsciiStrToLower(AuthMechanismName(mechanism)));
}

std::string AdvertiseCondition(const EximAuthWant& want) {
  std::vector<std::string> parts;
  if (!want.others.empty()) {
    if (want.offering.empty()) return "no";
    std::vector<std::string> ors;
    for (const Listener& l : want.offering) {
      std::string c = ListenerCondition(l, want.others);
      if (std::find(ors.begin(), ors.end(), c) == ors.end()) ors.push_back(std::move(c));
    }
    parts.push_back(ors.size() == 1 ? ors[0]
                                    : absl::StrCat("or{{", absl::StrJoin(ors, "}{"), "}}"));
  }
  if (want.tls_only) parts.insert(parts.begin(), "!eq{$tls_in_cipher}{}");
  if (parts.empty()) return "";
  const std::string condition =
      parts.size() == 1 ? parts[0] : absl::StrCat("and{{", absl::StrJoin(parts, "}{"), "}}");
  return absl::StrCat("${if ", condition, "{yes}{no}}");
}

std::vector<std::pair<std::string, std::string>> AuthenticatorOptions(const EximAuthWant& want,
                                                                      AuthMechanism mechanism) {
  std::vector<std::pair<std::string, std::string>> o;
  const bool plain = mechanism == AuthMechanism::kPlain;
  o.emplace_back("driver", EximDriverFor(want.backend));
  o.emplace_back("public_name", AuthMechanismName(mechanism));
  if (want.backend == SaslBackend::kDovecot) {
    o.emplace_back("server_socket", want.path);
    o.emplace_back("server_set_id", "$auth1");
  } else {
    // PLAIN: $auth2 user, $auth3 password; LOGIN: $auth1, $auth2 (verified in the SASL lab).
    o.emplace_back("server_prompts", plain ? ":" : "\"Username:: : Password::\"");
    o.emplace_back("server_condition", plain
                                           ? PasswordFileCondition(want.path, "$auth2", "$auth3")
                                           : PasswordFileCondition(want.path, "$auth1", "$auth2"));
    o.emplace_back("server_set_id", plain ? "$auth2" : "$auth1");
  }
  std::string advertise = AdvertiseCondition(want);
  if (!advertise.empty()) o.emplace_back("server_advertise_condition", std::move(advertise));
  return o;
}

std::optional<std::string> EximAuthenticator::Option(absl::string_view name) const {
  std::optional<std::string> value;
  for (const auto& [n, v] : options) {
    if (n == name) value = v;
  }
  return value;
}

absl::StatusOr<std::vector<EximAuthenticator>> ReadAuthenticators(absl::string_view input,
                                                                  absl::string_view path) {
  ASSIGN_OR_RETURN(ConfigText text, ConfigText::Parse(input, path));
  std::vector<EximAuthenticator> out;
  for (const LogicalLine& l : text.logical()) {
    if (!InAuthPart(text, l)) continue;
    absl::string_view s = l.text;
    absl::string_view name = ReadName(s);
    absl::string_view after = absl::StripLeadingAsciiWhitespace(s.substr(name.size()));
    if (!name.empty() && absl::StartsWith(after, ":")) {
      EximAuthenticator a;
      a.name = std::string(name);
      a.first = l.first;
      a.last = l.last;
      a.conditional = text.lines()[l.first].branch != kTopLevel;
      a.where = text.Where(l.first);
      out.push_back(std::move(a));
      s = absl::StripLeadingAsciiWhitespace(after.substr(1));
      if (s.empty()) continue;
    }
    if (ParseMacroDefinition(s)) continue;
    std::optional<std::pair<std::string, std::string>> option = ParseOption(s);
    if (!option) continue;
    if (out.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(text.Where(l.first), ": authenticator option \"", option->first,
                       "\" before any authenticator name (\"NAME:\")"));
    }
    EximAuthenticator& a = out.back();
    a.server |= absl::StartsWith(option->first, "server_");
    a.options.push_back(std::move(*option));
    a.option_lines.push_back(l.first);
    a.last = l.last;
  }
  for (EximAuthenticator& a : out) {
    a.public_name = absl::AsciiStrToUpper(a.Option("public_name").value_or(a.name));
  }
  return out;
}

absl::StatusOr<EximEdit> EditAuthenticators(absl::string_view input, const EximAuthWant& want,
                                            absl::string_view path) {
  if (std::string why = UnsupportedEximBackend(want.backend); !why.empty()) {
    return NothingChanged(absl::InvalidArgumentError(why));
  }
  if (!SafePath(want.path)) {
    return NothingChanged(absl::InvalidArgumentError(absl::StrCat(
        "auth.path \"", want.path,
        "\" cannot be written into Exim's configuration (an absolute path of letters, digits and "
        "/._-@+ only)")));
  }
  absl::StatusOr<ConfigText> parsed = ConfigText::Parse(input, path);
  if (!parsed.ok()) return NothingChanged(parsed.status());
  const ConfigText& text = *parsed;
  absl::StatusOr<std::vector<EximAuthenticator>> read = ReadAuthenticators(input, path);
  if (!read.ok()) return NothingChanged(read.status());
  std::set<std::string> wanted;
  for (AuthMechanism m : want.mechanisms) wanted.insert(AuthMechanismName(m));
  std::set<size_t> ours;  // physical lines of relayguard's authenticators and marker
  for (const EximAuthenticator& a : *read) {
    if (absl::StartsWith(a.name, kRelayguardPrefix)) {
      for (size_t p = a.first; p <= a.last; ++p) ours.insert(p);
      continue;
    }
    if (a.server && wanted.count(a.public_name)) {
      return NothingChanged(absl::InvalidArgumentError(absl::StrCat(
          a.where, ": authenticator ", a.name, " already offers AUTH ", a.public_name,
          " as a server, and Exim refuses two server authenticators with one public_name: "
          "remove it (relayguard writes ",
          kRelayguardPrefix, absl::AsciiStrToLower(a.public_name),
          " for the policy's backend) or leave ", a.public_name, " out of auth.mechanisms")));
    }
  }
  for (size_t p = 0; p < text.lines().size(); ++p) {
    if (absl::StripAsciiWhitespace(text.lines()[p].content) == kAuthMarker) ours.insert(p);
  }
  const std::vector<std::string> desired = DesiredLines(want);
  std::vector<std::string> current;
  for (size_t p : ours) current.push_back(text.lines()[p].content);
  EximEdit edit;
  if (current == desired) {
    edit.text = std::string(input);
    return edit;
  }
  TextEditor editor(text);
  for (size_t p : ours) editor.Remove(p);
  if (!ours.empty()) {
    for (const std::string& line : desired) editor.InsertBefore(*ours.begin(), line);
  } else if (std::optional<size_t> at = EndOfAuthPart(text)) {
    if (*at > 0 && text.lines()[*at - 1].kind != LineKind::kBlank) editor.InsertBefore(*at, "");
    for (const std::string& line : desired) editor.InsertBefore(*at, line);
  } else {
    const size_t end = text.lines().size();
    editor.InsertBefore(end, "");
    editor.InsertBefore(end, "begin authenticators");
    editor.InsertBefore(end, "");
    for (const std::string& line : desired) editor.InsertBefore(end, line);
  }
  edit.text = editor.Render();
  edit.changed.push_back("authenticators");
  return edit;
}

}  // namespace relayguard::agent::exim
