#include "agent/mta/postfix/relay_judgement.h"

#include "absl/strings/str_cat.h"
#include "common/cidr.h"

namespace relayguard::agent::postfix {
namespace {

// "[2001:db8::]/32" -> "2001:db8::/32"; other tokens unchanged.
std::string Unbracket(const std::string& token) {
  if (token.size() > 1 && token.front() == '[') {
    size_t close = token.find(']');
    if (close != std::string::npos) {
      return token.substr(1, close - 1) + token.substr(close + 1);
    }
  }
  return token;
}

bool LooksLikeAddress(const std::string& token) {
  return !token.empty() &&
         token.find_first_not_of("0123456789abcdefABCDEF:./[]") == std::string::npos &&
         token.find_first_of(".:") != std::string::npos;
}

}  // namespace

NetworksJudgement JudgeNetworks(const std::string& value, const Policy& policy) {
  NetworksJudgement j;
  for (const std::string& token : SplitListWords(value)) {
    if (token.front() == '!') {
      j.narrow.push_back(token);  // an exclusion lets nobody in
    } else if (LooksLikeAddress(token)) {
      absl::StatusOr<Cidr> cidr = ParseCidr(Unbracket(token));
      if (!cidr.ok()) {
        j.unproven.push_back(token);
      } else if (GrantsStrangers(policy, *cidr)) {
        j.strangers.push_back(token);
      } else {
        j.narrow.push_back(token);
      }
    } else if (token.front() == '/' || token.find(':') != std::string::npos) {
      j.unproven.push_back(token);  // a file or a lookup table: who is in it is unknown here
    } else {
      j.narrow.push_back(token);  // a host name: the admin's named host
    }
  }
  return j;
}

RelayJudge::RelayJudge(const PostfixConfig& config, const Policy& policy, TableAccess tables)
    : config_(config), policy_(policy), tables_(std::move(tables)) {}

const RelayJudge::TableResult& RelayJudge::Table(const Element& element) {
  const std::string key = element.Text();
  if (auto it = table_cache_.find(key); it != table_cache_.end()) return it->second;
  TableResult& r = table_cache_[key];
  absl::StatusOr<LookupTable> table = tables_.reader.Read(element.words[1]);
  if (!table.ok()) {
    r.read = table.status();
    return r;
  }
  const LookupKind kind = LookupKindOf(element.words[0]);
  for (const TableEntry& entry : table->entries) {
    EntryJudgement j = tables_.judge(*table, entry, kind, policy_);
    const std::string where = table->path.empty() || entry.line == 0
                                  ? element.where
                                  : absl::StrCat(table->path, ":", entry.line);
    const std::string what =
        absl::StrCat(key, ": ", entry.pattern, " ", entry.action, " (", j.why, ")");
    if (j.grants_strangers) {
      r.grants.push_back({"", what, where});
    } else if (j.unproven) {
      r.unproven.push_back({"", what, where});
    } else if (IsPermitAction(entry.action)) {
      r.kept.push_back(
          absl::StrCat(where, ": ", key, " grants ", entry.pattern, " (kept: ", j.why, ")"));
    }
  }
  return r;
}

ListJudgement RelayJudge::Judge(const RestrictionList& list, int service_line,
                                const std::optional<Finding>& mynetworks) {
  return JudgeDepth(list, service_line, mynetworks, 0);
}

ListJudgement RelayJudge::JudgeDepth(const RestrictionList& list, int service_line,
                                     const std::optional<Finding>& mynetworks, int depth) {
  ListJudgement j;
  auto grant = [&](size_t i, std::string what, std::string where) {
    if (j.granting.empty() || j.granting.back() != i) j.granting.push_back(i);
    j.grants.push_back({list.param, std::move(what), std::move(where)});
  };
  auto unproven = [&](size_t i, std::string what, std::string where) {
    if (j.unproven_elements.empty() || j.unproven_elements.back() != i) {
      j.unproven_elements.push_back(i);
    }
    j.unproven.push_back({list.param, std::move(what), std::move(where)});
  };
  auto verdict = [&](bool closed) {
    if (!j.granting.empty()) return ListVerdict::kGrants;
    if (!j.unproven.empty()) return ListVerdict::kUnproven;
    return closed ? ListVerdict::kStops : ListVerdict::kPasses;
  };
  for (size_t i = 0; i < list.elements.size(); ++i) {
    const Element& e = list.elements[i];
    switch (e.kind) {
      case ElementKind::kClosing:
        j.closing = i;
        j.verdict = verdict(true);
        return j;
      case ElementKind::kPermit:
        grant(i, "permit lets every client through", e.where);
        break;
      case ElementKind::kPermitMynetworks:
        if (mynetworks) grant(i, "permit_mynetworks: " + mynetworks->what, mynetworks->where);
        break;
      case ElementKind::kTable: {
        const TableResult& t = Table(e);
        if (!t.read.ok()) {
          unproven(i, absl::StrCat(e.Text(), ": the table cannot be read (", t.read.message(), ")"),
                   e.where);
          break;
        }
        for (const Finding& f : t.grants) grant(i, f.what, f.where);
        for (const Finding& f : t.unproven) unproven(i, f.what, f.where);
        j.kept.insert(j.kept.end(), t.kept.begin(), t.kept.end());
        break;
      }
      case ElementKind::kClass: {
        absl::StatusOr<RestrictionList> cls =
            depth < 4 ? BuildRestrictionList(config_, service_line, e.words[0])
                      : absl::InvalidArgumentError("restriction classes nest too deep");
        if (!cls.ok()) {
          unproven(i, absl::StrCat("restriction class ", e.words[0], ": ", cls.status().message()),
                   e.where);
          break;
        }
        ListJudgement sub = JudgeDepth(*cls, service_line, mynetworks, depth + 1);
        j.kept.insert(j.kept.end(), sub.kept.begin(), sub.kept.end());
        if (sub.verdict == ListVerdict::kStops) {
          j.closing = i;
          j.verdict = verdict(true);
          return j;
        }
        for (const Finding& f : sub.grants) {
          grant(i, absl::StrCat("restriction class ", e.words[0], ": ", f.what), f.where);
        }
        for (const Finding& f : sub.unproven) {
          unproven(i, absl::StrCat("restriction class ", e.words[0], ": ", f.what), f.where);
        }
        break;
      }
      default:
        break;
    }
  }
  j.verdict = verdict(false);
  return j;
}

bool RelayJudge::TrustedPasses(const RestrictionList& list) {
  for (const Element& e : list.elements) {
    if (e.kind == ElementKind::kPermit || e.kind == ElementKind::kPermitMynetworks) return true;
    if (e.kind == ElementKind::kClosing) return false;
  }
  return true;
}

}  // namespace relayguard::agent::postfix
