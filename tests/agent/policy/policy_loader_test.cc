#include "agent/policy/policy_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace relayguard::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kSourceDir = RG_SOURCE_DIR;
const std::string kDataDir = kSourceDir + "/tests/data/policy";

Cidr MustCidr(const std::string& text) {
  absl::StatusOr<Cidr> cidr = ParseCidr(text);
  EXPECT_TRUE(cidr.ok()) << cidr.status();
  return cidr.value_or(Cidr{});
}

IpAddress MustIp(const std::string& text) {
  absl::StatusOr<IpAddress> ip = ParseIpAddress(text);
  EXPECT_TRUE(ip.ok()) << ip.status();
  return ip.value_or(IpAddress{});
}

// ---- Bad playbooks given as text: exact position and field, and the gist of the reason. ----

struct BadCase {
  std::string name;  // test name suffix
  std::string yaml;
  std::string location;  // "LINE:COL"
  std::string field;     // dotted path, "playbook" for the document, "invalid YAML" for syntax
  std::string what;      // substring of the reason
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class ParsePolicyBadTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParsePolicyBadTest, RefusesWithFileLineColumnAndField) {
  const BadCase& c = GetParam();
  absl::StatusOr<Policy> policy = ParsePolicy(c.yaml, "t.yaml");
  ASSERT_FALSE(policy.ok()) << "accepted:\n" << c.yaml;
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(policy.status().message());
  EXPECT_THAT(message, StartsWith("t.yaml:" + c.location + ": " + c.field + ": ")) << c.yaml;
  EXPECT_THAT(message, HasSubstr(c.what));
  EXPECT_EQ(message.find('\n'), std::string::npos) << "message spans lines: " << message;
}

// A valid head; cases append a relay section or replace parts.
constexpr char kHead[] = "name: t\nversion: 1\n";

std::string WithNetworks(const std::string& networks_line) {
  return std::string(kHead) + "relay:\n  trusted_networks: " + networks_line + "\n";
}

std::string WithRelayLine(const std::string& line) {
  return std::string(kHead) + "relay:\n  trusted_networks: [10.9.0.0/16]\n  " + line + "\n";
}

std::string WithProbeLine(const std::string& line) {
  return std::string(kHead) + "relay:\n  trusted_networks: [10.9.0.0/16]\nprobe:\n  " + line + "\n";
}

std::string WithCompliance(const std::string& lines) {
  return std::string(kHead) + "relay:\n  trusted_networks: [10.9.0.0/16]\ncompliance:\n" + lines;
}

// An auth: section from line 6 on; the three required fields as lines to combine.
std::string WithAuth(const std::string& lines) {
  return std::string(kHead) + "relay:\n  trusted_networks: [10.9.0.0/16]\nauth:\n" + lines;
}
constexpr char kBackend[] = "  backend: dovecot\n";
constexpr char kPath[] = "  path: /run/dovecot/auth-client\n";
constexpr char kSmoke[] = "  smoke_credential: /etc/relayguard/smoke-auth\n";
// All three on lines 6..8; a case's own line is line 9.
std::string WithAuthLine(const std::string& line) {
  return WithAuth(std::string(kBackend) + kPath + kSmoke + "  " + line + "\n");
}
// backend and the smoke credential given; `path` is line 7.
std::string WithAuthPath(const std::string& backend, const std::string& path) {
  return WithAuth("  backend: " + backend + "\n  path: " + path + "\n" + kSmoke);
}
// backend and path given; `smoke_credential` is line 8.
std::string WithSmoke(const std::string& smoke) {
  return WithAuth(std::string(kBackend) + kPath + "  smoke_credential: " + smoke + "\n");
}

