#include "agent/mta/exim/exim_host_list.h"

#include <cctype>

#include "absl/strings/str_split.h"
#include "agent/mta/exim/exim_list.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/cidr.h"

namespace relayguard::agent::exim {
namespace {

constexpr int kMaxDepth = 8;  // named lists and files nest at most this deep

// Single-key lookup types whose file relayguard reads: each key is an address or network.
constexpr absl::string_view kReadableLookups[] = {"lsearch", "iplsearch"};

void Item(absl::string_view item, const std::string& where, const HostListContext& c, int depth,
          HostListVerdict& out);
void Evaluate(absl::string_view value, const std::string& where, const HostListContext& c, int depth,
              HostListVerdict& out);

void Unproven(absl::string_view item, const std::string& where, std::string why,
              HostListVerdict& out) {
  out.unproven.push_back({std::string(item), where, std::move(why)});
}

// A network or address item (or lookup key): strangers or narrow.
void Network(const Cidr& cidr, absl::string_view item, const std::string& where,
             const HostListContext& c, HostListVerdict& out) {
  HostItem h{std::string(item), where, ""};
  (GrantsStrangers(c.policy, cidr) ? out.strangers : out.narrow).push_back(std::move(h));
}

// The items of a file list: one per line, '#' starts a comment.
void FileList(absl::string_view path, const std::string& where, const HostListContext& c, int depth,
              HostListVerdict& out) {
  absl::StatusOr<std::string> text =
      c.read_file ? c.read_file(std::string(path)) : absl::NotFoundError("no file reader");
  if (!text.ok()) {
    Unproven(path, where, absl::StrCat("cannot read ", path, ": ", text.status().message()), out);
    return;
  }
  int n = 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    ++n;
    absl::string_view entry = absl::StripAsciiWhitespace(line);
    entry = absl::StripAsciiWhitespace(entry.substr(0, entry.find('#')));
    if (!entry.empty()) Item(entry, absl::StrCat(path, ":", n), c, depth + 1, out);
  }
}

// The keys of an lsearch/iplsearch file: the first word of each line that does not start with
// white space ('#' comments; a key may be quoted).
void LookupFile(absl::string_view type, bool default_key, absl::string_view path,
                const std::string& where, const HostListContext& c, HostListVerdict& out) {
  std::string item = absl::StrCat(type, ";", path);
  absl::StatusOr<std::string> text =
      c.read_file ? c.read_file(std::string(path)) : absl::NotFoundError("no file reader");
  if (!text.ok()) {
    Unproven(item, where, absl::StrCat("cannot read ", path, ": ", text.status().message()), out);
    return;
  }
  int n = 0;
  for (absl::string_view raw : absl::StrSplit(*text, '\n')) {
    ++n;
    absl::string_view line(raw.data(), raw.size());
    if (line.empty() || std::isspace(static_cast<unsigned char>(line.front())) ||
        line.front() == '#') {
      continue;
    }
    absl::string_view key;
    if (line.front() == '"') {
      size_t close = line.find('"', 1);
      key = line.substr(1, close == absl::string_view::npos ? absl::string_view::npos : close - 1);
    } else {
      key = line.substr(0, line.find_first_of(" \t:\r"));
    }
    const std::string entry_where = absl::StrCat(path, ":", n);
    if (key == "*" && default_key) {
      out.strangers.push_back({absl::StrCat(item, ": *"), entry_where, ""});
    } else if (absl::StatusOr<Cidr> cidr = ParseCidr(key); cidr.ok()) {
      Network(*cidr, absl::StrCat(item, ": ", key), entry_where, c, out);
    } else {
      // A key that is no address never equals a client's address: it grants nothing.
    }
  }
}

// "[netN-]TYPE[*|*@];ARGUMENT".
void Lookup(absl::string_view item, const std::string& where, const HostListContext& c,
            HostListVerdict& out) {
  size_t semi = item.find(';');
  absl::string_view spec = absl::StripAsciiWhitespace(item.substr(0, semi));
  absl::string_view argument = absl::StripAsciiWhitespace(item.substr(semi + 1));
  absl::string_view type = spec;
  if (absl::StartsWith(type, "net")) {
    size_t dash = type.find('-');
    if (dash != absl::string_view::npos) type = type.substr(dash + 1);
  }
  bool default_key = absl::ConsumeSuffix(&type, "*@") || absl::ConsumeSuffix(&type, "*");
  bool readable = false;
  for (absl::string_view t : kReadableLookups) readable |= type == t;
  if (!readable || !absl::StartsWith(argument, "/")) {
    Unproven(item, where,
             absl::StrCat("a ", spec,
                 " lookup, which relayguard cannot evaluate (it reads lsearch and "
                 "iplsearch files)"),
             out);
    return;
  }
  LookupFile(spec, default_key, argument, where, c, out);
}

void Item(absl::string_view item, const std::string& where, const HostListContext& c, int depth,
          HostListVerdict& out) {
  if (absl::StartsWith(item, "!")) return;  // excludes hosts; grants nobody
  if (depth > kMaxDepth) {
    Unproven(item, where, "lists nest too deeply", out);
    return;
  }
  if (item == "*") {
    out.strangers.push_back({std::string(item), where, ""});
  } else if (absl::StartsWith(item, "+")) {
    std::string name(absl::StripAsciiWhitespace(item.substr(1)));
    std::optional<NamedHostList> list = c.named_list ? c.named_list(name) : std::nullopt;
    if (!list) {
      Unproven(item, where, absl::StrCat("hostlist ", name, " is not defined in this file"), out);
      return;
    }
    Evaluate(list->value, list->where, c, depth + 1, out);
  } else if (absl::StartsWith(item, "/")) {
    FileList(item, where, c, depth, out);
  } else if (absl::StatusOr<Cidr> cidr = ParseCidr(item); cidr.ok()) {
    Network(*cidr, item, where, c, out);
  } else if (absl::StrContains(item, "$")) {
    Unproven(item, where, "an expansion", out);
  } else if (absl::StartsWith(item, "^")) {
    Unproven(item, where, "a regular expression on host names", out);
  } else if (absl::StrContains(item, ";")) {
    Lookup(item, where, c, out);
  } else {
    // Host names, name patterns (*.example.org), @, @[], the empty item (local submission):
    // each names particular hosts.
    out.narrow.push_back({std::string(item), where, ""});
  }
}

void Evaluate(absl::string_view value, const std::string& where, const HostListContext& c, int depth,
              HostListVerdict& out) {
  for (const std::string& raw : ParseEximList(value)) {
    Item(absl::StripAsciiWhitespace(raw), where, c, depth, out);
  }
}

}  // namespace

HostListVerdict EvaluateHostList(absl::string_view value, const std::string& where,
                                 const HostListContext& context) {
  HostListVerdict out;
  Evaluate(value, where, context, 0, out);
  return out;
}

}  // namespace relayguard::agent::exim
