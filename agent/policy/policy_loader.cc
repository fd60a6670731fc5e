#include "agent/policy/policy_loader.h"

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/hostname.h"
#include "common/schedule.h"
#include "common/status_macros.h"
#include "common/yaml_fields.h"

namespace relayguard::agent {
namespace {

constexpr size_t kMaxNameLength = 64;
constexpr int64_t kMaxPolicyFileBytes = 1 << 20;

// The generic positioned-error helpers live in common/yaml_fields.h; the short names read better
// in the many messages below.
std::string Quoted(const std::string& value) { return YamlQuoted(value); }
std::string Position(const YAML::Mark& mark) { return YamlPosition(mark); }
std::string KindName(const YAML::Node& node) { return YamlKindName(node); }
bool IsPlain(const YAML::Node& node) { return IsPlainScalar(node); }

bool IsValidName(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    const bool alnum = absl::ascii_isdigit(c) || (c >= 'a' && c <= 'z');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
  }
  return true;
}

// local@domain with a conservative local part (letters, digits, ". _ + = -"): the address goes
// into SMTP commands, so nothing that needs quoting is accepted.
std::string MailAddressProblem(const std::string& address) {
  const std::vector<std::string> parts = absl::StrSplit(address, '@');
  if (parts.size() != 2) return "must be local@domain with exactly one '@'";
  const std::string& local = parts[0];
  if (local.empty()) return "the local part before '@' is empty";
  if (local.size() > 64) return "the local part before '@' is longer than 64 characters";
  for (char c : local) {
    const auto u = static_cast<unsigned char>(c);
    if (!absl::ascii_isalnum(u) && c != '.' && c != '_' && c != '+' && c != '=' && c != '-') {
      return absl::StrCat("the local part contains ", Quoted(std::string(1, c)),
                          "; only letters, digits and . _ + = - are allowed");
    }
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string::npos) {
    return "the local part must not start or end with '.' or contain \"..\"";
  }
  if (!ValidHostName(parts[1])) {
    return absl::StrCat("the domain ", Quoted(parts[1]), " is not a valid hostname");
  }
  return "";
}

// Walks the YAML tree and fills a Policy; the first problem found is returned.
class PolicyParser : public YamlFieldReader {
 public:
  explicit PolicyParser(std::string source)
      : YamlFieldReader(std::move(source), "playbook") {}

  absl::StatusOr<Policy> Parse(const YAML::Node& root);