const BadCase kBadCases[] = {
    // auth: the section (line 5), its fields from line 6 on
    {"AuthSectionScalar", std::string(kHead) + "relay:\n  trusted_networks: [::1]\nauth: dovecot\n",
     "5:7", "auth", "expected a mapping, got the single value \"dovecot\""},
    {"AuthSectionNull", WithAuth(""), "5:1", "auth", "expected a mapping, got an empty value"},
    {"AuthUnknownKey", WithAuth(std::string(kBackend) + "  socket: /run/x\n"), "7:3", "auth.socket",
     "unknown field; expected one of: backend, path, mechanisms, tls_only, listeners, "
     "smoke_credential"},
    {"AuthDuplicateKey", WithAuthLine("backend: sasldb"), "9:3", "auth.backend",
     "duplicate key (first given at 6:3)"},
    {"AuthMissingBackend", WithAuth(std::string(kPath) + kSmoke), "6:3", "auth.backend",
     "required field is missing"},
    {"AuthMissingPath", WithAuth(std::string(kBackend) + kSmoke), "6:3", "auth.path",
     "required field is missing"},
    {"AuthMissingSmokeCredential", WithAuth(std::string(kBackend) + kPath), "6:3",
     "auth.smoke_credential", "required field is missing"},

    // auth.backend
    {"BackendUnknown", WithAuthPath("cyrus", "/run/x"), "6:12", "auth.backend",
     "expected one of dovecot, saslauthd, sasldb, password-file (unquoted), got the single value "
     "\"cyrus\""},
    {"BackendQuoted", WithAuthPath("\"dovecot\"", "/run/x"), "6:12", "auth.backend",
     "got the quoted string \"dovecot\""},
    {"BackendCapital", WithAuthPath("Dovecot", "/run/x"), "6:12", "auth.backend",
     "got the single value \"Dovecot\""},
    {"BackendList", WithAuthPath("[dovecot]", "/run/x"), "6:12", "auth.backend", "got a list"},
    {"BackendNull", WithAuth("  backend:\n" + std::string(kPath) + kSmoke), "6:3", "auth.backend",
     "got an empty value"},

    // auth.path (line 7, value at column 9)
    {"PathRelative", WithAuthPath("dovecot", "private/auth"), "7:9", "auth.path",
     "\"private/auth\" is not an absolute path; give the full path of Dovecot's auth-client "
     "socket (starting with '/')"},
    {"PathRelativeSaslauthd", WithAuthPath("saslauthd", "mux"), "7:9", "auth.path",
     "give the full path of saslauthd's mux socket"},
    {"PathDotDot", WithAuthPath("dovecot", "/var/spool/postfix/../auth"), "7:9", "auth.path",
     "\"/var/spool/postfix/../auth\" is not a plain path: no \"//\", \".\" or \"..\" components"},
    {"PathDot", WithAuthPath("sasldb", "/etc/./sasldb2"), "7:9", "auth.path",
     "is not a plain path"},
    {"PathDoubleSlash", WithAuthPath("sasldb", "/etc//sasldb2"), "7:9", "auth.path",
     "is not a plain path"},
    {"PathRoot", WithAuthPath("sasldb", "/"), "7:9", "auth.path", "is not a plain path"},
    {"PathTrailingSlash", WithAuthPath("dovecot", "/var/spool/postfix/private/"), "7:9",
     "auth.path",
     "\"/var/spool/postfix/private/\" ends in '/': name Dovecot's auth-client socket itself, not "
     "a directory"},
    {"PathTrailingSlashPasswordFile", WithAuthPath("password-file", "/etc/exim4/"), "7:9",
     "auth.path", "name the password file itself"},
    {"PathNewline", WithAuthPath("dovecot", "\"/run/auth\\nsmtpd_sasl_type = cyrus\""), "7:9",
     "auth.path",
     "contains a line break or control character: \"/run/auth\\nsmtpd_sasl_type = cyrus\""},
    {"PathDollar", WithAuthPath("password-file", "\"/etc/${run{/bin/sh}}\""), "7:9", "auth.path",
     "\"/etc/${run{/bin/sh}}\" contains \"$\"; a path here may hold only letters, digits and / . "
     "_ + -"},
    {"PathSpace", WithAuthPath("dovecot", "\"/run/a b\""), "7:9", "auth.path",
     "contains \" \""},
    {"PathColon", WithAuthPath("password-file", "/etc/a:b"), "7:9", "auth.path",
     "contains \":\""},
    {"PathEmpty", WithAuthPath("dovecot", "''"), "7:9", "auth.path", "must not be empty"},
    {"PathList", WithAuthPath("dovecot", "[/run/auth]"), "7:9", "auth.path",
     "expected a single value, got a list"},
    {"SocketPathTooLong", WithAuthPath("dovecot", "/" + std::string(107, 'a')), "7:9", "auth.path",
     "is 108 bytes; a Unix socket path has at most 107"},

    // auth.mechanisms (line 9, value at column 15)
    {"MechanismUnknown", WithAuthLine("mechanisms: [PLAIN, CRAM-MD5]"), "9:23",
     "auth.mechanisms[1]",
     "\"CRAM-MD5\" is not supported: expected PLAIN or LOGIN"},
    {"MechanismsEmpty", WithAuthLine("mechanisms: []"), "9:15", "auth.mechanisms",
     "must name at least one mechanism (PLAIN, LOGIN); leave the field out for both"},
    {"MechanismsScalar", WithAuthLine("mechanisms: PLAIN"), "9:15", "auth.mechanisms",
     "expected a list"},
    {"MechanismTwice", WithAuthLine("mechanisms: [plain, PLAIN]"), "9:23", "auth.mechanisms[1]",
     "PLAIN is listed twice (also auth.mechanisms[0])"},
    {"MechanismNewline", WithAuthLine("mechanisms: [\"PLAIN\\nLOGIN\"]"), "9:16",
     "auth.mechanisms[0]", "contains a line break or control character"},

    // auth.tls_only (value at column 13)
    {"TlsOnlyYes", WithAuthLine("tls_only: yes"), "9:13", "auth.tls_only",
     "expected true or false (unquoted), got the single value \"yes\""},
    {"TlsOnlyQuoted", WithAuthLine("tls_only: \"false\""), "9:13", "auth.tls_only",
     "got the quoted string \"false\""},
    {"TlsOnlyNull", WithAuthLine("tls_only:"), "9:3", "auth.tls_only", "got an empty value"},

    // auth.listeners (value at column 14)
    {"AuthListenersEmpty", WithAuthLine("listeners: []"), "9:14", "auth.listeners",
     "must name at least one listener (relay, submission or ADDR:PORT); leave the field out for "
     "relay and submission"},
    {"AuthListenersScalar", WithAuthLine("listeners: submission"), "9:14", "auth.listeners",
     "expected a list"},
    {"AuthListenerUnknownWord", WithAuthLine("listeners: [relay, smtps]"), "9:22",
     "auth.listeners[1]",
     "\"smtps\" is not relay, submission or a listener address ADDR:PORT (e.g. 127.0.0.1:587 or "
     "[::1]:587)"},
    {"AuthListenerWithoutPort", WithAuthLine("listeners: [127.0.0.1]"), "9:15",
     "auth.listeners[0]", "\"127.0.0.1\" is not relay, submission or a listener address"},
    {"AuthListenerPortZero", WithAuthLine("listeners: [\"127.0.0.1:0\"]"), "9:15",
     "auth.listeners[0]", "\"127.0.0.1:0\": the port must be a number 1..65535"},
    {"AuthListenerV6WithoutBrackets", WithAuthLine("listeners: [\"::1:587\"]"), "9:15",
     "auth.listeners[0]", "\"::1:587\" is not HOST:PORT (IPv6 needs brackets: [::1]:25)"},
    {"AuthListenerHostname", WithAuthLine("listeners: [\"localhost:587\"]"), "9:15",
     "auth.listeners[0]", "the host must be an IP address"},
    {"AuthListenerCapitalRole", WithAuthLine("listeners: [Relay]"), "9:15", "auth.listeners[0]",
     "\"Relay\" is not relay, submission or a listener address"},
    {"AuthListenerRoleTwice", WithAuthLine("listeners: [relay, submission, relay]"), "9:34",
     "auth.listeners[2]", "relay is listed twice (also auth.listeners[0])"},
    {"AuthListenerEndpointTwice",
     WithAuthLine("listeners: [\"127.0.0.1:587\", \"[::1]:587\", \"127.0.0.1:587\"]"), "9:45",
     "auth.listeners[2]", "127.0.0.1:587 is listed twice (also auth.listeners[0])"},
    {"AuthListenerNewline", WithAuthLine("listeners: [\"relay\\n\"]"), "9:15", "auth.listeners[0]",
     "contains a line break or control character"},
    {"AuthListenerInternal",
     std::string(kHead) + "relay:\n  trusted_networks: [::1]\nlisteners:\n"
                          "  internal: [127.0.0.1:10025]\nauth:\n" +
         kBackend + kPath + kSmoke + "  listeners: [\"127.0.0.1:10025\"]\n",
     "11:15", "auth.listeners[0]",
     "127.0.0.1:10025 is an internal listener (listeners.internal[0]): it is never probed, so AUTH "
     "on it could not be verified"},

    // auth.smoke_credential (line 8, value at column 21)
    {"SmokeRelative", WithSmoke("smoke-auth"), "8:21", "auth.smoke_credential",
     "\"smoke-auth\" is not an absolute path; give the full path of the root-only file holding "
     "USER:PASSWORD"},
    {"SmokeIsAuthPath", WithSmoke("/run/dovecot/auth-client"), "8:21", "auth.smoke_credential",
     "\"/run/dovecot/auth-client\" is auth.path (t.yaml:7:3) too: the smoke credential is a file "
     "of its own, mode 600, owned by root, holding one line USER:PASSWORD"},
    {"SmokeTrailingSlash", WithSmoke("/etc/relayguard/"), "8:21", "auth.smoke_credential",
     "ends in '/'"},
    {"SmokeDotDot", WithSmoke("/etc/relayguard/../shadow"), "8:21", "auth.smoke_credential",
     "is not a plain path"},
    {"SmokeNewline", WithSmoke("\"/etc/smoke\\n\""), "8:21", "auth.smoke_credential",
     "contains a line break or control character: \"/etc/smoke\\n\""},
    {"SmokeNull", WithSmoke(""), "8:3", "auth.smoke_credential",
     "expected a single value, got an empty value"},

    // relay.require_auth needs a backend
    {"RequireAuthWithoutAuth", WithRelayLine("require_auth: true"), "5:17", "relay.require_auth",
     "true needs an auth: section naming the SASL backend that checks passwords"},

    // compliance (line 6 is the section's first line)
    {"ComplianceWithoutSchedule", WithCompliance("  mode: audit\n"), "6:3", "compliance.schedule",
     "required field is missing"},
    {"ScheduleHourOutOfRange", WithCompliance("  schedule: \"0 25 * * *\"\n"), "6:13",
     "compliance.schedule", "field 2 (hour)"},
    {"ScheduleFieldCount", WithCompliance("  schedule: \"* * *\"\n"), "6:13", "compliance.schedule",
     "expected 5 fields"},
    {"ScheduleWithNewline", WithCompliance("  schedule: \"* * * * *\\n0 0 * * *\"\n"), "6:13",
     "compliance.schedule", "contains a line break"},
    {"ScheduleEveryWithoutUnit", WithCompliance("  schedule: \"@every 5\"\n"), "6:13",
     "compliance.schedule", "@every"},
    {"ScheduleNeverFires", WithCompliance("  schedule: \"0 0 30 2 *\"\n"), "6:13",
     "compliance.schedule", "never fires"},
    {"UnknownTimeZone", WithCompliance("  schedule: \"@daily\"\n  time_zone: Mars/Base\n"), "7:14",
     "compliance.time_zone", "unknown time zone \"Mars/Base\""},
    {"UnknownMode", WithCompliance("  schedule: \"@daily\"\n  mode: fix\n"), "7:9",
     "compliance.mode", "expected audit (report only) or enforce (re-apply on drift)"},
    {"QuotedMode", WithCompliance("  schedule: \"@daily\"\n  mode: \"enforce\"\n"), "7:9",
     "compliance.mode", "expected audit"},
    {"SplayTooLarge", WithCompliance("  schedule: \"@daily\"\n  splay_s: 90000\n"), "7:12",
     "compliance.splay_s", "must be between 0 and 86400, got 90000"},
    {"NegativeFailureBudget", WithCompliance("  schedule: \"@daily\"\n  failure_budget: -1\n"),
     "7:19", "compliance.failure_budget", "must not be negative"},
    {"WindowBadHour",
     WithCompliance("  schedule: \"@daily\"\n  maintenance_windows: [\"sat 25:00-26:00\"]\n"),
     "7:25", "compliance.maintenance_windows[0]", "25"},
    {"WindowsNotAList",
     WithCompliance("  schedule: \"@daily\"\n  maintenance_windows: \"sat 02:00-04:00\"\n"), "7:24",
     "compliance.maintenance_windows", "expected a list"},
    {"UnknownComplianceField", WithCompliance("  schedule: \"@daily\"\n  timezone: UTC\n"), "7:3",
     "compliance.timezone",
     "unknown field; expected one of: schedule, time_zone, mode, splay_s, maintenance_windows, "
     "failure_budget"},

    // The document itself.
    {"Empty", "", "1:1", "playbook", "the file is empty"},
    {"OnlyComment", "# nothing\n", "1:1", "playbook", "the file is empty"},
    {"ScalarDocument", "hello\n", "1:1", "playbook", "expected a mapping, got the single value"},
    {"ListDocument", "- a\n- b\n", "1:1", "playbook", "expected a mapping, got a list"},
    {"TwoDocuments", WithNetworks("[10.9.0.0/16]") + "---\nname: u\n", "6:1", "playbook",
     "single YAML document"},
    {"SyntaxUnclosedFlow", WithNetworks("[10.9.0.0/16"), "5:1", "invalid YAML", "end of sequence"},
    {"SyntaxBadIndent", "name: t\n version: 1\n", "2:9", "invalid YAML", "illegal map value"},
    {"SyntaxTab", "name: t\nrelay:\n\ttrusted_networks: []\n", "3:18", "invalid YAML",
     "illegal map value"},
    {"SyntaxUnclosedMap", std::string(kHead) + "relay: {trusted_networks: [::1]\n", "4:1",
     "invalid YAML", "end of map flow not found"},
    {"UnknownTopKey", std::string(kHead) + "relays:\n  trusted_networks: [10.9.0.0/16]\n", "3:1",
     "relays",
     "unknown field; expected one of: name, version, description, relay, probe, listeners, "
     "compliance, auth"},
    {"DuplicateKey", WithNetworks("[10.9.0.0/16]") + "name: u\n", "5:1", "name",
     "duplicate key (first given at 1:1)"},
    {"MergeKeyIsUnknown", std::string(kHead) + "relay:\n  <<: {}\n  trusted_networks: [::1]\n",
     "4:3", "relay.<<", "unknown field"},
    {"ListAsKey", std::string(kHead) + "relay:\n  ? [a]\n  : b\n", "4:5", "relay",
     "keys must be plain field names"},

    // name
    {"MissingName", "version: 1\nrelay:\n  trusted_networks: [10.9.0.0/16]\n", "1:1", "name",
     "required field is missing"},
    {"NameEmpty", "name: \"\"\nversion: 1\nrelay:\n  trusted_networks: [::1]\n", "1:7", "name",
     "must not be empty"},
    {"NameNull", "name:\nversion: 1\nrelay:\n  trusted_networks: [::1]\n", "1:1", "name",
     "expected a single value, got an empty value"},
    {"NameUpperCase", "name: Open\nversion: 1\nrelay:\n  trusted_networks: [::1]\n", "1:7", "name",
     "\"Open\" is not a valid name"},
    {"NameLeadingDash", "name: -x\nversion: 1\nrelay:\n  trusted_networks: [::1]\n", "1:7", "name",
     "is not a valid name"},
    {"NameSpace", "name: a b\nversion: 1\nrelay:\n  trusted_networks: [::1]\n", "1:7", "name",
     "is not a valid name"},
    {"NameTooLong",
     "name: " + std::string(65, 'a') + "\nversion: 1\nrelay:\n  trusted_networks: [::1]\n", "1:7",
     "name", "at most 64 characters"},
    {"NameList", "name: [a]\nversion: 1\nrelay:\n  trusted_networks: [::1]\n", "1:7", "name",
     "expected a single value, got a list"},

    // version
    {"MissingVersion", "name: t\nrelay:\n  trusted_networks: [10.9.0.0/16]\n", "1:1", "version",
     "required field is missing"},
    {"VersionZero", "name: t\nversion: 0\nrelay:\n  trusted_networks: [::1]\n", "2:10", "version",
     "must be between 1 and"},
    {"VersionNegative", "name: t\nversion: -3\nrelay:\n  trusted_networks: [::1]\n", "2:10",
     "version", "must not be negative, got -3"},
    {"VersionFloat", "name: t\nversion: 1.5\nrelay:\n  trusted_networks: [::1]\n", "2:10",
     "version", "expected a decimal integer without sign or leading zeros, got \"1.5\""},
    {"VersionWord", "name: t\nversion: three\nrelay:\n  trusted_networks: [::1]\n", "2:10",
     "version", "got \"three\""},
    {"VersionQuoted", "name: t\nversion: \"3\"\nrelay:\n  trusted_networks: [::1]\n", "2:10",
     "version", "expected an integer, got the quoted string \"3\""},
    {"VersionHex", "name: t\nversion: 0x10\nrelay:\n  trusted_networks: [::1]\n", "2:10", "version",
     "got \"0x10\""},
    {"VersionLeadingZero", "name: t\nversion: 010\nrelay:\n  trusted_networks: [::1]\n", "2:10",
     "version", "leading zeros"},
    {"VersionPlusSign", "name: t\nversion: +3\nrelay:\n  trusted_networks: [::1]\n", "2:10",
     "version", "without sign"},
    {"VersionOverflow",
     "name: t\nversion: 99999999999999999999999\nrelay:\n  trusted_networks: [::1]\n", "2:10",
     "version", "must be between 1 and"},
    {"VersionMapping", "name: t\nversion: {a: 1}\nrelay:\n  trusted_networks: [::1]\n", "2:10",
     "version", "expected an integer, got a mapping"},

    // description
    {"DescriptionEmpty",
     std::string(kHead) + "description: ''\nrelay:\n  trusted_networks: [::1]\n", "3:14",
     "description", "must not be empty"},
    {"DescriptionMultiline",
     std::string(kHead) + "description: |\n  one\n  two\nrelay:\n  trusted_networks: [::1]\n",
     "3:14", "description", "contains a line break or control character: \"one\\ntwo\\n\""},
    {"DescriptionTab",
     std::string(kHead) + "description: \"a\\tb\"\nrelay:\n  trusted_networks: [::1]\n", "3:14",
     "description", "control character"},

    // relay
    {"MissingRelay", std::string(kHead), "1:1", "relay", "required field is missing"},
    {"RelayNotMapping", std::string(kHead) + "relay: yes\n", "3:8", "relay",
     "expected a mapping, got the single value \"yes\""},
    {"RelayNull", std::string(kHead) + "relay:\n", "3:1", "relay",
     "expected a mapping, got an empty value"},
    {"MissingTrustedNetworks", std::string(kHead) + "relay:\n  require_auth: true\n", "4:3",
     "relay.trusted_networks", "required field is missing"},
    {"UnknownRelayKey", WithRelayLine("requre_auth: true"), "5:3", "relay.requre_auth",
     "unknown field; expected one of: trusted_networks, partners, relay_domains, require_auth, "
     "tls"},

    // relay.partners
    {"PartnersScalar", WithRelayLine("partners: 192.0.2.0/24"), "5:13", "relay.partners",
     "expected a list"},
    {"PartnersCatchAll", WithRelayLine("partners: [192.0.2.0/24, 0.0.0.0/0]"), "5:28",
     "relay.partners[1]", "\"0.0.0.0/0\" would make every client trusted, i.e. an open relay"},
    {"PartnersNotACidr", WithRelayLine("partners: [mx.partner.example]"), "5:14",
     "relay.partners[0]", "is not an IP network"},
    {"PartnersTwice", WithRelayLine("partners: [192.0.2.0/24, 192.0.2.0/24]"), "5:28",
     "relay.partners[1]", "192.0.2.0/24 is listed twice (also relay.partners[0])"},
    {"PartnerHoldsTheUntrustedSource", WithRelayLine("partners: [127.0.0.0/24]"), "5:14",
     "probe.untrusted_source",
     "127.0.0.9 lies inside partner network 127.0.0.0/24: the untrusted probe would be allowed "
     "to relay; pick an address outside relay.partners"},

    // probe: IPv6 sources
    {"UntrustedV6NotV6", WithProbeLine("untrusted_source_v6: 127.0.0.8"), "6:24",
     "probe.untrusted_source_v6", "127.0.0.8 is not an IPv6 address"},
    {"UntrustedV6InsideTrusted",
     std::string(kHead) + "relay:\n  trusted_networks: [\"2001:db8::/32\"]\nprobe:\n"
                          "  untrusted_source_v6: \"2001:db8::9\"\n",
     "6:24", "probe.untrusted_source_v6", "2001:db8::9 lies inside trusted network 2001:db8::/32"},
    {"UntrustedV6SameAsTrustedV6", WithProbeLine("untrusted_source_v6: \"::1\""), "6:24",
     "probe.untrusted_source_v6", "must differ from probe.trusted_source_v6 (both are ::1)"},

    // listeners
    {"ListenersNotMapping",
     std::string(kHead) + "relay:\n  trusted_networks: [::1]\nlisteners: [127.0.0.1:10025]\n",
     "5:12", "listeners", "expected a mapping"},
    {"ListenersUnknownKey",
     std::string(kHead) +
         "relay:\n  trusted_networks: [::1]\nlisteners:\n  intern: [127.0.0.1:10025]\n",
     "6:3", "listeners.intern", "unknown field; expected one of: internal"},
    {"InternalNotALoopback",
     std::string(kHead) +
         "relay:\n  trusted_networks: [::1]\nlisteners:\n  internal: [192.0.2.1:10025]\n",
     "6:14", "listeners.internal[0]",
     "\"192.0.2.1:10025\" is not a loopback address: other hosts can reach a listener there"},
    {"InternalWithoutPort",
     std::string(kHead) +
         "relay:\n  trusted_networks: [::1]\nlisteners:\n  internal: [127.0.0.1]\n",
     "6:14", "listeners.internal[0]", "is not HOST:PORT"},
    {"InternalWildcard",
     std::string(kHead) +
         "relay:\n  trusted_networks: [::1]\nlisteners:\n  internal: [\"0.0.0.0:10025\"]\n",
     "6:14", "listeners.internal[0]", "is not a loopback address"},
    {"InternalTwice",
     std::string(kHead) + "relay:\n  trusted_networks: [::1]\nlisteners:\n"
                          "  internal: [127.0.0.1:10025, 127.0.0.1:10025]\n",
     "6:31", "listeners.internal[1]", "127.0.0.1:10025 is listed twice"},
    {"InternalNewline",
     std::string(kHead) +
         "relay:\n  trusted_networks: [::1]\nlisteners:\n  internal: [\"127.0.0.1:10025\\n\"]\n",
     "6:14", "listeners.internal[0]", "contains a line break or control character"},

    // relay.trusted_networks
    {"NetworksScalar", WithNetworks("10.9.0.0/16"), "4:21", "relay.trusted_networks",
     "expected a list"},
    {"NetworksMapping", WithNetworks("{a: 1}"), "4:21", "relay.trusted_networks",
     "expected a list (e.g. [a, b] or one \"- item\" per line), got a mapping"},
    {"NetworksNull", WithNetworks(""), "4:3", "relay.trusted_networks", "expected a list"},
    {"NetworksEmpty", WithNetworks("[]"), "4:21", "relay.trusted_networks",
     "must list at least one network"},
    {"OpenRelayV4", WithNetworks("[10.9.0.0/16, 0.0.0.0/0]"), "4:35", "relay.trusted_networks[1]",
     "\"0.0.0.0/0\" would make every client trusted, i.e. an open relay"},
    {"OpenRelayV6", WithNetworks("[\"::/0\"]"), "4:22", "relay.trusted_networks[0]",
     "\"::/0\" would make every client trusted, i.e. an open relay"},
    {"OpenRelayHostBits", WithNetworks("[10.0.0.0/0]"), "4:22", "relay.trusted_networks[0]",
     "i.e. an open relay"},
    {"PrefixTooLongV4", WithNetworks("[10.9.0.0/16, 10.0.0.0/33]"), "4:35",
     "relay.trusted_networks[1]", "prefix length 33 is out of range 0..32 in \"10.0.0.0/33\""},
    {"PrefixTooLongV6", WithNetworks("[\"2001:db8::/129\"]"), "4:22", "relay.trusted_networks[0]",
     "prefix length 129 is out of range 0..128"},
    {"LeadingZeroOctet", WithNetworks("[010.0.0.1]"), "4:22", "relay.trusted_networks[0]",
     "has a leading zero"},
    {"WhitespaceInCidr", WithNetworks("[\"10.0.0.0 /8\"]"), "4:22", "relay.trusted_networks[0]",
     "\"10.0.0.0 /8\" is not an IP network: contains whitespace"},
    {"CommaInCidr", WithNetworks("[\"10.9.0.0/16, 0.0.0.0/0\"]"), "4:22",
     "relay.trusted_networks[0]", "contains whitespace"},
    {"CommaNoSpaceInCidr", WithNetworks("[\"10.9.0.0/16,0.0.0.0/0\"]"), "4:22",
     "relay.trusted_networks[0]", "is not a decimal number"},
    {"NewlineInCidr", WithNetworks("[\"10.9.0.0/16\\nmynetworks = 0.0.0.0/0\"]"), "4:22",
     "relay.trusted_networks[0]", "control character"},
    {"DollarInCidr", WithNetworks("[\"$mynetworks\"]"), "4:22", "relay.trusted_networks[0]",
     "character '$' is not allowed"},
    {"SemicolonInCidr", WithNetworks("[\"127.0.0.1;\"]"), "4:22", "relay.trusted_networks[0]",
     "character ';' is not allowed"},
    {"QuoteInCidr", WithNetworks("['127.0.0.1\"']"), "4:22", "relay.trusted_networks[0]",
     "is not allowed"},
    {"BraceInCidr", WithNetworks("[\"{127.0.0.1}\"]"), "4:22", "relay.trusted_networks[0]",
     "character '{' is not allowed"},
    {"HostnameAsNetwork", WithNetworks("[localhost]"), "4:22", "relay.trusted_networks[0]",
     "\"localhost\" is not an IP network"},
    {"BracketedV6", WithNetworks("[\"[::1]/128\"]"), "4:22", "relay.trusted_networks[0]",
     "brackets are not allowed"},
    {"EmptyNetwork", WithNetworks("[\"\"]"), "4:22", "relay.trusted_networks[0]",
     "must not be empty"},
    // yaml-cpp gives an empty list item no position of its own: it reports the next token.
    {"NullNetwork", std::string(kHead) + "relay:\n  trusted_networks:\n    - ::1\n    -\n", "7:1",
     "relay.trusted_networks[1]", "expected a single value, got an empty value"},
    {"NestedListNetwork", WithNetworks("[[127.0.0.1]]"), "4:22", "relay.trusted_networks[0]",
     "expected a single value, got a list"},
    {"DuplicateNetwork",
     std::string(kHead) + "relay:\n  trusted_networks:\n    - ::1\n    - 10.9.0.0/16\n    - 0::1\n",
     "7:7", "relay.trusted_networks[2]",
     "::1/128 is listed twice (also relay.trusted_networks[0])"},

    // relay.relay_domains
    {"DomainsScalar", WithRelayLine("relay_domains: example.com"), "5:18", "relay.relay_domains",
     "expected a list"},
    {"DomainWithSpace", WithRelayLine("relay_domains: [\"exa mple.com\"]"), "5:19",
     "relay.relay_domains[0]", "\"exa mple.com\" is not a valid domain name"},
    {"DomainWithComma", WithRelayLine("relay_domains: [\"a.com,b.com\"]"), "5:19",
     "relay.relay_domains[0]", "is not a valid domain name"},
    {"DomainWithDollar", WithRelayLine("relay_domains: [ok.com, \"$mydomain\"]"), "5:27",
     "relay.relay_domains[1]", "\"$mydomain\" is not a valid domain name"},
    {"DomainWithNewline", WithRelayLine("relay_domains: [\"a.com\\nb\"]"), "5:19",
     "relay.relay_domains[0]", "control character: \"a.com\\nb\""},
    {"DomainLeadingHyphen", WithRelayLine("relay_domains: [-a.com]"), "5:19",
     "relay.relay_domains[0]", "is not a valid domain name"},
    {"DomainEmptyLabel", WithRelayLine("relay_domains: [a..com]"), "5:19", "relay.relay_domains[0]",
     "is not a valid domain name"},
    {"DomainEmpty", WithRelayLine("relay_domains: [\"\"]"), "5:19", "relay.relay_domains[0]",
     "must not be empty"},
    {"DomainDuplicate", WithRelayLine("relay_domains: [a.com, A.COM]"), "5:26",
     "relay.relay_domains[1]", "is listed twice (also relay.relay_domains[0])"},

    // relay.require_auth
    {"AuthYes", WithRelayLine("require_auth: yes"), "5:17", "relay.require_auth",
     "expected true or false (unquoted), got the single value \"yes\""},
    {"AuthQuotedTrue", WithRelayLine("require_auth: \"true\""), "5:17", "relay.require_auth",
     "got the quoted string \"true\""},
    {"AuthOne", WithRelayLine("require_auth: 1"), "5:17", "relay.require_auth", "got the single"},
    {"AuthCapitalTrue", WithRelayLine("require_auth: True"), "5:17", "relay.require_auth",
     "expected true or false"},
    {"AuthNull", WithRelayLine("require_auth:"), "5:3", "relay.require_auth", "got an empty value"},

    // relay.tls
    {"TlsUnknown", WithRelayLine("tls: required"), "5:8", "relay.tls",
     "expected one of none, may, encrypt"},
    {"TlsQuoted", WithRelayLine("tls: \"may\""), "5:8", "relay.tls", "expected one of"},
    {"TlsUpperCase", WithRelayLine("tls: MAY"), "5:8", "relay.tls", "expected one of"},
    {"TlsNull", WithRelayLine("tls:"), "5:3", "relay.tls", "got an empty value"},
    {"TlsBool", WithRelayLine("tls: true"), "5:8", "relay.tls", "got the single value \"true\""},

    // probe
    {"ProbeScalar", WithNetworks("[::1]") + "probe: 127.0.0.9\n", "5:8", "probe",
     "expected a mapping"},
    {"ProbeNull", WithNetworks("[::1]") + "probe:\n", "5:1", "probe",
     "expected a mapping, got an empty value"},
    {"ProbeUnknownKey", WithProbeLine("source: 127.0.0.9"), "6:3", "probe.source",
     "unknown field; expected one of: untrusted_source, trusted_source, untrusted_source_v6, "
     "trusted_source_v6, sender, foreign_recipient, helo_name, timeout_ms, settle_timeout_ms"},
    {"UntrustedIsNetwork", WithProbeLine("untrusted_source: 10.9.0.0/16"), "6:21",
     "probe.untrusted_source", "\"10.9.0.0/16\" is not an IP address: it has a prefix length"},
    {"UntrustedHostname", WithProbeLine("untrusted_source: localhost"), "6:21",
     "probe.untrusted_source", "\"localhost\" is not an IP address"},
    {"UntrustedLeadingZero", WithProbeLine("untrusted_source: 127.0.0.09"), "6:21",
     "probe.untrusted_source", "leading zero"},
    {"UntrustedList", WithProbeLine("untrusted_source: [127.0.0.9]"), "6:21",
     "probe.untrusted_source", "expected a single value, got a list"},
    {"TrustedBracketed", WithProbeLine("trusted_source: \"[::1]\""), "6:19", "probe.trusted_source",
     "brackets are not allowed"},
    {"TrustedZoneId", WithProbeLine("trusted_source: \"fe80::1%lo\""), "6:19",
     "probe.trusted_source", "zone ids"},
    {"SourcesEqual", WithProbeLine("untrusted_source: 127.0.0.1"), "6:21", "probe.untrusted_source",
     "must differ from probe.trusted_source (both are 127.0.0.1)"},
    {"SenderNoAt", WithProbeLine("sender: probe.example.org"), "6:11", "probe.sender",
     "\"probe.example.org\" is not a valid mail address: must be local@domain"},
    {"SenderTwoAt", WithProbeLine("sender: a@b@example.org"), "6:11", "probe.sender",
     "exactly one '@'"},
    {"SenderEmptyLocal", WithProbeLine("sender: \"@example.org\""), "6:11", "probe.sender",
     "the local part before '@' is empty"},
    {"SenderAngle", WithProbeLine("sender: \"<a@example.org>\""), "6:11", "probe.sender",
     "the local part contains \"<\""},
    {"SenderQuote", WithProbeLine("sender: '\"a\"@example.org'"), "6:11", "probe.sender",
     "the local part contains \"\\\"\""},
    {"SenderSpace", WithProbeLine("sender: \"a b@example.org\""), "6:11", "probe.sender",
     "the local part contains \" \""},
    {"SenderDoubleDot", WithProbeLine("sender: a..b@example.org"), "6:11", "probe.sender",
     "must not start or end with '.'"},
    {"SenderBadDomain", WithProbeLine("sender: a@exa_mple.org"), "6:11", "probe.sender",
     "the domain \"exa_mple.org\" is not a valid hostname"},
    {"SenderBraces", WithProbeLine("sender: \"a@{example}.org\""), "6:11", "probe.sender",
     "is not a valid hostname"},
    {"RecipientEmpty", WithProbeLine("foreign_recipient: ''"), "6:22", "probe.foreign_recipient",
     "must not be empty"},
    {"RecipientNewline", WithProbeLine("foreign_recipient: \"a@b.net\\r\\nRCPT TO:<x@y>\""), "6:22",
     "probe.foreign_recipient", "control character"},
    {"RecipientSemicolon", WithProbeLine("foreign_recipient: \"a;b@example.net\""), "6:22",
     "probe.foreign_recipient", "the local part contains \";\""},
    {"HeloWithSpace", WithProbeLine("helo_name: \"a b\""), "6:14", "probe.helo_name",
     "\"a b\" is not a valid hostname"},
    {"HeloUnderscore", WithProbeLine("helo_name: my_host"), "6:14", "probe.helo_name",
     "is not a valid hostname"},
    {"HeloTooLongLabel", WithProbeLine("helo_name: " + std::string(64, 'a') + ".com"), "6:14",
     "probe.helo_name", "is not a valid hostname"},
    {"TimeoutTooSmall", WithProbeLine("timeout_ms: 99"), "6:15", "probe.timeout_ms",
     "must be between 100 and 120000, got 99"},
    {"TimeoutTooLarge", WithProbeLine("timeout_ms: 120001"), "6:15", "probe.timeout_ms",
     "must be between 100 and 120000, got 120001"},
    {"TimeoutNegative", WithProbeLine("timeout_ms: -100"), "6:15", "probe.timeout_ms",
     "must not be negative, got -100"},
    {"TimeoutUnit", WithProbeLine("timeout_ms: 10s"), "6:15", "probe.timeout_ms", "got \"10s\""},
    {"SettleTooLarge", WithProbeLine("settle_timeout_ms: 300001"), "6:22",
     "probe.settle_timeout_ms", "must be between 0 and 300000, got 300001"},
    {"SettleNegative", WithProbeLine("settle_timeout_ms: -1"), "6:22", "probe.settle_timeout_ms",
     "must not be negative"},
    {"SettleNull", WithProbeLine("settle_timeout_ms:"), "6:3", "probe.settle_timeout_ms",
     "expected an integer, got an empty value"},
};

