#include "agent/mta/exim/exim_conf.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_join.h"
#include "agent/mta/exim/exim_config_text.h"
#include "agent/mta/exim/exim_rcpt_acl.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace relayguard::agent::exim {
namespace {

constexpr absl::string_view kListKinds[] = {"hostlist", "domainlist", "addresslist",
                                           "localpartlist"};

struct NamedListLine {
  size_t logical = 0;  // index into ConfigText::logical()
  std::string kind;    // without "hide" and "_cache"
  std::string name;
  std::string value;
};

// "[hide] hostlist[_cache] NAME = value" (spec 10.6, 10.8).
std::optional<NamedListLine> ParseNamedList(absl::string_view s) {
  absl::string_view word = ReadName(s);
  if (word == "hide") {
    s = absl::StripLeadingAsciiWhitespace(s.substr(word.size()));
    word = ReadName(s);
  }
  absl::string_view kind = word;
  absl::ConsumeSuffix(&kind, "_cache");
  if (std::find(std::begin(kListKinds), std::end(kListKinds), kind) == std::end(kListKinds)) {
    return std::nullopt;
  }
  s = absl::StripLeadingAsciiWhitespace(s.substr(word.size()));
  absl::string_view name = ReadName(s);
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(s.substr(name.size()));
  if (name.empty() || !absl::ConsumePrefix(&rest, "=")) return std::nullopt;
  return NamedListLine{0, std::string(kind), std::string(name), std::string(absl::StripAsciiWhitespace(rest))};
}

bool InMainPart(const LogicalLine& l) { return l.section.empty() && !l.is_begin; }

std::vector<NamedListLine> FindNamedList(const ConfigText& text, absl::string_view kind,
                                         absl::string_view name) {
  std::vector<NamedListLine> found;
  for (size_t i = 0; i < text.logical().size(); ++i) {
    if (!InMainPart(text.logical()[i])) continue;
    std::optional<NamedListLine> def = ParseNamedList(text.logical()[i].text);
    if (!def || def->kind != kind || def->name != name) continue;
    def->logical = i;
    found.push_back(std::move(*def));
  }
  return found;
}

absl::Status NothingChanged(const absl::Status& status) {
  return absl::InvalidArgumentError(absl::StrCat(status.message(), " — nothing was changed"));
}

// What an operator should hear about the value being replaced, if it was not a literal list.
std::optional<std::string> ReferenceIn(const ConfigText& text, absl::string_view value) {
  std::vector<std::string> macros;
  bool indirect = false;  // a lookup, a file or an expansion
  for (const std::string& item : ParseEximList(value)) {
    absl::string_view v = item;
    absl::ConsumePrefix(&v, "!");
    v = absl::StripLeadingAsciiWhitespace(v);
    absl::string_view name = ReadName(v);
    if (!name.empty() && name.size() == v.size() &&
        std::isupper(static_cast<unsigned char>(name.front()))) {
      macros.emplace_back(name);
    }
    indirect |= absl::StartsWith(v, "/") || absl::StrContains(v, "$") || absl::StrContains(v, ";");
  }
  for (const MacroDefinition& m : text.Macros()) {
    if (absl::StrContains(value, m.name) &&
        std::find(macros.begin(), macros.end(), m.name) == macros.end()) {
      macros.push_back(m.name);
    }
  }
  if (!macros.empty()) {
    return absl::StrCat("was set from macro ", absl::StrJoin(macros, ", "),
               "; it now lists the policy's items literally, so the macro no longer "
               "affects it");
  }
  if (indirect) {
    return absl::StrCat("was \"", value,
               "\" (a lookup, file or expansion); it now lists the policy's items");
  }
  return std::nullopt;
}

// Rewrites the value of definition `def` in place: its first physical line keeps everything up
// to the value, its continuation lines go.
absl::Status SetValue(const ConfigText& text, const NamedListLine& def, absl::string_view value,
                      TextEditor& editor) {
  const LogicalLine& l = text.logical()[def.logical];
  const std::string& first = text.lines()[l.first].content;
  size_t eq = first.find('=');
  if (eq == std::string::npos || l.split_by_directive) {
    return absl::InvalidArgumentError(
        absl::StrCat(text.Where(l.first), ": cannot rewrite ", def.kind, " ", def.name,
            l.split_by_directive ? " (a directive sits inside its continued value)"
                                 : " (its \"=\" is not on its first line)"));
  }
  size_t start = first.find_first_not_of(" \t", eq + 1);
  if (start == std::string::npos) start = first.size();
  std::string prefix = first.substr(0, start);
  // "name =" with nothing (or only the continuation backslash) after it gets "name = value".
  bool bare = absl::StripAsciiWhitespace(absl::string_view(first).substr(start)).empty() ||
              absl::StripAsciiWhitespace(absl::string_view(first).substr(start)) == "\\";
  if (value.empty()) {
    prefix = std::string(absl::StripTrailingAsciiWhitespace(prefix));
  } else if (start == eq + 1 && bare) {
    prefix += ' ';
  }
  editor.Replace(l.first, absl::StrCat(prefix, value));
  for (size_t p = l.first + 1; p <= l.last; ++p) {
    if (text.lines()[p].kind == LineKind::kText) editor.Remove(p);
  }
  return absl::OkStatus();
}

struct WantedList {
  std::string kind;
  std::string name;
  std::vector<std::string> items;
};

// Sets every definition of `want`; false when the file has none.
absl::StatusOr<bool> PlanList(const ConfigText& text, const WantedList& want, TextEditor& editor,
                              EximEdit& edit) {
  std::vector<NamedListLine> defs = FindNamedList(text, want.kind, want.name);
  bool changed = false;
  for (const NamedListLine& def : defs) {
    std::optional<std::string> reference = ReferenceIn(text, def.value);
    if (!reference && SameEximListItems(ParseEximList(def.value), want.items)) continue;
    RETURN_IF_ERROR(SetValue(text, def, FormatEximList(want.items), editor));
    if (reference) {
      edit.warnings.push_back(absl::StrCat(text.Where(text.logical()[def.logical].first), ": ", want.kind,
                                  " ", want.name, " ", *reference));
    }
    changed = true;
  }
  if (changed) edit.changed.push_back(absl::StrCat(want.kind, " ", want.name));
  return !defs.empty();
}

// After the first top-level `domainlist local_domains`, else before the first setting.
size_t InsertionPointForLists(const ConfigText& text) {
  for (const NamedListLine& def : FindNamedList(text, "domainlist", "local_domains")) {
    const LogicalLine& l = text.logical()[def.logical];
    if (text.lines()[l.first].branch == kTopLevel) return l.last + 1;
  }
  for (size_t p = 0; p < text.lines().size(); ++p) {
    LineKind kind = text.lines()[p].kind;
    if (kind != LineKind::kBlank && kind != LineKind::kComment) return p;
  }
  return text.lines().size();
}

absl::Status PlanLists(const ConfigText& text, const EximRelaySettings& want, TextEditor& editor,
                       EximEdit& edit) {
  std::vector<std::string> networks;
  for (const Cidr& c : want.relay_from_hosts) networks.push_back(c.ToString());
  // Inserted in this order, the order of Debian's configuration.
  WantedList lists[] = {{"domainlist", "relay_to_domains", want.relay_to_domains},
                        {"hostlist", "relay_from_hosts", networks}};
  std::vector<const WantedList*> missing;
  for (const WantedList& list : lists) {
    ASSIGN_OR_RETURN(bool defined, PlanList(text, list, editor, edit));
    if (!defined) missing.push_back(&list);
  }
  size_t at = InsertionPointForLists(text);
  for (const WantedList* list : missing) {
    std::string value = FormatEximList(list->items);
    editor.InsertBefore(at, absl::StrCat(list->kind, " ", list->name, value.empty() ? " =" : " = ", value));
    edit.changed.push_back(absl::StrCat(list->kind, " ", list->name));
  }
  return absl::OkStatus();
}

std::string Unquote(absl::string_view v) {
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return std::string(v);
  std::string out;
  for (size_t i = 1; i + 1 < v.size(); ++i) {
    if (v[i] == '\\' && i + 2 < v.size()) ++i;
    out += v[i];
  }
  return out;
}

struct AclReference {
  std::string name;
  size_t line = 0;  // physical index of the acl_smtp_rcpt setting
};

// The ACL names `value` (of acl_smtp_rcpt at physical line `line`) stands for, following macros.
absl::Status ResolveAclName(const ConfigText& text, absl::string_view value, size_t line, int depth,
                            std::vector<AclReference>& out, EximEdit& edit) {
  std::string v = Unquote(value);
  absl::string_view name = ReadName(v);
  if (name.empty() || name.size() != v.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(text.Where(line), ": acl_smtp_rcpt = \"", value,
            "\" is not the plain name of an ACL (an expansion, a file or an inline ACL); cannot "
            "check its relay rule"));
  }
  if (depth > 8) {
    return absl::InvalidArgumentError(
        absl::StrCat(text.Where(line), ": acl_smtp_rcpt: macros nest too deeply at ", name));
  }
  bool macro = false;
  for (const MacroDefinition& m : text.Macros()) {
    if (m.name != name) continue;
    macro = true;
    size_t def_line = text.logical()[m.logical].first;
    if (text.lines()[def_line].branch != kTopLevel) {
      edit.warnings.push_back(absl::StrCat(text.Where(line), ": acl_smtp_rcpt is macro ", name,
                                  ", taken as \"", m.value, "\" (line ", def_line + 1,
                                  "); that is a conditional default, so a definition read "
                                  "earlier (exim4.conf.localmacros, -D) would name another ACL"));
    }
    RETURN_IF_ERROR(ResolveAclName(text, m.value, line, depth + 1, out, edit));
  }
  if (!macro) out.push_back({std::string(name), line});
  return absl::OkStatus();
}