 private:
  absl::Status ParseTop(const YAML::Node& root, Policy& policy);
  absl::Status ParseRelay(const YAML::Node& relay, Policy& policy);
  absl::Status ParseNetworks(const YAML::Node& list, const std::string& field, bool allow_empty,
                             std::vector<Cidr>& out);
  absl::Status ParseListeners(const YAML::Node& node, Policy& policy);
  absl::Status CheckUntrustedSourceOutside(const YAML::Node& root, const Policy& policy);
  absl::Status CheckSourceOutside(const YAML::Node& root, const Policy& policy,
                                  const IpAddress& source, const char* key);
  absl::Status ParseRelayDomains(const YAML::Node& list, Policy& policy);
  absl::Status ParseTls(const YAML::Node& node, Policy& policy);
  absl::Status ParseProbe(const YAML::Node& probe, ProbeSettings& settings);
  absl::Status ParseCompliance(const YAML::Node& node, Policy& policy);
  absl::Status ParseAuth(const YAML::Node& node, Policy& policy);
  absl::Status ParseAuthListeners(const YAML::Node& list, const Policy& policy,
                                  AuthListeners& out);
  absl::Status CheckRequireAuthHasBackend(const YAML::Node& root, const Policy& policy);
  absl::StatusOr<std::string> AbsolutePath(const YAML::Node& node, const std::string& field,
                                           const std::string& what, bool socket);
  absl::StatusOr<IpAddress> Address(const YAML::Node& node, const std::string& field);
  absl::StatusOr<std::string> MailAddress(const YAML::Node& node, const std::string& field);
};

absl::StatusOr<Policy> PolicyParser::Parse(const YAML::Node& root) {
  Policy policy;
  policy.source = source();
  // The defaults documented in policy.h and playbooks/README.md.
  policy.probe.untrusted_source = *ParseIpAddress("127.0.0.9");
  policy.probe.trusted_source = *ParseIpAddress("127.0.0.1");
  RETURN_IF_ERROR(ParseTop(root, policy));
  return policy;
}

absl::Status PolicyParser::ParseTop(const YAML::Node& root, Policy& policy) {
  RETURN_IF_ERROR(CheckMapping(
      root, "",
      {"name", "version", "description", "relay", "probe", "listeners", "compliance", "auth"}));
  RETURN_IF_ERROR(Require(root, "", "name"));
  RETURN_IF_ERROR(Require(root, "", "version"));
  RETURN_IF_ERROR(Require(root, "", "relay"));

  const YAML::Node name = root["name"];
  ASSIGN_OR_RETURN(policy.name, String(name, "name"));
  if (!IsValidName(policy.name)) {
    return Fail(name, "name",
                absl::StrCat(Quoted(policy.name),
                             " is not a valid name: use lower-case letters, "
                             "digits, '.', '_' and '-', starting with a letter or digit, at most ",
                             kMaxNameLength, " characters"));
  }
  ASSIGN_OR_RETURN(policy.version, Integer(root["version"], "version", 1, UINT64_MAX));
  if (const YAML::Node description = root["description"]) {
    ASSIGN_OR_RETURN(policy.description, String(description, "description"));
  }
  RETURN_IF_ERROR(ParseRelay(root["relay"], policy));
  if (const YAML::Node probe = root["probe"]) RETURN_IF_ERROR(ParseProbe(probe, policy.probe));
  if (const YAML::Node listeners = root["listeners"]) {
    RETURN_IF_ERROR(ParseListeners(listeners, policy));
  }
  if (const YAML::Node compliance = root["compliance"]) {
    RETURN_IF_ERROR(ParseCompliance(compliance, policy));
  }
  if (const YAML::Node auth = root["auth"]) RETURN_IF_ERROR(ParseAuth(auth, policy));
  RETURN_IF_ERROR(CheckRequireAuthHasBackend(root, policy));
  return CheckUntrustedSourceOutside(root, policy);
}

// The untrusted probe must come from outside every trusted network and partner, or relaying
// from it is allowed by design and verification could never pass.
absl::Status PolicyParser::CheckUntrustedSourceOutside(const YAML::Node& root,
                                                       const Policy& policy) {
  RETURN_IF_ERROR(
      CheckSourceOutside(root, policy, policy.probe.untrusted_source, "untrusted_source"));
  if (policy.probe.untrusted_source_v6) {
    RETURN_IF_ERROR(
        CheckSourceOutside(root, policy, *policy.probe.untrusted_source_v6, "untrusted_source_v6"));
  }
  return absl::OkStatus();
}

absl::Status PolicyParser::CheckSourceOutside(const YAML::Node& root, const Policy& policy,
                                              const IpAddress& source, const char* key) {
  struct Kind {
    const std::vector<Cidr>* networks;
    const char* name;
    const char* key;
    const char* field;
  };
  for (const Kind& kind :
       {Kind{&policy.trusted_networks, "trusted", "trusted_networks", "relay.trusted_networks"},
        Kind{&policy.partners, "partner", "partners", "relay.partners"}}) {
    const std::vector<Cidr>& networks = *kind.networks;
    for (size_t i = 0; i < networks.size(); ++i) {
      const Cidr& network = networks[i];
      if (network.address.family != source.family || !network.Contains(source)) continue;
      // At the probe's address when the playbook gives one, else at the network.
      const YAML::Node probe = root["probe"];
      const YAML::Node at = probe && probe[key] ? probe[key]
                            : probe             ? probe
                                                : root["relay"][kind.key][i];
      return Fail(at, absl::StrCat("probe.", key),
                  absl::StrCat(source.ToString(), " lies inside ", kind.name, " network ",
                               network.ToString(),
                               ": the untrusted probe would be allowed to "
                               "relay; pick an address outside ",
                               kind.field));
    }
  }
  return absl::OkStatus();
}

absl::Status PolicyParser::ParseRelay(const YAML::Node& relay, Policy& policy) {
  RETURN_IF_ERROR(CheckMapping(
      relay, "relay", {"trusted_networks", "partners", "relay_domains", "require_auth", "tls"}));
  RETURN_IF_ERROR(Require(relay, "relay", "trusted_networks"));
  RETURN_IF_ERROR(ParseNetworks(relay["trusted_networks"], "relay.trusted_networks",
                                /*allow_empty=*/false, policy.trusted_networks));
  if (const YAML::Node partners = relay["partners"]) {
    RETURN_IF_ERROR(
        ParseNetworks(partners, "relay.partners", /*allow_empty=*/true, policy.partners));
  }
  if (const YAML::Node domains = relay["relay_domains"]) {
    RETURN_IF_ERROR(ParseRelayDomains(domains, policy));
  }
  if (const YAML::Node auth = relay["require_auth"]) {
    ASSIGN_OR_RETURN(policy.require_auth, Bool(auth, "relay.require_auth"));
  }
  if (const YAML::Node tls = relay["tls"]) RETURN_IF_ERROR(ParseTls(tls, policy));
  return absl::OkStatus();
}

absl::Status PolicyParser::ParseNetworks(const YAML::Node& list, const std::string& field,
                                         bool allow_empty, std::vector<Cidr>& out) {
  RETURN_IF_ERROR(CheckList(list, field));
  if (list.size() == 0 && !allow_empty) {
    return Fail(list, field,
                "must list at least one network (e.g. 127.0.0.0/8 for local clients only)");
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node item = list[i];
    const std::string item_field = absl::StrCat(field, "[", i, "]");
    ASSIGN_OR_RETURN(std::string text, String(item, item_field));
    absl::StatusOr<Cidr> cidr = ParseCidr(text);
    if (!cidr.ok()) return Fail(item, item_field, std::string(cidr.status().message()));
    if (cidr->prefix_length == 0) {
      return Fail(item, item_field,
                  absl::StrCat(Quoted(text),
                               " would make every client trusted, i.e. an open relay; list only "
                               "the networks of your own clients"));
    }
    for (size_t j = 0; j < out.size(); ++j) {
      if (out[j] == *cidr) {
        return Fail(item, item_field,
                    absl::StrCat(cidr->ToString(), " is listed twice (also ", field, "[", j, "])"));
      }
    }
    out.push_back(*cidr);
  }
  return absl::OkStatus();
}

// `listeners:` - which listeners only this host uses (agent/mta/listener.h).
absl::Status PolicyParser::ParseListeners(const YAML::Node& node, Policy& policy) {
  RETURN_IF_ERROR(CheckMapping(node, "listeners", {"internal"}));
  const YAML::Node list = node["internal"];
  if (!list) return absl::OkStatus();
  const std::string field = "listeners.internal";
  RETURN_IF_ERROR(CheckList(list, field));
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node item = list[i];
    const std::string item_field = absl::StrCat(field, "[", i, "]");
    ASSIGN_OR_RETURN(std::string text, String(item, item_field));
    absl::StatusOr<SmtpEndpoint> endpoint = ParseSmtpEndpoint(text);
    if (!endpoint.ok()) {
      return Fail(item, item_field,
                  absl::StrCat(endpoint.status().message(),
                               " (write the listener's loopback address and port, e.g. "
                               "127.0.0.1:10025 or [::1]:10025)"));
    }
    if (!IsLoopback(endpoint->host)) {
      return Fail(item, item_field,
                  absl::StrCat(Quoted(text),
                               " is not a loopback address: other hosts can reach a listener "
                               "there, so relayguard probes it (only 127.0.0.0/8 and ::1 "
                               "listeners can be internal)"));
    }
    for (size_t j = 0; j < policy.probe.internal_listeners.size(); ++j) {
      if (policy.probe.internal_listeners[j] == *endpoint) {
        return Fail(
            item, item_field,
            absl::StrCat(endpoint->ToString(), " is listed twice (also ", field, "[", j, "])"));
      }
    }
    policy.probe.internal_listeners.push_back(*endpoint);
  }
  return absl::OkStatus();
}

