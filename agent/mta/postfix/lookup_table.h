// Postfix lookup tables named in a restriction list ("check_client_access cidr:/etc/postfix/
// clients.cidr"), read as entries, and the judgement of each entry: does it let a stranger relay?
// (issue 11: "keep the admin's own rules": a partner's narrow entry is kept, "0.0.0.0/0 OK" in a
// cidr: table or a catch-all in a regexp:/pcre: table is what opens the relay.)
//
// Readable here: cidr:, regexp:, pcre:, texthash: files directly (their own syntax, see
// cidr_table(5), regexp_table(5), pcre_table(5)), the Postfix 3.7 inline forms cidr:{ {rule},
// ... }, regexp:{...}, pcre:{...}, inline:{ key=value, { key = value } } and static:VALUE from the
// specification itself, fail: (answers nothing), and the indexed types (hash:, btree:, lmdb:,
// cdb:, dbm:, sdbm:) through `postmap -s TYPE:PATH`. proxy:TYPE:NAME is read as TYPE:NAME.
// Anything else (ldap:, mysql:, pgsql:, sqlite:, tcp:, socketmap:, memcache:, unionmap:,
// pipemap:, randmap:, environ:, ...) cannot be read: what it answers is unknown, so a restriction
// that depends on it is unproven (inconclusive), never called closed.
//
// Fidelity: the file readers parse as Postfix 3.7 does (logical lines: a line starting with
// whitespace continues the previous one, comment and blank lines are skipped even between a line
// and its continuation, CR is whitespace). A rule Postfix would skip with a warning (a bad
// address, a pattern that does not compile, "endif" without "if", a texthash line without a
// value) makes the whole table InvalidArgument "PATH:LINE: ...": the admin's table does not do
// what it says, so relayguard does not judge it. A rule Postfix keeps with a warning (a regexp
// rule without a result, an "if" without "endif") is read as Postfix uses it.
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_LOOKUP_TABLE_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_LOOKUP_TABLE_H_

#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "agent/os/file_system.h"
#include "agent/os/process_runner.h"
#include "agent/policy/policy.h"