absl::StatusOr<std::vector<AclReference>> RcptAcls(const ConfigText& text, EximEdit& edit) {
  std::vector<AclReference> acls;
  for (const LogicalLine& l : text.logical()) {
    if (!InMainPart(l)) continue;
    absl::string_view s = l.text;
    if (ReadName(s) == "hide") s = absl::StripLeadingAsciiWhitespace(s.substr(ReadName(s).size()));
    absl::string_view option = ReadName(s);
    if (option != "acl_smtp_rcpt") continue;
    absl::string_view rest = absl::StripLeadingAsciiWhitespace(s.substr(option.size()));
    if (!absl::ConsumePrefix(&rest, "=")) continue;
    RETURN_IF_ERROR(ResolveAclName(text, absl::StripAsciiWhitespace(rest), l.first, 0, acls, edit));
  }
  return acls;
}

absl::Status PlanAcls(const ConfigText& text, bool trusted_hosts_relay,
                      const RcptAclContext& context, TextEditor& editor, EximEdit& edit) {
  ASSIGN_OR_RETURN(std::vector<AclReference> acls, RcptAcls(text, edit));
  std::vector<std::string> done;
  for (const AclReference& acl : acls) {
    if (std::find(done.begin(), done.end(), acl.name) != done.end()) continue;
    done.push_back(acl.name);
    absl::Status planned =
        PlanRcptAclEdits(text, "acl", acl.name, trusted_hosts_relay, context, editor, edit);
    if (absl::IsNotFound(planned)) {
      return absl::InvalidArgumentError(
          absl::StrCat(text.Where(acl.line), ": acl_smtp_rcpt names ACL \"", acl.name,
              "\", which this file does not define after \"begin acl\" (Exim would run the name "
              "itself as an inline ACL)"));
    }
    RETURN_IF_ERROR(planned);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ExpandMacros(const ConfigText& text, std::string value, size_t before,
                                         size_t line);

// The last definition of named list `kind` `name` (macros substituted), nullopt if none.
absl::StatusOr<std::optional<NamedHostList>> LastDefinition(const ConfigText& text,
                                                            absl::string_view kind,
                                                            absl::string_view name) {
  std::optional<NamedHostList> found;
  for (const NamedListLine& def : FindNamedList(text, kind, name)) {
    size_t line = text.logical()[def.logical].first;
    ASSIGN_OR_RETURN(std::string value, ExpandMacros(text, def.value, def.logical, line));
    found = NamedHostList{std::move(value), text.Where(line)};
  }
  return found;
}

// The RCPT ACL rules' view of the file once edited: relay_from_hosts holds the policy's
// clients, every other named host list is what the file says.
RcptAclContext AclContext(const ConfigText& text, const EximRelaySettings& want,
                          const EximEditContext& context) {
  RcptAclContext acl{context.listeners, {context.policy, context.read_file, nullptr}};
  std::vector<std::string> networks;
  for (const Cidr& c : want.relay_from_hosts) networks.push_back(c.ToString());
  acl.hosts.named_list = [&text,
                          networks](const std::string& name) -> std::optional<NamedHostList> {
    absl::StatusOr<std::optional<NamedHostList>> def = LastDefinition(text, "hostlist", name);
    if (!def.ok() || !*def) return std::nullopt;
    if (name == "relay_from_hosts") (*def)->value = FormatEximList(networks);
    return *def;
  };
  return acl;
}

absl::StatusOr<EximEdit> Edit(absl::string_view input, const EximRelaySettings& want,
                              absl::string_view path, const EximEditContext& context) {
  ASSIGN_OR_RETURN(ConfigText text, ConfigText::Parse(input, path));
  TextEditor editor(text);
  EximEdit edit;
  RETURN_IF_ERROR(PlanLists(text, want, editor, edit));
  RETURN_IF_ERROR(PlanAcls(text, !want.relay_from_hosts.empty(), AclContext(text, want, context),
                           editor, edit));
  for (const RelayOpening& o : edit.openings) {
    if (!o.unproven || context.analyse_only) continue;
    return absl::InvalidArgumentError(
        absl::StrCat(o.where, ": ", o.setting, ": ", o.what,
            "; relayguard cannot tell whether it lets strangers relay, so it cannot prove the "
            "relay closed (make the list a file or an lsearch/iplsearch table relayguard can "
            "read, or put it after the relay check)"));
  }
  edit.text = editor.changed() ? editor.Render() : std::string(input);
  return edit;
}

// `value` with the macros defined before logical line `before` substituted (spec 6.5: each macro
// in order of definition, all its occurrences, its replacement not rescanned for itself).
absl::StatusOr<std::string> ExpandMacros(const ConfigText& text, std::string value, size_t before,
                                         size_t line) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::string>> values;
  for (const MacroDefinition& m : text.Macros()) {
    if (m.logical >= before) break;
    if (!values.count(m.name)) order.push_back(m.name);
    values[m.name].push_back(m.value);
  }
  for (const std::string& name : order) {
    if (!absl::StrContains(value, name)) continue;
    const std::vector<std::string>& v = values[name];
    if (std::find_if(v.begin(), v.end(), [&](const std::string& x) { return x != v[0]; }) !=
        v.end()) {
      return absl::InvalidArgumentError(absl::StrCat(text.Where(line), ": macro ", name,
                                            " is defined several times with different values; "
                                            "cannot tell which one the list uses"));
    }
    std::string out;
    for (size_t at = 0;;) {
      size_t hit = value.find(name, at);
      out.append(value, at, hit == std::string::npos ? std::string::npos : hit - at);
      if (hit == std::string::npos) break;
      out += v[0];
      at = hit + name.size();
    }
    value = std::move(out);
  }
  return value;
}

}  // namespace

