// Postfix lookup tables named in a restriction list ("check_client_access cidr:/etc/postfix/
// clients.cidr"), read as entries, and the judgement of each entry: does it let a stranger relay?
// (issue 11: "keep the admin's own rules": a partner's narrow entry is kept, "0.0.0.0/0 OK" in a
// cidr: table or a catch-all in a regexp:/pcre: table is what opens the relay.)
//
// Readable here: cidr:, regexp:, pcre:, texthash: files directly (their own syntax, see
// cidr_table(5), regexp_table(5), pcre_table(5)), inline:{ ... } and static:VALUE from the
// specification itself, and the indexed types (hash:, btree:, lmdb:, cdb:, dbm:, sdbm:) through
// `postmap -s TYPE:PATH`. proxy:TYPE:NAME is read as TYPE:NAME. Anything else (ldap:, mysql:,
// pgsql:, sqlite:, tcp:, socketmap:, memcache:, unionmap:, pipemap:, ...) cannot be read: what
// it answers is unknown, so a restriction that depends on it is unproven (inconclusive), never
// called closed.
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_LOOKUP_TABLE_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_LOOKUP_TABLE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/os/file_system.h"
#include "agent/os/process_runner.h"
#include "agent/policy/policy.h"

namespace relayguard::agent::postfix {

// What the keys of a table are matched against in the restriction that names it; it decides
// who controls the key and so who an entry can let through.
enum class LookupKind {
  kClient,     // check_client_access, check_client_a_access, check_reverse_client_hostname_access,
               // ...: the client's address and (verified or not) host name
  kSender,     // check_sender_access and friends: MAIL FROM, chosen by the client (forgeable)
  kHelo,       // check_helo_access and friends: the HELO name, chosen by the client (forgeable)
  kRecipient,  // check_recipient_access and friends: RCPT TO
  kOther,      // check_ccert_access, check_sasl_access, check_policy_service targets, ...
};

// The lookup kind of a restriction name ("check_client_access" -> kClient); kOther for names
// that take a table but are none of the above.
LookupKind LookupKindOf(std::string_view restriction);

struct TableEntry {
  int line = 0;          // 1-based line of the entry in `path`; 0 for inline:/static:
  std::string pattern;   // as written: "0.0.0.0/0", "!192.0.2.0/24", "/^127\\./", "example.com"
  std::string action;    // the result, trimmed: "OK", "REJECT", "permit_mynetworks, reject"
};

struct LookupTable {
  std::string spec;  // as named in the restriction: "cidr:/etc/postfix/clients.cidr"
  std::string type;  // "cidr", "regexp", "pcre", "texthash", "hash", "lmdb", "inline", "static"
  std::string path;  // the file the entries came from ("" for inline:/static:)
  std::vector<TableEntry> entries;  // in table order (indexed tables: postmap -s order)
};

// Whether `action`, returned by a table in a relay restriction list, lets the RCPT through for
// good (so that a later reject_unauth_destination never sees it): OK, an all-numerical result
// (access(5): "treated as OK"), PERMIT/permit in any case, or a restriction list whose first
// element is one of those. Everything else (REJECT, DEFER, DUNNO, 4xx/5xx text, reject_*,
// permit_mynetworks, permit_sasl_authenticated, a restriction class name, ...) is not a grant.
bool IsPermitAction(std::string_view action);

// Whether one entry lets a stranger relay, and why, in words for the report.
struct EntryJudgement {
  bool grants_strangers = false;
  bool unproven = false;  // relayguard cannot tell (a pattern it cannot evaluate)
  std::string why;        // "0.0.0.0/0 OK grants every client", "narrow: 192.0.2.0/24"
};

// Judges `entry` of `table`, met through a restriction of `kind`, under `policy`:
//  - an entry whose action is not a permit (IsPermitAction) grants nothing;
//  - kClient, address patterns (cidr: networks; indexed/inline/texthash keys that are an
//    address or a dotted prefix such as "192.168" or "127"): GrantsStrangers(policy, network);
//    host name keys: a single label ("com") or an empty key grants strangers, a longer name is
//    narrow;
//  - kClient, regexp:/pcre: patterns: tested against sample strangers (the policy's untrusted
//    source address, addresses from 0.0.0.0/8 to 223.x and IPv6 documentation space, host names
//    such as "unknown", "mail.example.net", "relayguard-probe.invalid"): a match grants
//    strangers; a pattern that cannot be compiled is unproven;
//  - kSender and kHelo: every permit grants strangers (the client writes the key: anyone can
//    claim that sender or HELO name);
//  - kRecipient: a catch-all (a pattern matching recipients in foreign domains such as
//    "relay-test@example.net", "victim@[192.0.2.1]", "user%example.net@host") grants strangers;
//    a narrow domain is like relay_domains and is kept;
//  - kOther: a permit is unproven (relayguard cannot tell who holds such a key).
// cidr "!pattern" entries match every address outside the pattern.
EntryJudgement JudgeEntry(const LookupTable& table, const TableEntry& entry, LookupKind kind,
                          const Policy& policy);

class LookupTableReader {
 public:
  virtual ~LookupTableReader() = default;
  // Reads every entry of table `spec` ("type:name"). Unimplemented naming the type for tables
  // relayguard cannot read; NotFound for a missing file; InvalidArgument "PATH:LINE: ..." for a
  // line it cannot parse; FailedPrecondition with postmap's message when postmap -s fails.
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
  FileSystem& fs_;
  ProcessRunner& runner_;
  std::string postmap_path_;
  std::string config_dir_;
};

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_LOOKUP_TABLE_H_
