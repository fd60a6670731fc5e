// RealLookupTableReader against the real Postfix 3.7 tools: hash: and lmdb: tables built by the
// real postmap in a temp dir and read back through `postmap -c DIR -s`, missing and corrupt
// databases, and the golden cidr:/regexp:/pcre: tables: for every probe key, the entry our
// parser's reading says matches first must give the result `postmap -q` gives.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agent/mta/postfix/lookup_table.h"
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

  std::string Query(const std::string& key, const std::string& spec) {
    std::string output;
    RunCommand({kPostmap, "-c", config_dir(), "-q", key, spec}, &output, {}, nullptr,
               /*keep_stderr=*/false);
    while (!output.empty() && output.back() == '\n') output.pop_back();
    return output;
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
    out.push_back(TableCat(e.line, " [", e.pattern, "] [", e.action, "]"));
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
  EXPECT_NE(table.status().message().find("postmap: fatal"), std::string::npos)
      << table.status();
}

// The result Postfix would give for `key`, from our reading of the table: the first entry whose
// "if" conditions and pattern all match, as cidr_table(5) / regexp_table(5) describe.
std::optional<std::string> FirstMatch(const LookupTable& table, const std::string& key) {
  auto matches = [&](const std::string& pattern) {
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
    absl::StatusOr<bool> match = regex.ok() ? regex->Matches(key) : false;
    return match.ok() && *match;
  };
  for (const TableEntry& entry : table.entries) {
    if (std::all_of(entry.conditions.begin(), entry.conditions.end(), matches) &&
        matches(entry.pattern)) {
      return entry.action;
    }
  }
  return std::nullopt;
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
      {"clients.cidr", "cidr",
       {"192.0.2.9", "203.0.113.7", "198.51.100.17", "198.51.100.20", "198.51.100.21",
        "198.51.100.40", "2001:db8:1::9", "2001:db8:2::5", "2001:db8:3::1", "10.1.1.1",
        "11.1.1.1", "127.0.0.9"}},
      {"clients.regexp", "regexp",
       {"mail.partner.example", "MAIL.PARTNER.EXAMPLE", "192.0.2.55", "a b", "mx1.example.net",
        "mx1.example.com", "dynamic-1.isp", "dynamic-static.isp", "CASE", "case", "unknown",
        "other"}},
      {"clients.pcre", "pcre",
       {"10.1.2.3", "172.16.0.1", "mail.partner.example", "localhost", "foo", "192.0.2.1",
        "lower", "LOWER", "mx.partner.example"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    const std::string spec = c.type + ":" + SourcePath("tests/data/postfix/tables/" + c.file);
    absl::StatusOr<LookupTable> table = reader_->Read(spec);
    ASSERT_TRUE(table.ok()) << table.status();
    for (const std::string& key : c.keys) {
      SCOPED_TRACE(key);
      const std::string postfix = Query(key, spec);
      EXPECT_EQ(FirstMatch(*table, key).value_or(""), postfix);
    }
  }
}

}  // namespace
}  // namespace relayguard::agent::postfix