absl::StatusOr<EximEdit> EditEximConf(absl::string_view text, const EximRelaySettings& want,
                                      absl::string_view path, const EximEditContext& context) {
  absl::StatusOr<EximEdit> edit = Edit(text, want, path, context);
  if (!edit.ok()) return NothingChanged(edit.status());
  return edit;
}

absl::StatusOr<EximEdit> EditRcptAcl(absl::string_view input, absl::string_view acl_name,
                                     absl::string_view path) {
  absl::StatusOr<ConfigText> text = ConfigText::Parse(input, path);
  if (!text.ok()) return NothingChanged(text.status());
  TextEditor editor(*text);
  EximEdit edit;
  absl::Status planned =
      PlanRcptAclEdits(*text, text->has_sections() ? "acl" : "", acl_name,
                       /*trusted_hosts_relay=*/false, RcptAclContext{}, editor, edit);
  if (absl::IsNotFound(planned)) {
    return NothingChanged(absl::InvalidArgumentError(
        absl::StrCat(path, ": ACL \"", acl_name, "\" is not defined in this file")));
  }
  if (!planned.ok()) return NothingChanged(planned);
  edit.text = editor.changed() ? editor.Render() : std::string(input);
  return edit;
}

absl::StatusOr<std::vector<std::string>> RcptAclNames(absl::string_view input,
                                                      absl::string_view path) {
  ASSIGN_OR_RETURN(ConfigText text, ConfigText::Parse(input, path));
  EximEdit ignored;
  ASSIGN_OR_RETURN(std::vector<AclReference> acls, RcptAcls(text, ignored));
  std::vector<std::string> names;
  for (const AclReference& acl : acls) {
    if (std::find(names.begin(), names.end(), acl.name) == names.end()) names.push_back(acl.name);
  }
  return names;
}