INSTANTIATE_TEST_SUITE_P(Cases, ParsePolicyBadTest, ::testing::ValuesIn(kBadCases),
                         [](const ::testing::TestParamInfo<BadCase>& info) {
                           return info.param.name;
                         });

// ---- Good playbooks given as text. ----

TEST(ParsePolicyTest, MinimalPolicyGetsDefaults) {
  absl::StatusOr<Policy> policy = ParsePolicy(WithNetworks("[10.9.0.0/16]"), "mem.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->name, "t");
  EXPECT_EQ(policy->version, 1u);
  EXPECT_EQ(policy->description, "");
  EXPECT_EQ(policy->trusted_networks, std::vector<Cidr>{MustCidr("10.9.0.0/16")});
  EXPECT_TRUE(policy->relay_domains.empty());
  EXPECT_FALSE(policy->require_auth);
  EXPECT_FALSE(policy->tls.has_value());
  EXPECT_EQ(policy->probe.untrusted_source, MustIp("127.0.0.9"));
  EXPECT_EQ(policy->probe.trusted_source, MustIp("127.0.0.1"));
  EXPECT_EQ(policy->probe.sender, "relayguard-probe@example.org");
  EXPECT_EQ(policy->probe.foreign_recipient, "relay-test@example.net");
  EXPECT_EQ(policy->probe.helo_name, "relayguard-probe.invalid");
  EXPECT_EQ(policy->probe.timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(policy->probe.settle_timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(policy->source, "mem.yaml");
}

struct TlsCase {
  std::string text;
  TlsLevel level;
};

class ParsePolicyTlsTest : public ::testing::TestWithParam<TlsCase> {};

TEST_P(ParsePolicyTlsTest, ReadsLevel) {
  absl::StatusOr<Policy> policy = ParsePolicy(WithRelayLine("tls: " + GetParam().text), "t.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  ASSERT_TRUE(policy->tls.has_value());
  EXPECT_EQ(*policy->tls, GetParam().level);
  EXPECT_EQ(TlsLevelName(*policy->tls), GetParam().text);
}

INSTANTIATE_TEST_SUITE_P(Levels, ParsePolicyTlsTest,
                         ::testing::Values(TlsCase{"none", TlsLevel::kNone},
                                           TlsCase{"may", TlsLevel::kMay},
                                           TlsCase{"encrypt", TlsLevel::kEncrypt}));

TEST(ParsePolicyTest, AcceptsBothListStylesAndBareAddresses) {
  const std::string yaml = std::string(kHead) +
                           "relay:\n"
                           "  trusted_networks:\n"
                           "    - 10.0.0.1\n"
                           "    - \"fe80::/10\"\n"
                           "  relay_domains: []\n"
                           "  require_auth: false\n";
  absl::StatusOr<Policy> policy = ParsePolicy(yaml, "t.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  ASSERT_EQ(policy->trusted_networks.size(), 2u);
  EXPECT_EQ(policy->trusted_networks[0].ToString(), "10.0.0.1/32");
  EXPECT_EQ(policy->trusted_networks[1].ToString(), "fe80::/10");
  EXPECT_TRUE(policy->relay_domains.empty());
}

TEST(ParsePolicyTest, PartnersAndInternalListenersAreRead) {
  const std::string yaml = std::string(kHead) +
                           "relay:\n"
                           "  trusted_networks: [127.0.0.1/32]\n"
                           "  partners: [192.0.2.0/24, \"2001:db8:5::/48\"]\n"
                           "listeners:\n"
                           "  internal: [127.0.0.1:10025, \"[::1]:10025\"]\n";
  absl::StatusOr<Policy> policy = ParsePolicy(yaml, "t.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  ASSERT_EQ(policy->partners.size(), 2u);
  EXPECT_EQ(policy->partners[1].ToString(), "2001:db8:5::/48");
  ASSERT_EQ(policy->probe.internal_listeners.size(), 2u);
  EXPECT_EQ(policy->probe.internal_listeners[0].ToString(), "127.0.0.1:10025");
  EXPECT_EQ(policy->probe.internal_listeners[1].ToString(), "[::1]:10025");
}

TEST(ParsePolicyTest, NoPartnersAndNoInternalListenersByDefault) {
  absl::StatusOr<Policy> policy = ParsePolicy(WithNetworks("[127.0.0.1]"), "t.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_TRUE(policy->partners.empty());
  EXPECT_TRUE(policy->probe.internal_listeners.empty());
}

TEST(ParsePolicyTest, ProbeDefaultsKeptForFieldsNotGiven) {
  absl::StatusOr<Policy> policy = ParsePolicy(WithProbeLine("timeout_ms: 2500"), "t.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->probe.timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(policy->probe.settle_timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(policy->probe.untrusted_source, MustIp("127.0.0.9"));
}

// ---- auth: ----

TEST(ParsePolicyAuthTest, RequiredFieldsAloneGetTheDocumentedDefaults) {
  absl::StatusOr<Policy> policy =
      ParsePolicy(WithAuth(std::string(kBackend) + kPath + kSmoke), "t.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  ASSERT_TRUE(policy->auth.has_value());
  const AuthSettings& auth = *policy->auth;
  EXPECT_EQ(auth.backend, SaslBackend::kDovecot);
  EXPECT_EQ(auth.path, "/run/dovecot/auth-client");
  EXPECT_EQ(auth.mechanisms, (std::vector<AuthMechanism>{AuthMechanism::kPlain,
                                                         AuthMechanism::kLogin}));
  EXPECT_TRUE(auth.tls_only);
  EXPECT_TRUE(auth.listeners.relay);
  EXPECT_TRUE(auth.listeners.submission);
  EXPECT_TRUE(auth.listeners.endpoints.empty());
  EXPECT_EQ(auth.smoke_credential, "/etc/relayguard/smoke-auth");
  EXPECT_EQ(auth.path_at, "t.yaml:7:3");
  EXPECT_EQ(auth.smoke_credential_at, "t.yaml:8:3");
  // auth without require_auth: AUTH is offered, the trusted networks keep relaying.
  EXPECT_FALSE(policy->require_auth);
}

TEST(ParsePolicyAuthTest, NoSectionNoAuth) {
  absl::StatusOr<Policy> policy = ParsePolicy(WithNetworks("[10.9.0.0/16]"), "t.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_FALSE(policy->auth.has_value());
}

struct BackendCase {
  std::string text;
  SaslBackend backend;
  std::string path;
};

class ParsePolicyBackendTest : public ::testing::TestWithParam<BackendCase> {};

TEST_P(ParsePolicyBackendTest, ReadsBackendAndPath) {
  absl::StatusOr<Policy> policy =
      ParsePolicy(WithAuthPath(GetParam().text, GetParam().path), "t.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->auth->backend, GetParam().backend);
  EXPECT_EQ(SaslBackendName(policy->auth->backend), GetParam().text);
  EXPECT_EQ(policy->auth->path, GetParam().path);
}

INSTANTIATE_TEST_SUITE_P(
    Backends, ParsePolicyBackendTest,
    ::testing::Values(BackendCase{"dovecot", SaslBackend::kDovecot,
                                  "/var/spool/postfix/private/auth"},
                      BackendCase{"saslauthd", SaslBackend::kSaslauthd, "/run/saslauthd/mux"},
                      // A file, not a socket: longer than a socket path may be.
                      BackendCase{"sasldb", SaslBackend::kSasldb,
                                  "/" + std::string(120, 's') + "/sasldb2"},
                      BackendCase{"password-file", SaslBackend::kPasswordFile,
                                  "/etc/exim4/passwd"}));

TEST(ParsePolicyAuthTest, SocketPathOfExactly107BytesIsAccepted) {
  absl::StatusOr<Policy> policy =
      ParsePolicy(WithAuthPath("saslauthd", "/" + std::string(106, 'm')), "t.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
}

TEST(ParsePolicyAuthTest, MechanismsAreCaseInsensitiveAndKeepTheirOrder) {
  absl::StatusOr<Policy> policy = ParsePolicy(WithAuthLine("mechanisms: [login, Plain]"), "t.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->auth->mechanisms,
            (std::vector<AuthMechanism>{AuthMechanism::kLogin, AuthMechanism::kPlain}));
  policy = ParsePolicy(WithAuthLine("mechanisms: [\"LOGIN\"]"), "t.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->auth->mechanisms, std::vector<AuthMechanism>{AuthMechanism::kLogin});
}

TEST(ParsePolicyAuthTest, TlsOnlyCanBeTurnedOff) {
  absl::StatusOr<Policy> policy = ParsePolicy(WithAuthLine("tls_only: false"), "t.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_FALSE(policy->auth->tls_only);
}

TEST(ParsePolicyAuthTest, GivenListenersAreTheOnlyOnes) {
  absl::StatusOr<Policy> policy = ParsePolicy(WithAuthLine("listeners: [submission]"), "t.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_FALSE(policy->auth->listeners.relay);
  EXPECT_TRUE(policy->auth->listeners.submission);
  EXPECT_TRUE(policy->auth->listeners.endpoints.empty());

  policy = ParsePolicy(WithAuthLine("listeners: [\"127.0.0.1:587\", \"[::1]:587\"]"), "t.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_FALSE(policy->auth->listeners.relay);
  EXPECT_FALSE(policy->auth->listeners.submission);
  ASSERT_EQ(policy->auth->listeners.endpoints.size(), 2u);
  EXPECT_EQ(policy->auth->listeners.endpoints[0].ToString(), "127.0.0.1:587");
  EXPECT_EQ(policy->auth->listeners.endpoints[1].ToString(), "[::1]:587");
}

TEST(ParsePolicyAuthTest, RequireAuthWithABackendLoads) {
  const std::string yaml = std::string(kHead) +
                           "relay:\n  trusted_networks: [127.0.0.1/32]\n  require_auth: true\n"
                           "auth:\n" + kBackend + kPath + kSmoke;
  absl::StatusOr<Policy> policy = ParsePolicy(yaml, "t.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_TRUE(policy->require_auth);
  EXPECT_EQ(policy->auth->path_at, "t.yaml:8:3");
}

TEST(ParsePolicyAuthTest, RequireAuthWithoutBackendSaysWhyAndWhereToRead) {
  absl::StatusOr<Policy> policy = ParsePolicy(WithRelayLine("require_auth: true"), "t.yaml");
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().message(),
            "t.yaml:5:17: relay.require_auth: true needs an auth: section naming the SASL backend "
            "that checks passwords: without one no client could relay (the trusted networks lose "
            "relaying too); see playbooks/README.md, \"SMTP AUTH\"");
}

// ---- Fixture files. ----

struct BadFileCase {
  std::string file;      // under tests/data/policy/bad
  std::string expected;  // the message after "PATH:"
};

void PrintTo(const BadFileCase& c, std::ostream* os) { *os << c.file; }

class LoadPolicyFileBadTest : public ::testing::TestWithParam<BadFileCase> {};

TEST_P(LoadPolicyFileBadTest, RefusesWithExactMessage) {
  const std::string path = kDataDir + "/bad/" + GetParam().file;
  absl::StatusOr<Policy> policy = LoadPolicyFile(path);
  ASSERT_FALSE(policy.ok()) << path;
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(policy.status().message(), path + ":" + GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Files, LoadPolicyFileBadTest,
    ::testing::Values(
        BadFileCase{"open-relay-v4.yaml",
                    "6:7: relay.trusted_networks[1]: \"0.0.0.0/0\" would make every client "
                    "trusted, i.e. an open relay; list only the networks of your own clients"},
        BadFileCase{"open-relay-v6.yaml",
                    "4:35: relay.trusted_networks[1]: \"::/0\" would make every client trusted, "
                    "i.e. an open relay; list only the networks of your own clients"},
        BadFileCase{"prefix-too-long.yaml",
                    "6:7: relay.trusted_networks[1]: prefix length 33 is out of range 0..32 in "
                    "\"10.0.0.0/33\""},
        BadFileCase{"unknown-key.yaml",
                    "5:3: relay.requre_auth: unknown field; expected one of: trusted_networks, "
                    "partners, relay_domains, require_auth, tls"},
        BadFileCase{"missing-trusted-networks.yaml",
                    "4:3: relay.trusted_networks: required field is missing"},
        BadFileCase{"missing-relay.yaml", "1:1: relay: required field is missing"},
        BadFileCase{"scalar-networks.yaml",
                    "4:21: relay.trusted_networks: expected a list (e.g. [a, b] or one \"- item\" "
                    "per line), got the single value \"10.9.0.0/16\""},
        BadFileCase{"broken-yaml.yaml", "5:1: invalid YAML: end of sequence flow not found"},
        BadFileCase{"injection.yaml",
                    "5:7: relay.trusted_networks[0]: \"10.9.0.0/16, 0.0.0.0/0\" is not an IP "
                    "network: contains whitespace"},
        BadFileCase{"require-auth-without-backend.yaml",
                    "6:17: relay.require_auth: true needs an auth: section naming the SASL "
                    "backend that checks passwords: without one no client could relay (the "
                    "trusted networks lose relaying too); see playbooks/README.md, \"SMTP "
                    "AUTH\""},
        BadFileCase{"empty.yaml",
                    "1:1: playbook: the file is empty; expected a mapping with name, version and "
                    "relay"}));

TEST(LoadPolicyFileTest, LoadsMinimalFixture) {
  const std::string path = kDataDir + "/good/minimal.yaml";
  absl::StatusOr<Policy> policy = LoadPolicyFile(path);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->name, "minimal");
  EXPECT_EQ(policy->version, 1u);
  EXPECT_EQ(policy->trusted_networks, std::vector<Cidr>{MustCidr("10.0.0.0/8")});
  EXPECT_EQ(policy->source, path);
}

TEST(LoadPolicyFileTest, LoadsFullFixture) {
  const std::string path = kDataDir + "/good/full.yaml";
  absl::StatusOr<Policy> policy = LoadPolicyFile(path);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->name, "full.example_1-a");
  EXPECT_EQ(policy->version, 42u);
  EXPECT_EQ(policy->description, "Everything set: two networks, domains, auth, TLS encrypt, probe");
  EXPECT_EQ(policy->trusted_networks,
            (std::vector<Cidr>{MustCidr("192.168.1.7/24"), MustCidr("2001:db8::/32"),
                               MustCidr("10.1.2.3/32")}));
  EXPECT_EQ(policy->relay_domains, (std::vector<std::string>{"example.com", "Mail.Example.org"}));
  EXPECT_TRUE(policy->require_auth);
  EXPECT_EQ(policy->tls, TlsLevel::kEncrypt);
  EXPECT_EQ(policy->probe.untrusted_source, MustIp("::1"));
  EXPECT_EQ(policy->probe.trusted_source, MustIp("10.1.2.3"));
  EXPECT_EQ(policy->probe.sender, "probe+relay@example.org");
  EXPECT_EQ(policy->probe.foreign_recipient, "outside.user@example.net");
  EXPECT_EQ(policy->probe.helo_name, "probe.example.com");
  EXPECT_EQ(policy->probe.timeout, std::chrono::milliseconds(100));
  EXPECT_EQ(policy->probe.settle_timeout, std::chrono::milliseconds(0));
  ASSERT_TRUE(policy->auth.has_value());
  EXPECT_EQ(policy->auth->backend, SaslBackend::kPasswordFile);
  EXPECT_EQ(policy->auth->path, "/etc/exim4/passwd");
  EXPECT_EQ(policy->auth->mechanisms,
            (std::vector<AuthMechanism>{AuthMechanism::kLogin, AuthMechanism::kPlain}));
  EXPECT_FALSE(policy->auth->tls_only);
  EXPECT_FALSE(policy->auth->listeners.relay);
  EXPECT_TRUE(policy->auth->listeners.submission);
  ASSERT_EQ(policy->auth->listeners.endpoints.size(), 2u);
  EXPECT_EQ(policy->auth->listeners.endpoints[0].ToString(), "127.0.0.1:2525");
  EXPECT_EQ(policy->auth->listeners.endpoints[1].ToString(), "[::1]:587");
  EXPECT_EQ(policy->auth->smoke_credential, "/etc/relayguard/smoke-auth");
  EXPECT_EQ(policy->auth->path_at, path + ":17:3");
  EXPECT_EQ(policy->auth->smoke_credential_at, path + ":21:3");
  EXPECT_EQ(policy->source, path);
}

TEST(LoadPolicyFileTest, DefaultPlaybookLoads) {
  const std::string path = kSourceDir + "/playbooks/no-open-relay.yaml";
  absl::StatusOr<Policy> policy = LoadPolicyFile(path);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->name, "no-open-relay");
  EXPECT_EQ(policy->trusted_networks,
            (std::vector<Cidr>{MustCidr("127.0.0.1/32"), MustCidr("::1/128")}));
  EXPECT_TRUE(policy->relay_domains.empty());
  EXPECT_FALSE(policy->require_auth);
  EXPECT_FALSE(policy->tls.has_value());
  EXPECT_EQ(policy->probe.untrusted_source, MustIp("127.0.0.9"));
  EXPECT_EQ(policy->probe.trusted_source, MustIp("127.0.0.1"));
  EXPECT_EQ(policy->probe.foreign_recipient, "relay-test@example.net");
}

TEST(LoadPolicyFileTest, RequireAuthExampleLoads) {
  absl::StatusOr<Policy> policy = LoadPolicyFile(kSourceDir + "/playbooks/require-auth.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->name, "require-auth");
  EXPECT_TRUE(policy->require_auth);
  EXPECT_EQ(policy->tls, TlsLevel::kMay);
  EXPECT_EQ(policy->relay_domains, (std::vector<std::string>{"example.com", "mail.example.com"}));
  ASSERT_TRUE(policy->auth.has_value());
  EXPECT_EQ(policy->auth->backend, SaslBackend::kDovecot);
  EXPECT_EQ(policy->auth->path, "/var/spool/postfix/private/auth");
  EXPECT_EQ(policy->auth->mechanisms,
            (std::vector<AuthMechanism>{AuthMechanism::kPlain, AuthMechanism::kLogin}));
  EXPECT_TRUE(policy->auth->tls_only);
  EXPECT_TRUE(policy->auth->listeners.relay);
  EXPECT_TRUE(policy->auth->listeners.submission);
  EXPECT_TRUE(policy->auth->listeners.endpoints.empty());
  EXPECT_EQ(policy->auth->smoke_credential, "/etc/relayguard/smoke-auth");
}

// Every shipped playbook loads (the controller loads the whole directory) and is named after
// its file, which is how `relayguardctl rollout start NAME` finds it.
TEST(LoadPolicyFileTest, EveryShippedPlaybookLoads) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kSourceDir + "/playbooks")) {
    if (entry.path().extension() != ".yaml") continue;
    ++count;
    absl::StatusOr<Policy> policy = LoadPolicyFile(entry.path().string());
    ASSERT_TRUE(policy.ok()) << policy.status();
    EXPECT_EQ(policy->name, entry.path().stem().string());
    if (policy->require_auth) {
      EXPECT_TRUE(policy->auth.has_value()) << entry.path();
    }
  }
  EXPECT_GE(count, 6);
}

TEST(LoadPolicyFileTest, BackendExamplesLoad) {
  absl::StatusOr<Policy> exim =
      LoadPolicyFile(kSourceDir + "/playbooks/require-auth-exim-passwd.yaml");
  ASSERT_TRUE(exim.ok()) << exim.status();
  EXPECT_EQ(exim->auth->backend, SaslBackend::kPasswordFile);
  EXPECT_EQ(exim->auth->path, "/etc/exim4/passwd");
  absl::StatusOr<Policy> sendmail =
      LoadPolicyFile(kSourceDir + "/playbooks/require-auth-sendmail-saslauthd.yaml");
  ASSERT_TRUE(sendmail.ok()) << sendmail.status();
  EXPECT_EQ(sendmail->auth->backend, SaslBackend::kSaslauthd);
  EXPECT_EQ(sendmail->auth->path, "/run/saslauthd/mux");
}

TEST(LoadPolicyFileTest, MailHostExampleLoadsWithAPartnerAndAnInternalListener) {
  absl::StatusOr<Policy> policy = LoadPolicyFile(kSourceDir + "/playbooks/mail-host.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->partners, (std::vector<Cidr>{MustCidr("198.51.100.25/32")}));
  ASSERT_EQ(policy->probe.internal_listeners.size(), 1u);
  EXPECT_EQ(policy->probe.internal_listeners[0].ToString(), "127.0.0.1:10025");
}

TEST(LoadPolicyFileTest, MissingFileIsNotFound) {
  const std::string path = kDataDir + "/no-such-playbook.yaml";
  absl::StatusOr<Policy> policy = LoadPolicyFile(path);
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(policy.status().message(), "policy file " + path + " does not exist");
}

TEST(LoadPolicyFileTest, DirectoryIsRefused) {
  absl::StatusOr<Policy> policy = LoadPolicyFile(kDataDir);
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(policy.status().message(), HasSubstr(kDataDir + " is a directory"));
}

TEST(LoadPolicyFileTest, OversizedFileIsRefused) {
  const std::string path = ::testing::TempDir() + "/relayguard_oversized_policy.yaml";
  {
    std::ofstream out(path);
    out << "# " << std::string(2 << 20, 'x') << "\n";
  }
  absl::StatusOr<Policy> policy = LoadPolicyFile(path);
  std::remove(path.c_str());
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(policy.status().message(), HasSubstr("a playbook is at most 1048576 bytes"));
}

TEST(ParsePolicyTest, UntrustedProbeInsideTrustedNetworkIsRefused) {
  absl::StatusOr<Policy> policy = ParsePolicy(
      "name: t\nversion: 1\nrelay:\n  trusted_networks: [127.0.0.0/8]\nprobe:\n"
      "  untrusted_source: 127.0.0.9\n",
      "t.yaml");
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().message(),
            "t.yaml:6:21: probe.untrusted_source: 127.0.0.9 lies inside trusted network "
            "127.0.0.0/8: the untrusted probe would be allowed to relay; pick an address outside "
            "relay.trusted_networks");
}

}  // namespace
}  // namespace relayguard::agent

namespace relayguard::agent {
namespace {

TEST(ParsePolicyComplianceTest, TheWholeSectionIsRead) {
  absl::StatusOr<Policy> policy = ParsePolicy(
      "name: t\nversion: 2\nrelay:\n  trusted_networks: [10.9.0.0/16]\ncompliance:\n"
      "  schedule: \"*/15 * * * *\"\n  time_zone: Europe/Berlin\n  mode: enforce\n"
      "  splay_s: 300\n  maintenance_windows: [\"sat,sun 02:00-05:00\", \"mon-fri 22:00-23:30\"]\n"
      "  failure_budget: 2\n",
      "t.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  ASSERT_TRUE(policy->compliance.has_value());
  EXPECT_EQ(policy->compliance->schedule, "*/15 * * * *");
  EXPECT_EQ(policy->compliance->time_zone, "Europe/Berlin");
  EXPECT_EQ(policy->compliance->mode, ComplianceMode::kEnforce);
  EXPECT_EQ(policy->compliance->splay_s, 300);
  EXPECT_EQ(policy->compliance->maintenance_windows,
            (std::vector<std::string>{"sat,sun 02:00-05:00", "mon-fri 22:00-23:30"}));
  EXPECT_EQ(policy->compliance->failure_budget, 2);
}

TEST(ParsePolicyComplianceTest, DefaultsAreAuditInUtcWithoutSplayOrWindows) {
  absl::StatusOr<Policy> policy = ParsePolicy(
      "name: t\nversion: 2\nrelay:\n  trusted_networks: [10.9.0.0/16]\ncompliance:\n"
      "  schedule: \"@hourly\"\n",
      "t.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->compliance->mode, ComplianceMode::kAudit);
  EXPECT_EQ(policy->compliance->time_zone, "UTC");
  EXPECT_EQ(policy->compliance->splay_s, 0);
  EXPECT_TRUE(policy->compliance->maintenance_windows.empty());
  EXPECT_EQ(policy->compliance->failure_budget, 0);
}

TEST(ParsePolicyComplianceTest, APlaybookWithoutTheSectionHasNoSchedule) {
  absl::StatusOr<Policy> policy =
      ParsePolicy("name: t\nversion: 2\nrelay:\n  trusted_networks: [10.9.0.0/16]\n", "t.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_FALSE(policy->compliance.has_value());
}

// fuzz/regressions/policy: on "!a,b" yaml-cpp 0.7's LoadAll never returned (it collected empty
// documents until memory ran out); the loader now answers with an error naming the place.
TEST(ParsePolicyTest, TextThatLoopedYamlCppIsRefused) {
  for (const std::string text : {"!a,b\n", "!ivna,kss\n\bg/\x92\xc7" "2\n", "!,\n\x01"}) {
    absl::StatusOr<Policy> policy = ParsePolicy(text, "t.yaml");
    ASSERT_FALSE(policy.ok()) << text;
    EXPECT_THAT(std::string(policy.status().message()), StartsWith("t.yaml:")) << text;
  }
}

}  // namespace
}  // namespace relayguard::agent