absl::Status PolicyParser::ParseRelayDomains(const YAML::Node& list, Policy& policy) {
  const std::string field = "relay.relay_domains";
  RETURN_IF_ERROR(CheckList(list, field));
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node item = list[i];
    const std::string item_field = absl::StrCat(field, "[", i, "]");
    ASSIGN_OR_RETURN(std::string domain, String(item, item_field));
    if (!ValidHostName(domain)) {
      return Fail(item, item_field,
                  absl::StrCat(Quoted(domain),
                               " is not a valid domain name (letters, digits, '-' and '.', "
                               "labels of 1 to 63 characters, at most 253 in all)"));
    }
    for (size_t j = 0; j < policy.relay_domains.size(); ++j) {
      if (absl::EqualsIgnoreCase(policy.relay_domains[j], domain)) {
        return Fail(item, item_field,
                    absl::StrCat(Quoted(domain), " is listed twice (also ", field, "[", j, "])"));
      }
    }
    policy.relay_domains.push_back(domain);
  }
  return absl::OkStatus();
}

absl::Status PolicyParser::ParseTls(const YAML::Node& node, Policy& policy) {
  const std::string field = "relay.tls";
  if (node.IsScalar() && IsPlain(node)) {
    const std::string& value = node.Scalar();
    if (value == "none") policy.tls = TlsLevel::kNone;
    if (value == "may") policy.tls = TlsLevel::kMay;
    if (value == "encrypt") policy.tls = TlsLevel::kEncrypt;
    if (policy.tls.has_value()) return absl::OkStatus();
  }
  return Fail(node, field,
              absl::StrCat("expected one of none, may, encrypt (unquoted; leave the field out to "
                           "keep the MTA's TLS settings), got ",
                           KindName(node)));
}

