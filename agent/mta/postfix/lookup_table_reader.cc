// RealLookupTableReader (lookup_table.h): from "type:name" to entries, by file or by postmap.
#include <chrono>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/mta/postfix/lookup_table.h"
#include "agent/mta/postfix/table_parsers.h"
#include "agent/mta/postfix/table_text.h"

namespace relayguard::agent::postfix {
namespace {

constexpr std::chrono::seconds kPostmapTimeout{30};

// Indexed types and the file postmap builds next to the source file.
struct IndexedType {
  absl::string_view type;
  absl::string_view suffix;
};
constexpr IndexedType kIndexedTypes[] = {
    {"hash", ".db"}, {"btree", ".db"}, {"lmdb", ".lmdb"},
    {"cdb", ".cdb"}, {"dbm", ".dir"},  {"sdbm", ".dir"},
};

const IndexedType* FindIndexed(absl::string_view type) {
  for (const IndexedType& indexed : kIndexedTypes) {
    if (indexed.type == type) return &indexed;
  }
  return nullptr;
}

absl::Status Unreadable(absl::string_view spec, absl::string_view type) {
  return absl::UnimplementedError(absl::StrCat(
      "relayguard cannot read ", type, ": tables (", spec,
      "): their answers come from a server, a program or other tables, so what the restriction "
      "using it allows stays unproven"));
}

absl::Status WithSpec(const absl::Status& status, absl::string_view spec) {
  return absl::Status(status.code(), absl::StrCat(spec, ": ", status.message()));
}

absl::Status NeedsAbsolutePath(absl::string_view spec, absl::string_view path) {
  return absl::InvalidArgumentError(absl::StrCat(spec, ": table path \"", path,
                                             "\" is not absolute; name the file by its full path"));
}

absl::string_view LastLine(absl::string_view text) {
  text = TrimTableSpace(text);
  const size_t newline = text.rfind('\n');
  return newline == absl::string_view::npos ? text : text.substr(newline + 1);
}

}  // namespace

RealLookupTableReader::RealLookupTableReader(FileSystem& fs, ProcessRunner& runner,
                                             std::string postmap_path, std::string config_dir)
    : fs_(fs),
      runner_(runner),
      postmap_path_(std::move(postmap_path)),
      config_dir_(std::move(config_dir)) {}

absl::StatusOr<LookupTable> RealLookupTableReader::Read(const std::string& spec) {
  LookupTable table;
  table.spec = spec;
  absl::string_view rest = spec;
  size_t colon = rest.find(':');
  if (colon != absl::string_view::npos && rest.substr(0, colon) == "proxy") {
    rest.remove_prefix(colon + 1);  // proxymap serves the table it names
    colon = rest.find(':');
  }
  if (colon == absl::string_view::npos || colon == 0 || colon + 1 == rest.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", spec, "\" is not a lookup table: expected TYPE:NAME"));
  }
  table.type = std::string(rest.substr(0, colon));
  const std::string name(rest.substr(colon + 1));
  const absl::string_view type = table.type;

  if (type == "inline" || type == "static") {
    absl::StatusOr<std::vector<TableEntry>> entries =
        type == "inline" ? ParseInlineTable(name) : ParseStaticTable(name);
    if (!entries.ok()) return WithSpec(entries.status(), spec);
    table.entries = *std::move(entries);
    return table;
  }
  if (type == "fail") return table;  // every lookup fails: it answers nothing
  if (FindIndexed(type) != nullptr) return ReadIndexed(std::move(table), name);
  if (type != "cidr" && type != "regexp" && type != "pcre" && type != "texthash") {
    return Unreadable(spec, type);
  }

  TableOrigin origin{name, false};
  std::string text;
  if (type != "texthash" && absl::StartsWith(name, "{")) {
    // Postfix 3.7: cidr:{ {rule}, {rule} } holds its rules in the specification.
    absl::StatusOr<std::string> rules = InlineRulesText(name);
    if (!rules.ok()) return WithSpec(rules.status(), spec);
    text = *std::move(rules);
    origin = TableOrigin{spec, true};
  } else {
    if (!absl::StartsWith(name, "/")) return NeedsAbsolutePath(spec, name);
    absl::StatusOr<std::string> contents = fs_.ReadFile(name);
    if (absl::IsNotFound(contents.status())) {
      return absl::NotFoundError(absl::StrCat(spec, ": table file ", name, " does not exist"));
    }
    if (!contents.ok()) return WithSpec(contents.status(), spec);
    text = *std::move(contents);
    table.path = name;
  }
  absl::StatusOr<std::vector<TableEntry>> entries =
      type == "cidr"     ? ParseCidrTable(text, origin)
      : type == "regexp" ? ParseRegexTable(RegexDialect::kPosix, text, origin)
      : type == "pcre"   ? ParseRegexTable(RegexDialect::kPcre, text, origin)
                         : ParseTexthashTable(text, origin);
  if (!entries.ok()) return entries.status();
  table.entries = *std::move(entries);
  if (origin.inline_rules) {
    for (TableEntry& entry : table.entries) entry.line = 0;
  }
  return table;
}

absl::StatusOr<LookupTable> RealLookupTableReader::ReadIndexed(LookupTable table,
                                                               const std::string& name) {
  const std::string& spec = table.spec;
  if (!absl::StartsWith(name, "/")) return NeedsAbsolutePath(spec, name);
  const std::string database = absl::StrCat(name, FindIndexed(table.type)->suffix);
  absl::StatusOr<FileInfo> info = fs_.Stat(database);
  if (absl::IsNotFound(info.status())) {
    const bool source_exists = fs_.Stat(name).ok();
    return absl::NotFoundError(
        source_exists ? absl::StrCat(spec, ": ", database, " does not exist although ", name,
                                 " does; run `postmap ", table.type, ":", name, "`")
                      : absl::StrCat(spec, ": neither ", name, " nor ", database, " exists"));
  }
  if (!info.ok()) return WithSpec(info.status(), spec);

  Command command;
  command.argv = {postmap_path_};
  if (!config_dir_.empty()) {
    command.argv.push_back("-c");
    command.argv.push_back(config_dir_);
  }
  command.argv.push_back("-s");
  command.argv.push_back(absl::StrCat(table.type, ":", name));
  command.timeout = kPostmapTimeout;
  absl::StatusOr<ProcessResult> result = runner_.Run(command);
  if (!result.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(spec, ": cannot run ", command.ToString(), ": ", result.status().message()));
  }
  if (result->timed_out) {
    return absl::FailedPreconditionError(absl::StrCat(
        spec, ": ", command.ToString(), " timed out after ", kPostmapTimeout.count(), " s"));
  }
  if (result->exit_code != 0) {
    return absl::FailedPreconditionError(absl::StrCat(spec, ": ", command.ToString(), " failed (exit ",
                                                  result->exit_code,
                                                  "): ", LastLine(result->stderr_text)));
  }
  table.entries = ParsePostmapDump(result->stdout_text);
  table.path = name;
  // The source file gives the admin a line to look at; the database is what Postfix answers.
  absl::StatusOr<std::string> source = fs_.ReadFile(name);
  if (source.ok()) AssignSourceLines(*source, table.entries);
  return table;
}

}  // namespace relayguard::agent::postfix