absl::StatusOr<std::optional<NamedHostList>> NamedListDefinition(absl::string_view input,
                                                                 absl::string_view kind,
                                                                 absl::string_view name,
                                                                 absl::string_view path) {
  ASSIGN_OR_RETURN(ConfigText text, ConfigText::Parse(input, path));
  return LastDefinition(text, kind, name);
}

absl::StatusOr<std::optional<std::vector<std::string>>> ReadNamedList(absl::string_view input,
                                                                      absl::string_view kind,
                                                                      absl::string_view name,
                                                                      absl::string_view path) {
  if (std::find(std::begin(kListKinds), std::end(kListKinds), kind) == std::end(kListKinds)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown Exim list kind \"", kind,
                                          "\" (hostlist, domainlist, addresslist, localpartlist)"));
  }
  ASSIGN_OR_RETURN(ConfigText text, ConfigText::Parse(input, path));
  std::optional<std::vector<std::string>> items;
  std::optional<size_t> first_line;
  for (const NamedListLine& def : FindNamedList(text, kind, name)) {
    size_t line = text.logical()[def.logical].first;
    ASSIGN_OR_RETURN(std::string value, ExpandMacros(text, def.value, def.logical, line));
    std::vector<std::string> these = ParseEximList(value);
    if (items && these != *items) {
      return absl::InvalidArgumentError(absl::StrCat(text.Where(line), ": ", kind, " ", name,
                                            " is defined again with other items than at "
                                            "line ",
                                            *first_line + 1,
                                            "; cannot tell which definition is in effect"));
    }
    items = std::move(these);
    if (!first_line) first_line = line;
  }
  return items;
}

}  // namespace relayguard::agent::exim