absl::StatusOr<IpAddress> PolicyParser::Address(const YAML::Node& node, const std::string& field) {
  ASSIGN_OR_RETURN(std::string text, String(node, field));
  absl::StatusOr<IpAddress> address = ParseIpAddress(text);
  if (!address.ok()) return Fail(node, field, std::string(address.status().message()));
  return *address;
}

absl::StatusOr<std::string> PolicyParser::MailAddress(const YAML::Node& node,
                                                      const std::string& field) {
  ASSIGN_OR_RETURN(std::string address, String(node, field));
  const std::string problem = MailAddressProblem(address);
  if (!problem.empty()) {
    return Fail(node, field,
                absl::StrCat(Quoted(address), " is not a valid mail address: ", problem));
  }
  return address;
}

absl::Status PolicyParser::ParseProbe(const YAML::Node& probe, ProbeSettings& settings) {
  RETURN_IF_ERROR(CheckMapping(
      probe, "probe",
      {"untrusted_source", "trusted_source", "untrusted_source_v6", "trusted_source_v6", "sender",
       "foreign_recipient", "helo_name", "timeout_ms", "settle_timeout_ms"}));
  if (const YAML::Node n = probe["untrusted_source"]) {
    ASSIGN_OR_RETURN(settings.untrusted_source, Address(n, "probe.untrusted_source"));
  }
  if (const YAML::Node n = probe["trusted_source"]) {
    ASSIGN_OR_RETURN(settings.trusted_source, Address(n, "probe.trusted_source"));
  }
  if (settings.untrusted_source == settings.trusted_source) {
    const YAML::Node n = probe["untrusted_source"] ? probe["untrusted_source"] : probe;
    return Fail(n, "probe.untrusted_source",
                absl::StrCat("must differ from probe.trusted_source (both are ",
                             settings.trusted_source.ToString(), ")"));
  }
  for (const char* key : {"untrusted_source_v6", "trusted_source_v6"}) {
    const YAML::Node n = probe[key];
    if (!n) continue;
    const std::string field = absl::StrCat("probe.", key);
    ASSIGN_OR_RETURN(IpAddress address, Address(n, field));
    if (address.family != IpFamily::kV6) {
      return Fail(n, field,
                  absl::StrCat(address.ToString(),
                               " is not an IPv6 address (it is the source for "
                               "listeners on IPv6 addresses)"));
    }
    if (std::string(key) == "trusted_source_v6") {
      settings.trusted_source_v6 = address;
    } else {
      settings.untrusted_source_v6 = address;
    }
  }
  if (settings.untrusted_source_v6 && *settings.untrusted_source_v6 == settings.trusted_source_v6) {
    return Fail(probe["untrusted_source_v6"], "probe.untrusted_source_v6",
                absl::StrCat("must differ from probe.trusted_source_v6 (both are ",
                             settings.trusted_source_v6.ToString(), ")"));
  }
  if (const YAML::Node n = probe["sender"]) {
    ASSIGN_OR_RETURN(settings.sender, MailAddress(n, "probe.sender"));
  }
  if (const YAML::Node n = probe["foreign_recipient"]) {
    ASSIGN_OR_RETURN(settings.foreign_recipient, MailAddress(n, "probe.foreign_recipient"));
  }
  if (const YAML::Node n = probe["helo_name"]) {
    ASSIGN_OR_RETURN(settings.helo_name, String(n, "probe.helo_name"));
    if (!ValidHostName(settings.helo_name)) {
      return Fail(n, "probe.helo_name",
                  absl::StrCat(Quoted(settings.helo_name), " is not a valid hostname"));
    }
  }
  if (const YAML::Node n = probe["timeout_ms"]) {
    ASSIGN_OR_RETURN(uint64_t ms, Integer(n, "probe.timeout_ms", 100, 120000));
    settings.timeout = std::chrono::milliseconds(ms);
  }
  if (const YAML::Node n = probe["settle_timeout_ms"]) {
    ASSIGN_OR_RETURN(uint64_t ms, Integer(n, "probe.settle_timeout_ms", 0, 300000));
    settings.settle_timeout = std::chrono::milliseconds(ms);
  }
  return absl::OkStatus();
}

}  // namespace

