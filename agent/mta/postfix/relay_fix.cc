#include "agent/mta/postfix/relay_fix.h"

#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/mta/postfix/relay_judgement.h"
#include "agent/mta/postfix/restriction_list.h"
#include "agent/mta/postfix/xclient_hosts.h"
#include "common/cidr.h"

namespace relayguard::agent::postfix {
namespace {

constexpr int kMaxEdits = 64;  // per listener; a fixed list needs a handful

void AddUnique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

std::string ListValue(const RestrictionList& list) {
  std::vector<std::string> parts;
  for (const Element& e : list.elements) parts.push_back(e.Text());
  return absl::StrJoin(parts, ", ");
}

// The list of the service that decides relaying, judged as if mynetworks held no stranger
// (`mynetworks` otherwise): the one that stops strangers, else the one to fix.
struct Deciding {
  RestrictionList list;
  ListJudgement judgement;
};

absl::StatusOr<Deciding> DecidingList(const PostfixConfig& config, int line, RelayJudge& judge,
                                      const std::optional<Finding>& mynetworks) {
  absl::StatusOr<RestrictionList> rcpt =
      BuildRestrictionList(config, line, "smtpd_recipient_restrictions");
  if (!rcpt.ok()) return rcpt.status();
  if (!config.version.HasRelayRestrictions()) {
    return Deciding{*rcpt, judge.Judge(*rcpt, line, mynetworks)};
  }
  absl::StatusOr<RestrictionList> relay =
      BuildRestrictionList(config, line, "smtpd_relay_restrictions");
  if (!relay.ok()) return relay.status();
  ListJudgement jr = judge.Judge(*relay, line, mynetworks);
  if (jr.verdict == ListVerdict::kStops) return Deciding{*relay, jr};
  ListJudgement jc = judge.Judge(*rcpt, line, mynetworks);
  if (jc.verdict == ListVerdict::kStops) return Deciding{*rcpt, jc};
  // Neither stops strangers: fix the relay list, unless it is empty and the recipient list is
  // where this service's admin wrote the rules (Debian's submission service).
  if (relay->elements.empty() && !rcpt->elements.empty()) return Deciding{*rcpt, jc};
  return Deciding{*relay, jr};
}

struct Edit {
  explicit Edit(std::string w, std::string warn = "")
      : what(std::move(w)), warning(std::move(warn)) {}
  std::string what;     // "removed permit"
  std::string warning;  // for a move: why, where
};

class ListEditor {
 public:
  ListEditor(PostfixConfig& config, Deciding& d, std::vector<std::string>& changed)
      : config_(config), list_(d.list), j_(d.judgement), changed_(changed) {}