namespace relayguard::agent::postfix {

// What the keys of a table are matched against in the restriction that names it; it decides
// who controls the key and so who an entry can let through.
enum class LookupKind {
  kClient,     // check_client_access: the client's address (from TCP) and its forward-confirmed
               // host name ("unknown" when there is none)
  kSender,     // check_sender_access and its _a/_mx/_ns forms: MAIL FROM, chosen by the client
  kHelo,       // check_helo_access and its _a/_mx/_ns forms: the HELO name, chosen by the client
  kRecipient,  // check_recipient_access: RCPT TO
  kOther,      // check_ccert_access, check_sasl_access, check_etrn_access, ...
  // check_client_a/mx/ns_access, check_reverse_client_hostname_access (and its _a/_mx/_ns
  // forms), check_recipient_a/mx/ns_access: keys come from DNS records that the client (or the
  // owner of a domain it names) publishes, so like kSender every permit grants strangers.
  kDnsDerived,
};

// The lookup kind of a restriction name ("check_client_access" -> kClient); kOther for names
// that take a table but are none of the above.
LookupKind LookupKindOf(absl::string_view restriction);

struct TableEntry {
  int line = 0;         // 1-based first line of the entry in `path`; 0 for inline:/static: and
                        // for indexed tables whose source file does not hold the key
  std::string pattern;  // as written, negations folded: "0.0.0.0/0", "!192.0.2.0/24",
                        // "/^127\\./", "!/^foo/i", "/a/!/b/" (regexp: second pattern),
                        // "example.com"; "" for static: (every key)
  std::string action;   // the result, trimmed: "OK", "REJECT", "permit_mynetworks, reject"
  // cidr:, regexp:, pcre: only: the patterns of the "if" blocks around the entry, outermost
  // first, as written ("172.16.0.0/12", "!/^mail\\./"). The entry applies only to keys that
  // satisfy every one of them.
  std::vector<std::string> conditions;
};

struct LookupTable {
  std::string spec;  // as named in the restriction: "cidr:/etc/postfix/clients.cidr"
  std::string type;  // "cidr", "regexp", "pcre", "texthash", "hash", "lmdb", "inline", "static"
                     // (proxy: unwrapped)
  std::string path;  // the file the entries came from: the table file, or for indexed tables
                     // the source file PATH of PATH.db; "" for inline:/static:/TYPE:{...}
  std::vector<TableEntry> entries;  // in table order (indexed tables: postmap -s order)
};

// Whether `action`, returned by a table in a relay restriction list, lets the RCPT through for
// good (so that a later reject_unauth_destination never sees it), as smtpd's access(5) handling
// decides: OK or RELAY (any case, trailing text ignored), an all-numerical result ("treated as
// OK"), an empty result (Postfix: "an empty right-hand side meant OK"), or a restriction list
// that reaches `permit` (any case) before an unconditional reject/defer, defer_if_permit or
// reject_unauth_destination/defer_unauth_destination ("reject_rbl_client zen.example, permit"
// grants everyone not listed). Everything else is not a grant: REJECT, DEFER, DUNNO, HOLD,
// DISCARD, FILTER, PREPEND, WARN, ..., 4xx/5xx text, a list with a ':' (Postfix refuses tables
// there), and lists of conditional permits only (permit_mynetworks, permit_sasl_authenticated,
// a restriction class name, ...).
bool IsPermitAction(absl::string_view action);

// Whether one entry lets a stranger relay, and why, in words for the report.
struct EntryJudgement {
  bool grants_strangers = false;
  bool unproven = false;  // relayguard cannot tell (a pattern it cannot evaluate)
  std::string why;        // "0.0.0.0/0 OK grants every client", "narrow: 192.0.2.0/24"
};

// Judges `entry` of `table`, met through a restriction of `kind`, under `policy`:
//  - an entry whose action is not a permit (IsPermitAction) grants nothing; a regexp:/pcre:
//    result whose permit depends on $1-style substitution is unproven;
//  - kClient, cidr: the addresses the entry matches, "!" and its "if" blocks applied (Postfix
//    matches "!net" and "if" only within the pattern's address family), are judged by
//    GrantsStrangers(policy, block) for each block of that set;
//  - kClient, indexed/inline/texthash keys that are an address or a dotted/colon prefix as
//    access(5) matches them ("192.168" = 192.168.0.0/16, "127" = 127.0.0.0/8, "2001:db8" =
//    2001:db8::/32): GrantsStrangers(policy, network); host name keys (parents match
//    subdomains): empty, a single label ("com", "unknown") or a public suffix such as "co.uk"
//    grants strangers, a longer name is narrow; static: grants every client;
//  - kClient, regexp:/pcre: the pattern (with "!" and its "if" blocks) is run with the engine
//    Postfix uses (POSIX regcomp for regexp:, PCRE2 for pcre:, with the table's flags) against
//    sample strangers (stranger_samples.h): for each /8 from 0 to 223 four addresses in
//    different /16s with uncommon octets, IPv6 addresses in distinct /32s (2001:db8::/32,
//    3fff::/20 and other global unicast shapes), the policy's untrusted source, and host
//    names ("unknown", "relayguard-probe.invalid", "mail.example.net", "smtp.example.org",
//    dynamic-looking names under several provider domains). Samples inside a trusted network or
//    a partner are left out. It grants strangers when it matches the untrusted source or
//    "unknown", or samples in two different /16 (IPv4), /32 (IPv6) or registered domains (a
//    narrow partner rule matches at most one); a pattern that cannot be compiled or evaluated is
//    unproven;
//  - kSender, kHelo, kDnsDerived: every permit grants strangers (the client writes the key:
//    anyone can claim that sender, HELO name or DNS record);
//  - kRecipient: a catch-all grants strangers: static:, a key "user@" (that local part in every
//    domain), a single-label or public-suffix domain, a domain that is or contains the probe's
//    foreign recipient domain, or a regexp:/pcre: pattern that matches the probe's foreign
//    recipient or foreign recipients ("postmaster@example.org", "victim@[192.0.2.1]",
//    "user%example.net@relayguard-probe.invalid", ...) in two different domains outside
//    policy.relay_domains; a narrow domain is like relay_domains and is kept; cidr: keys never
//    match a mail address;
//  - kOther: a permit is unproven (relayguard cannot tell who holds such a key).
EntryJudgement JudgeEntry(const LookupTable& table, const TableEntry& entry, LookupKind kind,
                          const Policy& policy);

class LookupTableReader {
 public:
  virtual ~LookupTableReader() = default;
  // Reads every entry of table `spec` ("type:name"). Unimplemented naming the type for tables
  // relayguard cannot read; NotFound for a missing file (for indexed tables: a missing PATH.db,
  // saying whether PATH exists); InvalidArgument "PATH:LINE: ..." for a line Postfix would not
  // use; FailedPrecondition with postmap's message when postmap -s fails or times out.
  // Reads files and runs postmap; no side effects. May be retried.
  virtual absl::StatusOr<LookupTable> Read(const std::string& spec) = 0;
};

// The real reader: files through `fs`, indexed tables through `postmap -c CONFIG_DIR -s`.
class RealLookupTableReader : public LookupTableReader {
 public:
  RealLookupTableReader(FileSystem& fs, ProcessRunner& runner, std::string postmap_path,
                        std::string config_dir);
  absl::StatusOr<LookupTable> Read(const std::string& spec) override;

 private:
  absl::StatusOr<LookupTable> ReadIndexed(LookupTable table, const std::string& name);

  FileSystem& fs_;
  ProcessRunner& runner_;
  std::string postmap_path_;
  std::string config_dir_;
};

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_LOOKUP_TABLE_H_