// `compliance:` - the schedule and time zone are checked by parsing them (common/schedule.h),
// so a bad expression is refused when the playbook is loaded, not at the first check.
absl::Status PolicyParser::ParseCompliance(const YAML::Node& node, Policy& policy) {
  RETURN_IF_ERROR(CheckMapping(node, "compliance",
                               {"schedule", "time_zone", "mode", "splay_s",
                                "maintenance_windows", "failure_budget"}));
  RETURN_IF_ERROR(Require(node, "compliance", "schedule"));
  ComplianceSettings c;
  if (const YAML::Node n = node["time_zone"]) {
    ASSIGN_OR_RETURN(c.time_zone, String(n, "compliance.time_zone"));
  }
  const YAML::Node schedule = node["schedule"];
  ASSIGN_OR_RETURN(c.schedule, String(schedule, "compliance.schedule"));
  if (absl::StatusOr<Schedule> parsed = Schedule::Parse(c.schedule, c.time_zone); !parsed.ok()) {
    // An unknown zone is the time zone's fault, not the expression's.
    const bool zone = absl::StrContains(parsed.status().message(), "time zone");
    const YAML::Node at = zone && node["time_zone"] ? node["time_zone"] : schedule;
    return Fail(at, zone ? "compliance.time_zone" : "compliance.schedule",
                std::string(parsed.status().message()));
  }
  if (const YAML::Node n = node["mode"]) {
    absl::StatusOr<ComplianceMode> mode = n.IsScalar() && IsPlain(n)
                                              ? ParseComplianceMode(n.Scalar())
                                              : absl::InvalidArgumentError("not a plain scalar");
    if (mode.ok()) {
      c.mode = *mode;
    } else {
      return Fail(n, "compliance.mode",
                  absl::StrCat("expected audit (report only) or enforce (re-apply on drift), "
                               "unquoted, got ",
                               n.IsScalar() ? Quoted(n.Scalar()) : KindName(n)));
    }
  }
  if (const YAML::Node n = node["splay_s"]) {
    ASSIGN_OR_RETURN(uint64_t splay, Integer(n, "compliance.splay_s", 0, 86400));
    c.splay_s = static_cast<int64_t>(splay);
  }
  if (const YAML::Node n = node["failure_budget"]) {
    ASSIGN_OR_RETURN(uint64_t budget, Integer(n, "compliance.failure_budget", 0, 1000000));
    c.failure_budget = static_cast<int>(budget);
  }
  if (const YAML::Node list = node["maintenance_windows"]) {
    RETURN_IF_ERROR(CheckList(list, "compliance.maintenance_windows"));
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string field = absl::StrCat("compliance.maintenance_windows[", i, "]");
      ASSIGN_OR_RETURN(std::string text, String(list[i], field));
      absl::StatusOr<MaintenanceWindow> window = MaintenanceWindow::Parse(text, c.time_zone);
      if (!window.ok()) return Fail(list[i], field, std::string(window.status().message()));
      c.maintenance_windows.push_back(text);
    }
  }
  policy.compliance = c;
  return absl::OkStatus();
}

