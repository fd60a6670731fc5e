// RealLookupTableReader against the real Postfix 3.7 tools: hash: and lmdb: tables built by the
// real postmap in a temp dir and read back through `postmap -c DIR -s`, missing and corrupt
// databases, and the golden cidr:/regexp:/pcre: tables: for every probe key, the entry our
// parser's reading says matches first must give the result `postmap -q` gives.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agent/mta/postfix/lookup_table.h"
#include "agent/mta/postfix/stranger_samples.h"
#include "agent/mta/postfix/table_patterns.h"
#include "agent/mta/postfix/table_text.h"
#include "agent/os/file_system.h"
#include "agent/os/process_runner.h"
#include "tests/support/postfix_lab.h"

namespace relayguard::agent::postfix {
namespace {

using ::relayguard::testing::RunCommand;
using ::relayguard::testing::SourcePath;
using ::relayguard::testing::WriteFileOrDie;
using Strings = std::vector<std::string>;

constexpr char kPostmap[] = "/usr/sbin/postmap";
constexpr char kPostconf[] = "/usr/sbin/postconf";

class LookupTableIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-lookup-table-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    std::filesystem::create_directories(config_dir());
    // postmap -c needs a main.cf; nothing in it matters for reading tables.
    WriteFileOrDie(config_dir() + "/main.cf", "compatibility_level = 3.6\n");
    WriteFileOrDie(config_dir() + "/master.cf", "");
    reader_.emplace(fs_, runner_, kPostmap, config_dir());
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::string config_dir() const { return root_ + "/etc"; }
  std::string Path(const std::string& name) const { return root_ + "/" + name; }