  // `offers_auth`: the policy offers AUTH on this listener, so authenticated clients relay.
  std::optional<Edit> Once(ListenerRole role, bool was_open, bool offers_auth,
                           const Policy& policy) {
    const size_t end = j_.closing.value_or(list_.elements.size());
    const std::string closing_word =
        role == ListenerRole::kRelay ? "reject_unauth_destination" : "reject";
    if (j_.closing) {
      const Element& c = list_.elements[*j_.closing];
      if (c.kind == ElementKind::kClosing &&
          (c.words[0] == "defer_unauth_destination" || c.words[0] == "defer")) {
        const std::string by = c.words[0] == "defer" ? "reject" : "reject_unauth_destination";
        Source(c).text.Replace(c.first_word, by);
        Write(c.source);
        return Edit{absl::StrCat("replaced ", c.words[0], " with ", by, " (", c.where,
                                 ": a 4xx reply proves nothing to a relay probe)")};
      }
    }
    if (was_open && j_.verdict != ListVerdict::kStops) {
      if (!j_.closing) {
        list_.sources[0].text.Insert(list_.sources[0].text.words().size(), closing_word);
        Write(0);
        return Edit{absl::StrCat("added ", closing_word, " at the end")};
      }
      for (size_t i = 0; i < end; ++i) {
        if (list_.elements[i].kind != ElementKind::kPermit) continue;
        RemoveElement(i);
        return Edit{absl::StrCat("removed permit (", list_.elements[i].where,
                                 ": it let every client relay)")};
      }
      for (auto it = j_.granting.rbegin(); it != j_.granting.rend(); ++it) {
        const Element& e = list_.elements[*it];
        if (e.kind != ElementKind::kTable && e.kind != ElementKind::kClass) continue;
        return Move(*it);
      }
    }
    if (policy.require_auth) {
      for (size_t i = 0; i < end; ++i) {
        if (list_.elements[i].kind != ElementKind::kPermitMynetworks) continue;
        RemoveElement(i);
        return Edit{
            "removed permit_mynetworks (require_auth: trusted networks relay only after "
            "SMTP AUTH)"};
      }
    }
    if (!j_.closing) return std::nullopt;
    auto has_before_closing = [&](ElementKind kind) {
      for (size_t i = 0; i < end; ++i) {
        if (list_.elements[i].kind == kind) return true;
      }
      return false;
    };
    if (role == ListenerRole::kRelay && !policy.require_auth &&
        !has_before_closing(ElementKind::kPermitMynetworks)) {
      list_.sources[0].text.Insert(0, "permit_mynetworks");
      Write(0);
      return Edit{"added permit_mynetworks first (the trusted networks keep relaying)"};
    }
    if ((policy.require_auth || offers_auth || (role == ListenerRole::kSubmission && was_open)) &&
        !has_before_closing(ElementKind::kPermitSasl)) {
      const Element& c = list_.elements[*j_.closing];
      Source(c).text.Insert(c.first_word, "permit_sasl_authenticated");
      Write(c.source);
      return Edit{absl::StrCat("added permit_sasl_authenticated before ", c.words[0])};
    }
    return std::nullopt;
  }

 private:
  ListSource& Source(const Element& e) { return list_.sources[e.source]; }

  void Write(size_t source) {
    AddUnique(changed_, list_.sources[source].Describe(config_.master_cf));
    WriteBack(list_.sources[source], config_);
  }

  void RemoveElement(size_t i) {
    const Element& e = list_.elements[i];
    Source(e).text.Remove(e.first_word, e.first_word + e.word_count - 1);
    Write(e.source);
  }

  // Moves element `i` to just after the closing element: strangers never reach it, local mail
  // still does. Inserting first keeps the element's word indices valid (it comes earlier).
  Edit Move(size_t i) {
    const Element& e = list_.elements[i];
    const Element& c = list_.elements[*j_.closing];
    Source(c).text.Insert(c.first_word + c.word_count, e.written);
    if (e.source != c.source) Write(c.source);
    Source(e).text.Remove(e.first_word, e.first_word + e.word_count - 1);
    Write(e.source);
    std::vector<std::string> why;
    for (const Finding& f : j_.grants) {
      const std::string cls = absl::StrCat("restriction class ", e.words[0], ":");
      if (f.what.rfind(e.Text() + ":", 0) == 0 || f.what.rfind(cls, 0) == 0) {
        why.push_back(absl::StrCat(f.where, ": ", f.what));
      }
    }
    Edit edit{absl::StrCat("moved ", e.written, " after ", c.words[0])};
    edit.warning =
        absl::StrCat(e.where, ": moved ", e.written, " after ", c.words[0], " in ", list_.param,
                     ", where it no longer lets strangers relay (", absl::StrJoin(why, "; "),
                     "); it still applies to mail for "
                     "this host's own domains");
    return edit;
  }