// An absolute path to a socket or file that ends up in MTA configuration (Postfix
// smtpd_sasl_path, an Exim server_socket or lsearch, Sendmail.conf): canonical, so two paths
// can be compared by text, and of characters no MTA syntax gives a meaning ($ expands in Exim,
// ':' separates Exim list items, whitespace ends a value).
absl::StatusOr<std::string> PolicyParser::AbsolutePath(const YAML::Node& node,
                                                       const std::string& field,
                                                       const std::string& what, bool socket) {
  ASSIGN_OR_RETURN(std::string path, String(node, field));
  if (path.front() != '/') {
    return Fail(node, field,
                absl::StrCat(Quoted(path), " is not an absolute path; give the full path of ",
                             what, " (starting with '/')"));
  }
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (!absl::ascii_isalnum(u) && c != '/' && c != '.' && c != '_' && c != '-' && c != '+') {
      return Fail(node, field,
                  absl::StrCat(Quoted(path), " contains ", Quoted(std::string(1, c)),
                               "; a path here may hold only letters, digits and / . _ + - (it "
                               "is written into the MTA's configuration)"));
    }
  }
  if (path.size() > 1 && path.back() == '/') {
    return Fail(node, field,
                absl::StrCat(Quoted(path), " ends in '/': name ", what, " itself, not a directory"));
  }
  for (absl::string_view part : absl::StrSplit(absl::string_view(path).substr(1), '/')) {
    if (part.empty() || part == "." || part == "..") {
      return Fail(node, field,
                  absl::StrCat(Quoted(path),
                               " is not a plain path: no \"//\", \".\" or \"..\" components"));
    }
  }
  // sockaddr_un.sun_path holds 108 bytes with the terminating NUL; a longer socket path cannot
  // be connected to, by the MTA or by the agent's preflight.
  constexpr size_t kMaxSocketPath = 107;
  if (socket && path.size() > kMaxSocketPath) {
    return Fail(node, field,
                absl::StrCat(Quoted(path), " is ", path.size(), " bytes; a Unix socket path has at "
                             "most ", kMaxSocketPath));
  }
  return path;
}

