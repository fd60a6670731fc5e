#include "agent/mta/postfix/restriction_list.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace relayguard::agent::postfix {
namespace {

// Restrictions that take the next word as their argument (postconf(5)), besides check_*_access.
constexpr absl::string_view kWithArgument[] = {
    "check_policy_service",        "reject_rbl_client",
    "reject_rhsbl_client",         "reject_rhsbl_sender",
    "reject_rhsbl_helo",           "reject_rhsbl_recipient",
    "reject_rhsbl_reverse_client", "permit_dnswl_client",
    "permit_rhswl_client",         "sleep",
};

constexpr absl::string_view kClosing[] = {"reject_unauth_destination", "defer_unauth_destination",
                                         "reject", "defer"};

// Where a parameter's text is, after following `name = $other` indirections.
struct Origin {
  ListSource::Kind kind = ListSource::Kind::kDefault;
  std::string param;
  int line = 0;
  std::string raw;
};

absl::StatusOr<Origin> Resolve(const PostfixConfig& config, int service_line, std::string name) {
  const MasterCf::Service* service =
      service_line > 0 ? config.master_cf.ServiceAt(service_line) : nullptr;
  for (int depth = 0; depth < 16; ++depth) {
    Origin o;
    o.param = name;
    const MasterCf::Override* override = service ? service->Find(name) : nullptr;
    if (override != nullptr) {
      o.kind = ListSource::Kind::kOverride;
      o.line = override->line;
      o.raw = override->value;
    } else if (std::optional<std::string> v = config.main_cf.Get(name)) {
      o.kind = ListSource::Kind::kMainCf;
      o.line = config.main_cf.Line(name).value_or(0);
      o.raw = *v;
    } else {
      o.raw = config.Expanded(service_line, name);
      return o;
    }
    std::optional<std::string> ref = SoleReference(o.raw);
    if (!ref) return o;
    name = *ref;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "the $name references of ", name, " do not end (a loop?): relayguard cannot follow them"));
}

ListSource MakeSource(const PostfixConfig& config, int service_line, const Origin& origin) {
  ListSource s;
  s.kind = origin.kind;
  s.param = origin.param;
  s.line = origin.line;
  bool spaces = true;
  std::string text = origin.raw;
  if (origin.kind == ListSource::Kind::kOverride) {
    s.service_line = service_line;
    s.file = config.master_cf_path;
    const MasterCf::Override* o = config.master_cf.ServiceAt(service_line)->Find(origin.param);
    spaces = o->braced;
    text = config.master_cf.Render().substr(o->value_begin, o->value_end - o->value_begin);
  } else {
    s.file = config.main_cf_path;
    if (origin.kind == ListSource::Kind::kMainCf) {
      text = config.main_cf.RawValue(origin.param).value_or("");
    }
  }
  s.text = ListText(text, spaces);
  auto lookup = [&](const std::string& n) { return config.Expanded(service_line, n); };
  for (const ListText::Word& w : s.text.words()) {
    if (w.text.find('$') == std::string::npos || SoleReference(w.text)) continue;
    if (!ExpandSimple(w.text, lookup)) s.expanded_whole = true;
  }
  if (s.expanded_whole) s.text = ListText(config.Expanded(service_line, origin.param), spaces);
  return s;
}

ElementKind Classify(const std::vector<std::string>& words,
                     const std::vector<std::string>& classes) {
  const std::string& w = words.front();
  if (w == "permit") return ElementKind::kPermit;
  if (w == "permit_mynetworks") return ElementKind::kPermitMynetworks;
  if (w == "permit_sasl_authenticated") return ElementKind::kPermitSasl;
  if (std::find(std::begin(kClosing), std::end(kClosing), w) != std::end(kClosing)) {
    return ElementKind::kClosing;
  }
  if (words.size() == 2 && w.starts_with("check_") && w.ends_with("_access")) {
    return ElementKind::kTable;
  }
  if (words.size() == 1 && std::find(classes.begin(), classes.end(), w) != classes.end()) {
    return ElementKind::kClass;
  }
  return ElementKind::kOther;
}