  // Runs the real postmap; its output on failure.
  void Postmap(const Strings& args) {
    Strings argv = {kPostmap, "-c", config_dir()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string output;
    ASSERT_EQ(RunCommand(argv, &output), 0) << output;
  }

  // `postmap -q - SPEC` for every key at once: key -> result for the keys the table answers.
  std::map<std::string, std::string> QueryAll(const Strings& keys, const std::string& spec) {
    Command command;
    command.argv = {kPostmap, "-c", config_dir(), "-q", "-", spec};
    for (const std::string& key : keys) command.stdin_text += key + "\n";
    absl::StatusOr<ProcessResult> result = runner_.Run(command);
    EXPECT_TRUE(result.ok()) << result.status();
    std::map<std::string, std::string> answers;
    if (!result.ok()) return answers;
    // Exit 1: no key found at all.
    EXPECT_TRUE(result->exit_code == 0 || result->exit_code == 1) << result->stderr_text;
    EXPECT_EQ(result->stderr_text.find("fatal"), std::string::npos) << result->stderr_text;
    std::istringstream lines(result->stdout_text);
    for (std::string line; std::getline(lines, line);) {
      const size_t tab = line.find('\t');
      if (tab != std::string::npos) answers[line.substr(0, tab)] = line.substr(tab + 1);
    }
    return answers;
  }

  // Whether this Postfix can open `type` tables (postconf -m).
  bool Supports(const std::string& type) {
    std::string output;
    RunCommand({kPostconf, "-c", config_dir(), "-m"}, &output, {}, nullptr,
               /*keep_stderr=*/false);
    return output.find(type + "\n") != std::string::npos;
  }

  std::string root_;
  RealFileSystem fs_;
  RealProcessRunner runner_;
  std::optional<RealLookupTableReader> reader_;
};

const char kAccessSource[] =
    "# partners and a leftover catch-all\n"  // 1
    "192.0.2.7        OK\n"                  // 2
    "Partner.Example  OK\n"                  // 3
    "127              RELAY\n"               // 4
    "spammer.example  REJECT no thanks\n"    // 5
    "2001:db8         permit_mynetworks,\n"  // 6
    "   reject\n";                           // 7

Strings Sorted(const LookupTable& table) {
  Strings out;
  for (const TableEntry& e : table.entries) {
    out.push_back(absl::StrCat(e.line, " [", e.pattern, "] [", e.action, "]"));
  }
  std::sort(out.begin(), out.end());
  return out;
}

const Strings kAccessEntries = {
    "2 [192.0.2.7] [OK]",
    "3 [partner.example] [OK]",
    "4 [127] [RELAY]",
    "5 [spammer.example] [REJECT no thanks]",
    "6 [2001:db8] [permit_mynetworks,   reject]",
};

TEST_F(LookupTableIntegrationTest, ReadsHashAndLmdbTablesBuiltByTheRealPostmap) {
  // deploy/install_deps.sh installs postfix-lmdb; without it this test cannot prove lmdb:.
  ASSERT_TRUE(Supports("lmdb")) << "postconf -m lists no lmdb: install postfix-lmdb";
  const std::string source = Path("access");
  WriteFileOrDie(source, kAccessSource);
  for (const std::string type : {"hash", "lmdb"}) {
    SCOPED_TRACE(type);
    Postmap({type + ":" + source});
    for (const std::string& spec : {type + ":" + source, "proxy:" + type + ":" + source}) {
      absl::StatusOr<LookupTable> table = reader_->Read(spec);
      ASSERT_TRUE(table.ok()) << table.status();
      EXPECT_EQ(table->spec, spec);
      EXPECT_EQ(table->type, type);
      EXPECT_EQ(table->path, source);
      EXPECT_EQ(Sorted(*table), kAccessEntries);
    }
  }
  // A key only the database still holds (the source changed, postmap not run) gets line 0.
  WriteFileOrDie(source, "192.0.2.7 OK\n");
  absl::StatusOr<LookupTable> table = reader_->Read("hash:" + source);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->entries.size(), 5u);
  for (const TableEntry& entry : table->entries) {
    EXPECT_EQ(entry.line, entry.pattern == "192.0.2.7" ? 1 : 0) << entry.pattern;
  }
}

TEST_F(LookupTableIntegrationTest, MissingDatabaseAndMissingFileAreNotFound) {
  WriteFileOrDie(Path("nodb"), "192.0.2.7 OK\n");
  for (const std::string type : {"hash", "lmdb"}) {
    absl::StatusOr<LookupTable> table = reader_->Read(type + ":" + Path("nodb"));
    ASSERT_TRUE(absl::IsNotFound(table.status())) << table.status();
    EXPECT_NE(table.status().message().find("run `postmap " + type + ":" + Path("nodb") + "`"),
              std::string::npos)
        << table.status();
    table = reader_->Read(type + ":" + Path("absent"));
    ASSERT_TRUE(absl::IsNotFound(table.status())) << table.status();
    EXPECT_NE(table.status().message().find("neither"), std::string::npos) << table.status();
  }
  absl::StatusOr<LookupTable> table = reader_->Read("cidr:" + Path("absent.cidr"));
  ASSERT_TRUE(absl::IsNotFound(table.status())) << table.status();
}

TEST_F(LookupTableIntegrationTest, CorruptDatabaseIsFailedPreconditionWithPostmapsMessage) {
  WriteFileOrDie(Path("corrupt"), "192.0.2.7 OK\n");
  WriteFileOrDie(Path("corrupt.db"), "this is no Berkeley DB file\n");
  absl::StatusOr<LookupTable> table = reader_->Read("hash:" + Path("corrupt"));
  ASSERT_EQ(table.status().code(), absl::StatusCode::kFailedPrecondition) << table.status();
  EXPECT_NE(table.status().message().find("postmap: fatal"), std::string::npos) << table.status();
}

// Whether `pattern` (an entry's or an "if" condition's) matches `key`, as cidr_table(5) /
// regexp_table(5) / pcre_table(5) describe.
bool PatternMatches(const LookupTable& table, const std::string& pattern, const std::string& key) {
  if (table.type == "cidr") {
    absl::StatusOr<CidrPattern> cidr = ParseCidrPattern(pattern);
    absl::StatusOr<IpAddress> address = ParseIpAddress(key);
    EXPECT_TRUE(cidr.ok()) << pattern;
    if (!cidr.ok() || !address.ok() || address->family != cidr->network.address.family) {
      return false;
    }
    return cidr->network.Contains(*address) != cidr->negated;
  }
  absl::StatusOr<TableRegex> regex = TableRegex::Compile(
      table.type == "pcre" ? RegexDialect::kPcre : RegexDialect::kPosix, pattern);
  EXPECT_TRUE(regex.ok()) << pattern;
  if (!regex.ok()) return false;
  absl::StatusOr<bool> match = regex->Matches(key);
  EXPECT_TRUE(match.ok()) << match.status();
  return match.ok() && *match;
}

// The entry Postfix would answer `key` with, from our reading of the table: the first one
// whose "if" conditions and pattern all match.
const TableEntry* FirstMatch(const LookupTable& table, const std::string& key) {
  for (const TableEntry& entry : table.entries) {
    bool applies = PatternMatches(table, entry.pattern, key);
    for (const std::string& condition : entry.conditions) {
      applies = applies && PatternMatches(table, condition, key);
    }
    if (applies) return &entry;
  }
  return nullptr;
}

// Every key (the listed ones and every sample stranger) gets the same answer from our reading
// of the table as from `postmap -q`; a result with $n substitution is compared up to its '$'.
void ExpectSameAnswers(const LookupTable& table, const Strings& keys,
                       const std::map<std::string, std::string>& postfix) {
  for (const std::string& key : keys) {
    SCOPED_TRACE(key);
    const TableEntry* entry = FirstMatch(table, key);
    auto answer = postfix.find(key);
    ASSERT_EQ(entry != nullptr, answer != postfix.end())
        << (entry ? "we match line " + std::to_string(entry->line) : "we match nothing")
        << (answer != postfix.end() ? ", postmap answers " + answer->second
                                    : ", postmap answers nothing");
    if (entry == nullptr) continue;
    const size_t dollar = entry->action.find('$');
    EXPECT_EQ(answer->second.substr(0, dollar), entry->action.substr(0, dollar))
        << "line " << entry->line;
  }
}

Strings SampleTexts() {
  Policy policy;
  policy.trusted_networks = {*ParseCidr("127.0.0.1/32")};
  policy.probe = DefaultProbeSettings();
  Strings texts;
  for (const StrangerSample& s : ClientSamples(policy)) texts.push_back(s.text);
  for (const StrangerSample& s : RecipientSamples(policy)) texts.push_back(s.text);
  return texts;
}

TEST_F(LookupTableIntegrationTest, GoldenPatternTablesMatchAsPostmapQ) {
  // pcre: needs postfix-pcre (deploy/install_deps.sh).
  ASSERT_TRUE(Supports("pcre")) << "postconf -m lists no pcre: install postfix-pcre";
  struct Case {
    std::string file;
    std::string type;
    Strings keys;
  };
  const Case cases[] = {
      {"clients.cidr",
       "cidr",
       {"192.0.2.9", "203.0.113.7", "198.51.100.17", "198.51.100.20", "198.51.100.21",
        "198.51.100.40", "2001:db8:1::9", "2001:db8:2::5", "2001:db8:3::1", "10.1.1.1", "11.1.1.1",
        "127.0.0.9"}},
      {"clients.regexp",
       "regexp",
       {"mail.partner.example", "MAIL.PARTNER.EXAMPLE", "192.0.2.55", "a b", "mx1.example.net",
        "mx1.example.com", "dynamic-1.isp", "dynamic-static.isp", "CASE", "case", "unknown",
        "other"}},
      {"clients.pcre",
       "pcre",
       {"10.1.2.3", "172.16.0.1", "mail.partner.example", "localhost", "foo", "192.0.2.1", "lower",
        "LOWER", "mx.partner.example"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    const std::string spec = c.type + ":" + SourcePath("tests/data/postfix/tables/" + c.file);
    absl::StatusOr<LookupTable> table = reader_->Read(spec);
    ASSERT_TRUE(table.ok()) << table.status();
    Strings keys = c.keys;
    for (const std::string& sample : SampleTexts()) keys.push_back(sample);
    ExpectSameAnswers(*table, keys, QueryAll(keys, spec));
  }
}

// Single-rule tables with the patterns admins write, and the ones that show each engine's
// rules (flags, negation, the legacy second pattern, PCRE-only syntax): our engine must match
// exactly the sample strangers Postfix's does, or JudgeEntry would judge other keys than the
// ones Postfix lets through.
TEST_F(LookupTableIntegrationTest, SampleStrangersMatchAsInPostfix) {
  ASSERT_TRUE(Supports("pcre")) << "postconf -m lists no pcre: install postfix-pcre";
  const std::pair<std::string, std::string> rules[] = {
      {"regexp", "/./"},
      {"regexp", "/^127\\./"},
      {"regexp", "/^1[0-9]{2}\\./"},
      {"regexp", "/^(mail|smtp|mx[0-9]*)\\./"},
      {"regexp", "/\\.NET$/"},
      {"regexp", "/\\.NET$/i"},
      {"regexp", "/^[0-9.]+$/x"},
      {"regexp", "!/^2/"},
      {"regexp", "/^1/!/^1[0-9][0-9]\\./"},
      {"regexp", "/^unknown$/"},
      {"regexp", "/@example\\.(com|org)$/"},
      {"regexp", "/%/"},
      {"pcre", "/^(?!192\\.0\\.2\\.)\\d+\\./"},
      {"pcre", "/^\\d{1,2}\\./"},
      {"pcre", "/\\.NET$/i"},
      {"pcre", "/^[a-f0-9:]+::/"},
      {"pcre", "/^ (mail|mx) \\. /x"},
      {"pcre", "!/\\./"},
      {"pcre", "/^postmaster@/"},
      {"pcre", "/^[^@]+@\\[/"},
  };
  const Strings keys = SampleTexts();
  for (const auto& [type, pattern] : rules) {
    SCOPED_TRACE(type + ": " + pattern);
    const std::string file = Path("rule." + type);
    WriteFileOrDie(file, pattern + " MATCHED\n");
    absl::StatusOr<LookupTable> table = reader_->Read(type + ":" + file);
    ASSERT_TRUE(table.ok()) << table.status();
    ExpectSameAnswers(*table, keys, QueryAll(keys, type + ":" + file));
  }
}

}  // namespace
}  // namespace relayguard::agent::postfix