// `auth:` - the SASL backend and how AUTH is offered (policy.h AuthSettings). Only checked
// here, never opened: the socket and the credential file are on the mail host, and the playbook
// may be loaded on the controller (the agent reads the credential at apply time).
absl::Status PolicyParser::ParseAuth(const YAML::Node& node, Policy& policy) {
  RETURN_IF_ERROR(CheckMapping(node, "auth",
                               {"backend", "path", "mechanisms", "tls_only", "listeners",
                                "smoke_credential"}));
  RETURN_IF_ERROR(Require(node, "auth", "backend"));
  RETURN_IF_ERROR(Require(node, "auth", "path"));
  RETURN_IF_ERROR(Require(node, "auth", "smoke_credential"));
  AuthSettings a;

  const YAML::Node backend = node["backend"];
  std::optional<SaslBackend> parsed_backend;
  if (backend.IsScalar() && IsPlain(backend)) {
    for (SaslBackend b : {SaslBackend::kDovecot, SaslBackend::kSaslauthd, SaslBackend::kSasldb,
                          SaslBackend::kPasswordFile}) {
      if (backend.Scalar() == SaslBackendName(b)) parsed_backend = b;
    }
  }
  if (!parsed_backend) {
    std::string got = KindName(backend);
    if (backend.IsScalar() && !IsPlain(backend)) {
      got = absl::StrCat("the quoted string ", Quoted(backend.Scalar()));
    }
    return Fail(backend, "auth.backend",
                absl::StrCat("expected one of dovecot, saslauthd, sasldb, password-file "
                             "(unquoted), got ",
                             got));
  }
  a.backend = *parsed_backend;

  const char* what = "";
  bool socket = false;
  switch (a.backend) {
    case SaslBackend::kDovecot:
      what = "Dovecot's auth-client socket";
      socket = true;
      break;
    case SaslBackend::kSaslauthd:
      what = "saslauthd's mux socket";
      socket = true;
      break;
    case SaslBackend::kSasldb:
      what = "the sasldb2 file";
      break;
    case SaslBackend::kPasswordFile:
      what = "the password file";
      break;
  }
  ASSIGN_OR_RETURN(a.path, AbsolutePath(node["path"], "auth.path", what, socket));
  a.path_at = KeyAt("auth.path");

  if (const YAML::Node list = node["mechanisms"]) {
    const std::string field = "auth.mechanisms";
    RETURN_IF_ERROR(CheckList(list, field));
    if (list.size() == 0) {
      return Fail(list, field,
                  "must name at least one mechanism (PLAIN, LOGIN); leave the field out for both");
    }
    a.mechanisms.clear();
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string item_field = absl::StrCat(field, "[", i, "]");
      ASSIGN_OR_RETURN(std::string text, String(list[i], item_field));
      std::optional<AuthMechanism> mechanism;
      for (AuthMechanism m : {AuthMechanism::kPlain, AuthMechanism::kLogin}) {
        if (absl::EqualsIgnoreCase(text, AuthMechanismName(m))) mechanism = m;
      }
      if (!mechanism) {
        return Fail(list[i], item_field,
                    absl::StrCat(Quoted(text),
                                 " is not supported: expected PLAIN or LOGIN (the mechanisms every "
                                 "backend here checks and relayguard verifies)"));
      }
      for (size_t j = 0; j < a.mechanisms.size(); ++j) {
        if (a.mechanisms[j] == *mechanism) {
          return Fail(list[i], item_field,
                      absl::StrCat(AuthMechanismName(*mechanism), " is listed twice (also ",
                                   field, "[", j, "])"));
        }
      }
      a.mechanisms.push_back(*mechanism);
    }
  }
  if (const YAML::Node n = node["tls_only"]) {
    ASSIGN_OR_RETURN(a.tls_only, Bool(n, "auth.tls_only"));
  }
  if (const YAML::Node list = node["listeners"]) {
    RETURN_IF_ERROR(ParseAuthListeners(list, policy, a.listeners));
  }

  const YAML::Node smoke = node["smoke_credential"];
  ASSIGN_OR_RETURN(a.smoke_credential,
                   AbsolutePath(smoke, "auth.smoke_credential",
                                "the root-only file holding USER:PASSWORD", /*socket=*/false));
  if (a.smoke_credential == a.path) {
    return Fail(smoke, "auth.smoke_credential",
                absl::StrCat(Quoted(a.smoke_credential), " is auth.path (", a.path_at,
                             ") too: the smoke credential is a file of its own, mode 600, owned "
                             "by root, holding one line USER:PASSWORD"));
  }
  a.smoke_credential_at = KeyAt("auth.smoke_credential");
  policy.auth = std::move(a);
  return absl::OkStatus();
}