absl::Status Build(const PostfixConfig& config, int service_line, const std::string& name,
                   int depth, RestrictionList& list) {
  if (depth > 8) {
    return absl::InvalidArgumentError(absl::StrCat("restriction list ", list.param,
                                                   " nests $references too deep (a loop through ",
                                                   name, "?): relayguard cannot follow it"));
  }
  absl::StatusOr<Origin> origin = Resolve(config, service_line, name);
  if (!origin.ok()) return origin.status();
  const size_t index = list.sources.size();
  list.sources.push_back(MakeSource(config, service_line, *origin));
  const std::vector<std::string> classes =
      SplitListWords(config.Expanded(service_line, "smtpd_restriction_classes"));
  auto lookup = [&](const std::string& n) { return config.Expanded(service_line, n); };
  // Copy: building a referenced list appends to list.sources.
  const std::vector<ListText::Word> words = list.sources[index].text.words();
  const bool whole = list.sources[index].expanded_whole;
  for (size_t i = 0; i < words.size();) {
    if (!whole) {
      if (std::optional<std::string> ref = SoleReference(words[i].text)) {
        if (absl::Status s = Build(config, service_line, *ref, depth + 1, list); !s.ok()) return s;
        ++i;
        continue;
      }
    }
    size_t count = 1;
    if (words[i].text == "warn_if_reject" && i + 1 < words.size()) {
      count = TakesArgument(words[i + 1].text) && i + 2 < words.size() ? 3 : 2;
    } else if (TakesArgument(words[i].text) && i + 1 < words.size()) {
      count = 2;
    }
    Element e;
    e.source = index;
    e.first_word = i;
    e.word_count = count;
    std::vector<std::string> written;
    for (size_t k = i; k < i + count; ++k) {
      written.push_back(words[k].text);
      e.words.push_back(ExpandSimple(words[k].text, lookup).value_or(words[k].text));
    }
    e.written = absl::StrJoin(written, " ");
    e.kind = Classify(e.words, classes);
    const ListSource& src = list.sources[index];
    e.where = src.line > 0 ? absl::StrCat(src.file, ":", src.line + words[i].line) : src.file;
    list.elements.push_back(std::move(e));
    i += count;
  }
  return absl::OkStatus();
}

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace

bool TakesArgument(absl::string_view name) {
  if (absl::StartsWith(name, "check_") && absl::EndsWith(name, "_access")) return true;
  return std::find(std::begin(kWithArgument), std::end(kWithArgument), name) !=
         std::end(kWithArgument);
}

std::string Element::Text() const { return absl::StrJoin(words, " "); }

std::string ListSource::Id() const {
  return absl::StrCat(static_cast<int>(kind == Kind::kDefault ? Kind::kMainCf : kind), "/",
                      service_line, "/", param);
}

std::string ListSource::Where() const { return line > 0 ? absl::StrCat(file, ":", line) : file; }

std::string ListSource::Describe(const MasterCf& master_cf) const {
  if (kind == Kind::kOverride) {
    const MasterCf::Service* s = master_cf.ServiceAt(service_line);
    return absl::StrCat(Basename(file), ":", line, " ", s ? s->Id() : "?", " -o ", param);
  }
  if (line == 0) return absl::StrCat(Basename(file), " ", param, " (added)");
  return absl::StrCat(Basename(file), ":", line, " ", param);
}

absl::StatusOr<RestrictionList> BuildRestrictionList(const PostfixConfig& config, int service_line,
                                                     absl::string_view param) {
  RestrictionList list;
  list.param = std::string(param);
  if (absl::Status s = Build(config, service_line, list.param, 0, list); !s.ok()) return s;
  return list;
}

void WriteBack(const ListSource& source, PostfixConfig& config) {
  const std::string& text = source.text.text();
  if (source.kind == ListSource::Kind::kOverride) {
    const MasterCf::Service* s = config.master_cf.ServiceAt(source.service_line);
    const MasterCf::Override* o = s ? s->Find(source.param) : nullptr;
    if (o == nullptr) return;
    if (!o->braced && text.find_first_of(" \t\r\n") != std::string::npos) {
      config.master_cf.SetOverride(source.service_line, source.param,
                                   absl::StrJoin(SplitListWords(text), ", "));
    } else {
      config.master_cf.ReplaceValueText(source.service_line, source.param, text);
    }
    return;
  }
  config.main_cf.SetRawValue(source.param, text);
}

}  // namespace relayguard::agent::postfix
