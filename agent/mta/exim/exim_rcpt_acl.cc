#include "agent/mta/exim/exim_rcpt_acl.h"

#include <algorithm>
#include <string>
#include <vector>

#include "agent/mta/exim/exim_acl.h"
#include "agent/mta/exim/exim_acl_accept.h"
#include "agent/mta/exim/exim_list.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/cidr.h"
#include "common/status_macros.h"

namespace relayguard::agent::exim {
namespace {

// One item of an Exim list in an ACL condition: "! +local_domains" -> {true, "+local_domains"}.
struct ListItem {
  bool negated = false;
  std::string body;
  bool operator==(const ListItem&) const = default;
};

std::vector<ListItem> Items(absl::string_view value) {
  std::vector<ListItem> items;
  for (const std::string& raw : ParseEximList(value)) {
    absl::string_view v = raw;
    ListItem item;
    if (absl::ConsumePrefix(&v, "!")) item.negated = true;
    item.body = std::string(absl::StripAsciiWhitespace(v));
    items.push_back(std::move(item));
  }
  return items;
}

// +local_domains and/or +relay_to_domains, every item negated as `negated` says.
bool IsRelayDomains(absl::string_view value, bool negated) {
  std::vector<ListItem> items = Items(value);
  if (items.empty()) return false;
  for (const ListItem& item : items) {
    if (item.negated != negated) return false;
    if (item.body != "+local_domains" && item.body != "+relay_to_domains") return false;
  }
  return true;
}

bool IsOnlyRelayFromHosts(absl::string_view value, bool negated) {
  return Items(value) == std::vector<ListItem>{{negated, "+relay_from_hosts"}};
}

bool IsRequireCheck(const AclStatement& s) {
  for (const AclItem& item : s.items) {
    if (!item.conditional && !item.negated && item.name == "domains" &&
        IsRelayDomains(item.value, false)) {
      return true;
    }
  }
  return false;
}

// deny !domains = +local_domains : +relay_to_domains, with only the exceptions for trusted
// clients beside it (any other condition would narrow the denial).
bool IsDenyCheck(const AclStatement& s) {
  bool domains = false;
  for (const AclItem& item : s.items) {
    if (item.conditional) return false;
    if (IsAclModifier(item.name)) continue;
    if (item.name == "domains" && IsRelayDomains(item.value, !item.negated)) {
      domains = true;
    } else if (item.name == "hosts" && IsOnlyRelayFromHosts(item.value, !item.negated)) {
      continue;
    } else if (item.name == "authenticated" && item.negated && absl::StripAsciiWhitespace(item.value) == "*") {
      continue;
    } else {
      return false;
    }
  }
  return domains;
}

bool IsRestriction(const AclItem& item) {
  if (item.conditional || item.negated) return false;
  if (item.name == "hosts") {
    return IsOnlyRelayFromHosts(item.value, false) ||
           Items(item.value) == std::vector<ListItem>{{false, ""}};
  }
  if (item.name == "authenticated") return absl::StripAsciiWhitespace(item.value) == "*";
  if (item.name == "domains") return IsRelayDomains(item.value, false);
  return false;
}

// Whether `s` may accept a recipient in a domain that is neither local nor a relay domain.
bool CouldAcceptForeign(const AclStatement& s) {
  if (s.verb.empty()) return true;
  if (s.verb != "accept") return false;
  return std::none_of(s.items.begin(), s.items.end(), IsRestriction);
}

std::string Indent(absl::string_view content) {
  size_t n = content.find_first_not_of(" \t");
  return std::string(content.substr(0, n == absl::string_view::npos ? 0 : n));
}

// A relay check met while walking the ACL: the branch it is in, and whether trusted clients
// pass it (the deny form with `!hosts = +relay_from_hosts`).
struct Check {
  size_t branch = kTopLevel;
  bool lets_trusted_through = false;
};

bool LetsTrustedThrough(const AclStatement& s) {
  if (s.verb == "require") return false;
  return std::any_of(s.items.begin(), s.items.end(), [](const AclItem& item) {
    return item.name == "hosts" && IsOnlyRelayFromHosts(item.value, !item.negated);
  });
}

// Whether `s` could accept a foreign recipient from a client in +relay_from_hosts: an accept
// restricted, if at all, only to those hosts (or an opaque line, which might be one).
bool MayRelayForTrusted(const AclStatement& s) {
  if (s.verb.empty()) return true;
  if (s.verb != "accept") return false;
  return std::none_of(s.items.begin(), s.items.end(), [](const AclItem& i) {
    return IsRestriction(i) && !(i.name == "hosts" && IsOnlyRelayFromHosts(i.value, false));
  });
}

// Whether `s` is an accept that lets trusted clients relay (hosts = +relay_from_hosts,
// authenticated = *).
bool GrantsRelaying(const AclStatement& s) {
  if (s.verb != "accept") return false;
  for (const AclItem& item : s.items) {
    if (item.conditional || item.negated) continue;
    if (item.name == "hosts" && IsOnlyRelayFromHosts(item.value, false)) return true;
    if (item.name == "authenticated" && absl::StripAsciiWhitespace(item.value) == "*") return true;
  }
  return false;
}

// The canonical relay check; when an accept for trusted clients comes after it, the deny form
// that lets them through instead, so that they keep relaying.
// Returns whether it inserted the deny form.
bool InsertCheck(const Acl& acl, size_t at, const std::string& indent, TextEditor& editor) {
  bool trusted_later =
      std::any_of(acl.statements.begin(), acl.statements.end(),
                  [&](const AclStatement& s) { return s.first >= at && GrantsRelaying(s); });
  if (!trusted_later) {
    editor.InsertBefore(at, absl::StrCat(indent, "require message = relay not permitted"));
    editor.InsertBefore(at, absl::StrCat(indent, "        domains = +local_domains : +relay_to_domains"));
    return false;
  }
  editor.InsertBefore(at, absl::StrCat(indent, "deny    message = relay not permitted"));
  editor.InsertBefore(at, absl::StrCat(indent, "       !domains = +local_domains : +relay_to_domains"));
  editor.InsertBefore(at, absl::StrCat(indent, "       !hosts = +relay_from_hosts"));
  editor.InsertBefore(at, absl::StrCat(indent, "       !authenticated = *"));
  return true;
}

// Where a check protecting statement `i` goes: right before it, or above the .ifdef blocks
// around it as long as no accepting statement is passed on the way.
size_t InsertionPoint(const ConfigText& text, const Acl& acl, size_t i) {
  size_t at = acl.statements[i].first;
  for (size_t b = text.lines()[at].branch; b != acl.header_branch && b != kTopLevel;) {
    const PhysicalLine& opener = text.lines()[b];
    size_t block = opener.kind == LineKind::kIf ? b : opener.block;
    for (const AclStatement& s : acl.statements) {
      if (s.first >= block && s.first < at && (s.verb == "accept" || s.verb.empty())) return at;
    }
    at = block;
    b = text.lines()[block].branch;
  }
  return at;
}

// Just past the ACL's last statement, and past the .endif lines that close blocks around it.
absl::StatusOr<size_t> EndOfAcl(const ConfigText& text, const Acl& acl) {
  size_t last = acl.statements.empty() ? acl.header : acl.statements.back().last;
  size_t branch = text.BranchAfter(last);
  for (size_t p = last + 1; branch != acl.header_branch && p < acl.stop; ++p) {
    LineKind kind = text.lines()[p].kind;
    if (kind == LineKind::kBlank || kind == LineKind::kComment) continue;
    if (kind != LineKind::kElse && kind != LineKind::kEndif) break;
    last = p;
    branch = text.BranchAfter(p);
  }
  if (branch != acl.header_branch) {
    return AclError(text, last, acl.name,
                    "ends inside an .ifdef block; cannot find a safe place for the relay check");
  }
  return last + 1;
}

void Disable(const ConfigText& text, const Acl& acl, const AclStatement& s, const AcceptAnalysis& a,
             TextEditor& editor, EximEdit& notes) {
  for (size_t p = s.first; p <= s.last; ++p) {
    if (text.lines()[p].kind != LineKind::kText) continue;
    editor.Replace(p, absl::StrCat(kDisabledPrefix, text.lines()[p].content));
  }
  notes.changed.push_back(absl::StrCat(acl.name, " open accept (line ", s.first + 1, ")"));
  std::string because = a.where == text.Where(s.first) ? "" : absl::StrCat(" (because of ", a.where, ")");
  notes.warnings.push_back(absl::StrCat(text.Where(s.first), ": ACL ", acl.name, ": this \"accept\" ",
                               a.what, because, ": an open relay; it is now commented out"));
  // The narrow entries of the same host list go with it: say so, so no partner loses relaying
  // silently.
  for (const HostItem& h : a.lost) {
    notes.warnings.push_back(absl::StrCat(h.where, ": ACL ", acl.name, ": ", h.item,
                                 " no longer relays through this accept (it shared it with a "
                                 "catch-all); name it in relay.partners to keep it relaying"));
  }
}

// The narrow grants of a partner accept, for RenderedChange::kept.
void Keep(const Acl& acl, const AcceptAnalysis& a, EximEdit& notes) {
  for (const HostItem& h : a.items) {
    notes.kept.push_back(absl::StrCat(h.where, ": ACL ", acl.name, " accepts recipients from ", h.item,
                             " before the relay check (a narrow grant)"));
  }
}

void NoteOpening(const Acl& acl, const AclStatement& s, const AcceptAnalysis& a, EximEdit& notes) {
  notes.openings.push_back({absl::StrCat("ACL ", acl.name, " accept (line ", s.first + 1, ")"), a.what,
                            a.where, a.listeners, a.grant == AcceptGrant::kUnproven});
}

void WarnTrustedCannotRelay(const ConfigText& text, const Acl& acl, EximEdit& notes) {
  notes.warnings.push_back(absl::StrCat(text.Where(acl.header), ": ACL ", acl.name,
                               " accepts no foreign recipient from +relay_from_hosts before a "
                               "relay check stops it, so the policy's trusted networks cannot "
                               "relay"));
}

}  // namespace

bool IsRelayCheck(const AclStatement& s) {
  if (s.verb == "require") return IsRequireCheck(s);
  if (s.verb == "deny" || s.verb == "drop") return IsDenyCheck(s);
  return false;
}

absl::Status PlanRcptAclEdits(const ConfigText& text, absl::string_view section,
                              absl::string_view acl_name, bool trusted_hosts_relay,
                              const RcptAclContext& context, TextEditor& editor, EximEdit& notes) {
  ASSIGN_OR_RETURN(Acl acl, ReadAcl(text, section, acl_name));
  const std::vector<AclStatement>& statements = acl.statements;
  std::vector<Check> checks;  // the relay checks met so far, existing or planned
  auto covered = [&](size_t line, bool only_if_blocks_trusted) {
    return std::any_of(checks.begin(), checks.end(), [&](const Check& c) {
      return text.InBranch(line, c.branch) && !(only_if_blocks_trusted && c.lets_trusted_through);
    });
  };
  bool inserted = false;
  bool trusted_can_relay = false;
  for (size_t i = 0; i < statements.size(); ++i) {
    const AclStatement& s = statements[i];
    if (IsRelayCheck(s)) {
      checks.push_back({s.branch, LetsTrustedThrough(s)});
      continue;
    }
    if (CouldAcceptForeign(s) && !covered(s.first, false)) {
      AcceptAnalysis a;
      if (s.verb == "accept") {
        a = AnalyseAccept(text, s, context);
      } else {
        a.where = text.Where(s.first);
        a.what =
            "an opaque line (.include, a macro) that may accept foreign recipients before "
            "the relay check";
      }
      if (a.grant == AcceptGrant::kDormant) continue;
      if (a.grant == AcceptGrant::kPartner) {
        Keep(acl, a, notes);
        continue;
      }
      NoteOpening(acl, s, a, notes);
      if (a.grant == AcceptGrant::kUnproven) continue;
      if (a.grant == AcceptGrant::kOpen &&
          std::any_of(statements.begin() + static_cast<std::ptrdiff_t>(i) + 1, statements.end(),
                      IsRelayCheck)) {
        Disable(text, acl, s, a, editor, notes);
        continue;
      }
      size_t at = InsertionPoint(text, acl, i);
      bool deny_form = InsertCheck(acl, at, Indent(text.lines()[s.first].content), editor);
      checks.push_back({text.lines()[at].branch, deny_form});
      inserted = true;
    }
    if (MayRelayForTrusted(s) && !covered(s.first, true)) trusted_can_relay = true;
  }
  if (checks.empty()) {
    notes.openings.push_back({absl::StrCat("ACL ", acl.name, " relay check"),
                              "no relay check (require domains = +local_domains : "
                              "+relay_to_domains)",
                              text.Where(acl.header),
                              {},
                              false});
    ASSIGN_OR_RETURN(size_t at, EndOfAcl(text, acl));
    std::string indent =
        statements.empty() ? "  " : Indent(text.lines()[statements.back().first].content);
    InsertCheck(acl, at, indent, editor);
    inserted = true;
  }
  if (inserted) notes.changed.push_back(absl::StrCat(acl.name, " relay rule"));
  if (trusted_hosts_relay && !trusted_can_relay) WarnTrustedCannotRelay(text, acl, notes);
  return absl::OkStatus();
}

}  // namespace relayguard::agent::exim
