// Test support for the pure Postfix judgement: a PostfixConfig built from main.cf/master.cf text
// with a small stand-in for postconf's expansion (defaults, main.cf, then each service's -o
// overrides, $name expanded), a lookup table reader that serves tables from memory, and an
// entry judge that needs no table format. Header-only.
#ifndef RELAYGUARD_TESTS_AGENT_MTA_POSTFIX_POSTFIX_FAKES_H_
#define RELAYGUARD_TESTS_AGENT_MTA_POSTFIX_POSTFIX_FAKES_H_

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "agent/mta/postfix/lookup_table.h"
#include "agent/mta/postfix/postfix_config.h"
#include "agent/mta/postfix/relay_judgement.h"
#include "common/cidr.h"

namespace relayguard::agent::postfix::testing {

// Postfix 3.7's defaults for what the judgement reads (compatibility_level 3.6).
inline ParameterValues PostfixDefaults() {
  return {{"mynetworks", "127.0.0.0/8"},
          {"mynetworks_style", "subnet"},
          {"smtpd_relay_restrictions",
           "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination"},
          {"smtpd_recipient_restrictions", ""},
          {"smtpd_restriction_classes", ""},
          {"smtpd_authorized_xclient_hosts", ""},
          {"smtpd_tls_wrappermode", "no"},
          {"smtpd_service_name", "smtpd"},
          {"config_directory", "/etc/postfix"},
          {"inet_interfaces", "all"},
          {"inet_protocols", "ipv4"},
          // What the SMTP AUTH settings read (smtp_auth.h).
          {"queue_directory", "/var/spool/postfix"},
          {"mail_owner", "postfix"},
          {"smtpd_sasl_auth_enable", "no"},
          {"smtpd_sasl_type", "cyrus"},
          {"smtpd_sasl_path", "smtpd"},
          {"smtpd_sasl_security_options", "noanonymous"},
          {"smtpd_tls_auth_only", "no"},
          {"smtpd_sasl_mechanism_filter", "!external, static:rest"},
          {"smtpd_tls_security_level", ""},
          {"smtpd_use_tls", "no"},
          {"smtpd_enforce_tls", "no"},
          {"smtpd_tls_cert_file", ""},
          {"smtpd_tls_eccert_file", ""},
          {"smtpd_tls_chain_files", ""}};
}

inline ParameterValues ExpandAll(ParameterValues raw) {
  for (int round = 0; round < 8; ++round) {
    for (auto& [name, value] : raw) {
      value = ExpandSimple(value, [&](const std::string& n) {
                return raw.count(n) ? raw.at(n) : std::string();
              }).value_or(value);
    }
  }
  return raw;
}

inline PostfixConfig FakeConfig(const std::string& main_text, const std::string& master_text,
                                PostfixVersion version = {3, 7, 11}) {
  PostfixConfig c;
  c.main_cf_path = "/etc/postfix/main.cf";
  c.master_cf_path = "/etc/postfix/master.cf";
  c.main_cf = MainCf::Parse(main_text);
  c.master_cf = MasterCf::Parse(master_text);
  c.version = version;
  ParameterValues raw = PostfixDefaults();
  for (const std::string& key : c.main_cf.Keys()) raw[key] = *c.main_cf.Get(key);
  c.global = ExpandAll(raw);
  for (const MasterCf::Service& s : c.master_cf.Services()) {
    ParameterValues service = raw;
    for (const MasterCf::Override& o : s.overrides) service[o.name] = o.value;
    c.by_service[s.line] = ExpandAll(service);
  }
  return c;
}

// Tables by spec; a spec it does not hold is Unimplemented (like ldap:).
class FakeTableReader : public LookupTableReader {
 public:
  void Add(const std::string& spec, const std::string& path, std::vector<TableEntry> entries) {
    LookupTable t;
    t.spec = spec;
    t.type = spec.substr(0, spec.find(':'));
    t.path = path;
    t.entries = std::move(entries);
    tables_[spec] = std::move(t);
  }
  absl::StatusOr<LookupTable> Read(const std::string& spec) override {
    ++reads;
    auto it = tables_.find(spec);
    if (it == tables_.end()) {
      return absl::UnimplementedError(absl::StrCat("cannot read ", spec));
    }
    return it->second;
  }
  int reads = 0;

 private:
  std::map<std::string, LookupTable> tables_;
};

// Client-address patterns as CIDR: GrantsStrangers decides; "?..." patterns are unproven.
inline EntryJudgement FakeJudge(const LookupTable&, const TableEntry& entry, LookupKind,
                                const Policy& policy) {
  if (!IsPermitAction(entry.action)) return {false, false, "not a permit"};
  if (!entry.pattern.empty() && entry.pattern.front() == '?') return {false, true, "cannot tell"};
  absl::StatusOr<Cidr> cidr = ParseCidr(entry.pattern);
  if (!cidr.ok()) return {false, true, "not an address"};
  if (GrantsStrangers(policy, *cidr)) return {true, false, "grants strangers"};
  return {false, false, "narrow: " + cidr->ToString()};
}

}  // namespace relayguard::agent::postfix::testing

#endif  // RELAYGUARD_TESTS_AGENT_MTA_POSTFIX_POSTFIX_FAKES_H_