  PostfixConfig& config_;
  RestrictionList& list_;
  const ListJudgement& j_;
  std::vector<std::string>& changed_;
};

bool InsideRelayClients(const Policy& policy, const std::string& token) {
  std::string t = token;
  if (t.size() > 1 && t.front() == '[')
    t = t.substr(1, t.find(']') - 1) + t.substr(t.find(']') + 1);
  absl::StatusOr<Cidr> cidr = ParseCidr(t);
  if (!cidr.ok()) return false;
  for (const Cidr& c : RelayClients(policy)) {
    if (c.address.family == cidr->address.family && c.prefix_length <= cidr->prefix_length &&
        c.Contains(cidr->address)) {
      return true;
    }
  }
  return false;
}

std::string MynetworksWhere(const PostfixConfig& config, int line) {
  const MasterCf::Service* s = config.master_cf.ServiceAt(line);
  for (const char* name : {"mynetworks", "mynetworks_style"}) {
    if (const MasterCf::Override* o = s ? s->Find(name) : nullptr) {
      return config.MasterWhere(o->line);
    }
    if (std::optional<int> l = config.main_cf.Line(name)) return config.MainWhere(*l);
  }
  return config.main_cf_path + " (default mynetworks_style)";
}

// Relay listeners first: a list they share with submission listeners is fixed for relaying.
std::vector<const PostfixListener*> Ordered(const std::vector<PostfixListener>& listeners) {
  std::vector<const PostfixListener*> out;
  for (ListenerRole role : {ListenerRole::kRelay, ListenerRole::kSubmission}) {
    for (const PostfixListener& l : listeners) {
      if (!l.listener.internal && l.listener.role == role) out.push_back(&l);
    }
  }
  return out;
}

}  // namespace

namespace {

// A service's own mynetworks: removed when it holds strangers or cannot be judged (the service
// then uses main.cf's, the policy's relay clients); a narrow one is the admin's and is kept.
void FixMynetworksOverride(PostfixConfig& config, int line, const Policy& policy,
                           const std::string& name, FixResult& r) {
  const MasterCf::Service* service = config.master_cf.ServiceAt(line);
  const MasterCf::Override* o = service ? service->Find("mynetworks") : nullptr;
  if (o == nullptr) return;
  NetworksJudgement nj = JudgeNetworks(config.Expanded(line, "mynetworks"), policy);
  if (nj.Grants() || !nj.unproven.empty()) {
    r.drift.push_back({"mynetworks", o->value, "(removed: the service uses main.cf's)", name,
                       config.MasterWhere(o->line)});
    AddUnique(r.changed, absl::StrCat("master.cf:", o->line, " ", service->Id(), " -o mynetworks"));
    config.master_cf.RemoveOverride(line, "mynetworks");
    return;
  }
  for (const std::string& n : nj.narrow) {
    if (InsideRelayClients(policy, n)) continue;
    AddUnique(r.kept, absl::StrCat(config.MasterWhere(o->line), ": ", service->Id(),
                                   " -o mynetworks grants ", n, " (kept: narrow)"));
  }
}

// Edits the list that decides relaying for the service of `pl` until it stops strangers (or no
// edit applies), then says whether it does.
void FixDecidingList(PostfixConfig& config, const PostfixListener& pl, const Policy& policy,
                     RelayJudge& judge, FixResult& r) {
  const std::string name = pl.listener.Name();
  absl::StatusOr<Deciding> d = DecidingList(config, pl.rules_line, judge, std::nullopt);
  if (!d.ok()) {
    r.unfixable.push_back(absl::StrCat("listener ", name, ": ", d.status().message()));
    return;
  }
  const std::string param = d->list.param;
  const std::string where = d->list.sources[0].Where();
  const std::string before = ListValue(d->list);
  const bool was_open = d->judgement.verdict != ListVerdict::kStops;
  const bool offers_auth =
      policy.auth && !pl.listener.internal && OffersAuth(*policy.auth, pl.listener);
  bool edited = false;
  for (int n = 0; n < kMaxEdits && d.ok(); ++n) {
    const std::string before_edit = config.main_cf.Render() + config.master_cf.Render();
    std::optional<Edit> edit =
        ListEditor(config, *d, r.changed).Once(pl.listener.role, was_open, offers_auth, policy);
    if (!edit) break;
    edited = true;
    if (!edit->warning.empty()) AddUnique(r.warnings, edit->warning);
    if (before_edit == config.main_cf.Render() + config.master_cf.Render()) {
      r.unfixable.push_back(absl::StrCat("listener ", name, ": cannot edit ", param, " at ", where,
                                         " (", edit->what, " changed nothing)"));
      break;
    }
    d = DecidingList(config, pl.rules_line, judge, std::nullopt);
  }
  if (!d.ok()) {
    r.unfixable.push_back(absl::StrCat("listener ", name, ": ", d.status().message()));
    return;
  }
  for (const std::string& k : d->judgement.kept) AddUnique(r.kept, k);
  if (edited) r.drift.push_back({param, before, ListValue(d->list), name, where});
  if (d->judgement.verdict == ListVerdict::kStops) return;
  std::vector<std::string> why;
  for (const Finding& f : d->judgement.unproven) why.push_back(f.where + ": " + f.what);
  for (const Finding& f : d->judgement.grants) why.push_back(f.where + ": " + f.what);
  if (why.empty()) why.push_back(absl::StrCat(param, " has no closing element"));
  r.unfixable.push_back(
      absl::StrCat("listener ", name, " cannot be proven closed: ", absl::StrJoin(why, "; ")));
}

}  // namespace

FixResult FixListeners(PostfixConfig& config, const std::vector<PostfixListener>& listeners,
                       const Policy& policy, const TableAccess& tables) {
  FixResult r;
  RelayJudge judge(config, policy, tables);
  std::set<int> done;  // services already fixed (a service may listen on several addresses)
  for (const PostfixListener* pl : Ordered(listeners)) {
    if (!done.insert(pl->rules_line).second) continue;
    const std::string name = pl->listener.Name();
    FixMynetworksOverride(config, pl->rules_line, policy, name, r);
    XclientFix x = FixXclientHosts(config, pl->rules_line, policy, name);
    for (const std::string& c : x.changed) AddUnique(r.changed, c);
    if (x.drift) r.drift.push_back(*x.drift);
    if (!x.unfixable.empty()) {
      r.unfixable.push_back(absl::StrCat("listener ", name, ": ", x.unfixable));
    }
    FixDecidingList(config, *pl, policy, judge, r);
  }
  return r;
}

std::vector<SettingDrift> ListenerFindings(const PostfixConfig& config,
                                           const std::vector<PostfixListener>& listeners,
                                           const Policy& policy, const TableAccess& tables,
                                           std::vector<std::string>* kept) {
  std::vector<SettingDrift> out;
  RelayJudge judge(config, policy, tables);
  for (const PostfixListener* pl : Ordered(listeners)) {
    const std::string name = pl->listener.Name();
    NetworksJudgement nj = JudgeNetworks(config.Expanded(pl->rules_line, "mynetworks"), policy);
    std::optional<Finding> mynetworks;
    if (nj.Grants()) {
      mynetworks = Finding{"mynetworks",
                           absl::StrCat("mynetworks holds ", absl::StrJoin(nj.strangers, " "),
                                        ", which lets strangers relay"),
                           MynetworksWhere(config, pl->rules_line)};
    }
    absl::StatusOr<Deciding> d = DecidingList(config, pl->rules_line, judge, mynetworks);
    if (!d.ok()) {
      out.push_back({"smtpd_relay_restrictions", std::string(d.status().message()), "", name,
                     config.MasterWhere(pl->rules_line), true});
      continue;
    }
    if (kept != nullptr) {
      for (const std::string& k : d->judgement.kept) AddUnique(*kept, k);
    }
    if (std::optional<Finding> x = XclientFinding(config, pl->rules_line, policy)) {
      out.push_back({x->setting, x->what, "no stranger may send XCLIENT", name, x->where});
    }
    if (d->judgement.verdict == ListVerdict::kStops) continue;
    const std::string want = "nothing before the closing element that lets strangers relay";
    for (const Finding& f : d->judgement.grants) {
      out.push_back({f.setting, f.what, want, name, f.where});
    }
    for (const Finding& f : d->judgement.unproven) {
      out.push_back({f.setting, f.what, want, name, f.where, true});
    }
    if (d->judgement.grants.empty() && d->judgement.unproven.empty()) {
      out.push_back({d->list.param,
                     ListValue(d->list) + " (strangers reach its end: no list "
                                          "stops them)",
                     want, name, d->list.sources[0].Where()});
    }
  }
  return out;
}

}  // namespace relayguard::agent::postfix