// `auth.listeners:` - roles and listener addresses; when given, only what is listed.
absl::Status PolicyParser::ParseAuthListeners(const YAML::Node& list, const Policy& policy,
                                              AuthListeners& out) {
  const std::string field = "auth.listeners";
  RETURN_IF_ERROR(CheckList(list, field));
  if (list.size() == 0) {
    return Fail(list, field,
                "must name at least one listener (relay, submission or ADDR:PORT); leave the "
                "field out for relay and submission");
  }
  out = AuthListeners{.relay = false, .submission = false, .endpoints = {}};
  std::vector<std::string> seen;  // normalised: "relay", "submission", endpoint text
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node item = list[i];
    const std::string item_field = absl::StrCat(field, "[", i, "]");
    ASSIGN_OR_RETURN(std::string text, String(item, item_field));
    std::string key = text;
    if (text == "relay") {
      out.relay = true;
    } else if (text == "submission") {
      out.submission = true;
    } else {
      if (text.find(':') == std::string::npos) {
        return Fail(item, item_field,
                    absl::StrCat(Quoted(text),
                                 " is not relay, submission or a listener address ADDR:PORT "
                                 "(e.g. 127.0.0.1:587 or [::1]:587)"));
      }
      absl::StatusOr<SmtpEndpoint> endpoint = ParseSmtpEndpoint(text);
      if (!endpoint.ok()) {
        return Fail(item, item_field, std::string(endpoint.status().message()));
      }
      for (size_t j = 0; j < policy.probe.internal_listeners.size(); ++j) {
        if (policy.probe.internal_listeners[j] == *endpoint) {
          return Fail(item, item_field,
                      absl::StrCat(endpoint->ToString(), " is an internal listener (listeners."
                                   "internal[", j, "]): it is never probed, so AUTH on it could "
                                   "not be verified"));
        }
      }
      key = endpoint->ToString();
      out.endpoints.push_back(*endpoint);
    }
    for (size_t j = 0; j < seen.size(); ++j) {
      if (seen[j] == key) {
        return Fail(item, item_field,
                    absl::StrCat(key, " is listed twice (also ", field, "[", j, "])"));
      }
    }
    seen.push_back(key);
  }
  return absl::OkStatus();
}

// With require_auth the trusted networks lose relaying, so without a backend that checks
// passwords no client at all could relay (issue 13: the host silently stopped relaying mail).
absl::Status PolicyParser::CheckRequireAuthHasBackend(const YAML::Node& root,
                                                     const Policy& policy) {
  if (!policy.require_auth || policy.auth.has_value()) return absl::OkStatus();
  return Fail(root["relay"]["require_auth"], "relay.require_auth",
              "true needs an auth: section naming the SASL backend that checks passwords: "
              "without one no client could relay (the trusted networks lose relaying too); see "
              "playbooks/README.md, \"SMTP AUTH\"");
}

absl::StatusOr<Policy> ParsePolicy(const std::string& yaml_text, const std::string& source_name) {
  ASSIGN_OR_RETURN(YAML::Node document,
                   LoadSingleYamlDocument(yaml_text, source_name, "playbook",
                                          "expected a mapping with name, version and relay"));
  try {
    return PolicyParser(source_name).Parse(document);
  } catch (const YAML::Exception& e) {
    // Not expected: the parser only reads nodes whose type it checked.
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ":", Position(e.mark), ": invalid YAML: ", e.msg));
  }
}

absl::StatusOr<Policy> LoadPolicyFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text,
                   ReadSmallTextFile(path, "policy file", kMaxPolicyFileBytes, "a playbook",
                                     "give the path of a playbook .yaml file"));
  return ParsePolicy(text, path);
}

}  // namespace relayguard::agent
