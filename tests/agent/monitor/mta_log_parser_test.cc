// Golden cases: every tests/data/monitor/{postfix,exim,sendmail}/NAME.log is fed to the parser of
// its folder's MTA; the events (EventText) and the counters must equal NAME.expected. The
// .expected header gives the context: "# trusted: CIDR, ..." and "# local_domains: D, ...".
// A .log may start with "#" lines (where its lines came from); NAME.journal.log holds journal
// entries, IDENTIFIER<TAB>PID<TAB>REALTIME_US<TAB>MESSAGE.
// A new case: write NAME.log and the header of NAME.expected, run this test with
// RG_WRITE_GOLDEN=1 (it writes the events below the header and fails), then read every line.
#include "agent/monitor/mta_log_parser.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace relayguard::agent {
namespace {

namespace fs = std::filesystem;

class FixedClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return {}; }
  int64_t WallSeconds() override { return wall; }
  void SleepFor(std::chrono::milliseconds) override {}
  int64_t wall = 1796558400;  // 2026-12-06T12:00:00Z
};

// Syslog and Exim times without a zone are the host's: the cases are UTC.
class UtcEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};
const auto* const kUtc = ::testing::AddGlobalTestEnvironment(new UtcEnvironment);

std::vector<std::string> ReadLines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

RelayContext ContextFrom(const std::vector<std::string>& expected) {
  RelayContext context;
  for (const std::string& line : expected) {
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "# trusted:")) {
      for (absl::string_view cidr : absl::StrSplit(rest, ',', absl::SkipWhitespace())) {
        absl::StatusOr<Cidr> parsed = ParseCidr(absl::StripAsciiWhitespace(cidr));
        EXPECT_TRUE(parsed.ok()) << parsed.status();
        if (parsed.ok()) context.trusted.push_back(*parsed);
      }
    } else if (absl::ConsumePrefix(&rest, "# local_domains:")) {
      for (absl::string_view domain : absl::StrSplit(rest, ',', absl::SkipWhitespace())) {
        context.local_domains.emplace_back(absl::StripAsciiWhitespace(domain));
      }
    }
  }
  return context;
}

LogEntry EntryFrom(const std::string& line, bool journal) {
  LogEntry entry;
  if (!journal) {
    entry.text = line;
    return entry;
  }
  std::vector<std::string> fields = absl::StrSplit(line, absl::MaxSplits('\t', 3));
  EXPECT_EQ(fields.size(), 4u) << line;
  fields.resize(4);
  entry.from_journal = true;
  entry.identifier = fields[0];
  entry.pid = std::stoll(fields[1]);
  entry.time_us = std::stoll(fields[2]);
  entry.text = fields[3];
  return entry;
}

std::vector<std::string> RunCase(LogMta mta, const fs::path& log, const RelayContext& context) {
  FixedClock clock;
  MtaLogParser parser(mta, context, clock);
  const bool journal = absl::EndsWith(log.filename().string(), ".journal.log");
  std::vector<std::string> actual;
  bool header = true;
  for (const std::string& line : ReadLines(log)) {
    if (header && absl::StartsWith(line, "#")) continue;
    header = false;
    std::vector<MonitorEvent> events;
    parser.Feed(EntryFrom(line, journal), events);
    for (const MonitorEvent& event : events) {
      actual.push_back(EventText(event));
      EXPECT_FALSE(event.lines.empty()) << actual.back();
      EXPECT_LE(event.lines.size(), 4u);
      for (const std::string& proof : event.lines) EXPECT_LE(proof.size(), 1024u);
    }
  }
  const ParserCounters& c = parser.counters();
  actual.push_back(absl::StrCat("counters lines=", c.lines, " refused=", c.refused,
                                " relayed=", c.relayed, " sasl_failures=", c.sasl_failures,
                                " unknown=", c.unknown, " malformed=", c.malformed));
  return actual;
}

TEST(MtaLogParserGoldenTest, EveryCaseGivesItsExpectedEvents) {
  const fs::path root = fs::path(RG_SOURCE_DIR) / "tests/data/monitor";
  int cases = 0;
  for (const char* folder : {"postfix", "exim", "sendmail"}) {
    absl::StatusOr<LogMta> mta = ParseLogMta(folder);
    ASSERT_TRUE(mta.ok()) << mta.status();
    for (const fs::directory_entry& file : fs::directory_iterator(root / folder)) {
      if (file.path().extension() != ".log") continue;
      std::string stem = file.path().string();
      stem.resize(stem.size() - 4);
      if (absl::EndsWith(stem, ".journal")) stem.resize(stem.size() - 8);
      const fs::path expected_path = stem + ".expected";
      SCOPED_TRACE(file.path().string());
      ASSERT_TRUE(fs::exists(expected_path)) << "no " << expected_path << " for this case";
      const std::vector<std::string> expected_file = ReadLines(expected_path);
      std::vector<std::string> expected;
      for (const std::string& line : expected_file) {
        if (!line.empty() && line[0] != '#') expected.push_back(line);
      }
      const std::vector<std::string> actual =
          RunCase(*mta, file.path(), ContextFrom(expected_file));
      if (getenv("RG_WRITE_GOLDEN") != nullptr) {
        std::ofstream out(expected_path, std::ios::trunc);
        for (const std::string& line : expected_file) {
          if (absl::StartsWith(line, "#")) out << line << "\n";
        }
        for (const std::string& line : actual) out << line << "\n";
        ADD_FAILURE() << "wrote " << expected_path << ": read it before committing";
        continue;
      }
      EXPECT_EQ(actual, expected) << "actual:\n" << absl::StrJoin(actual, "\n");
      ++cases;
    }
  }
  EXPECT_GE(cases, 30);
}

TEST(MtaLogParserTest, NamesTheMtaItDoesNotKnow) {
  FixedClock clock;
  absl::StatusOr<std::unique_ptr<MtaLogParser>> parser =
      MtaLogParser::Create("qmail", RelayContext{}, clock);
  ASSERT_FALSE(parser.ok());
  EXPECT_TRUE(absl::StrContains(parser.status().message(), "\"qmail\"")) << parser.status();
  EXPECT_TRUE(MtaLogParser::Create("sendmail", RelayContext{}, clock).ok());
}

RelayContext LabContext() {
  RelayContext context;
  context.trusted.push_back(*ParseCidr("127.0.0.1/32"));
  context.local_domains = {"pf.lab.test"};
  return context;
}

LogEntry Line(const std::string& text) {
  LogEntry entry;
  entry.text = text;
  return entry;
}

TEST(MtaLogParserTest, KeepsAtMostTheBoundOfOpenMessagesWhateverTheInput) {
  FixedClock clock;
  MtaLogParser parser(LogMta::kPostfix, LabContext(), clock);
  std::vector<MonitorEvent> events;
  const size_t total = MtaLogParser::kMaxOpenMessages + 2500;
  for (size_t i = 0; i < total; ++i) {
    parser.Feed(Line(absl::StrCat("Dec  5 10:00:00 mx1 postfix/smtpd[1]: Q", i,
                                  ": client=unknown[127.0.0.9]")),
                events);
  }
  EXPECT_EQ(parser.open_messages(), MtaLogParser::kMaxOpenMessages);
  EXPECT_EQ(parser.dropped_messages(), 2500u);
  // The oldest were dropped: their deliveries tie to nothing; the newest still relay.
  parser.Feed(Line("Dec  5 10:00:01 mx1 postfix/smtp[2]: Q0: to=<v@example.net>, relay=none, "
                   "delay=0, dsn=2.0.0, status=sent (x)"),
              events);
  EXPECT_TRUE(events.empty());
  parser.Feed(Line(absl::StrCat("Dec  5 10:00:01 mx1 postfix/smtp[2]: Q", total - 1,
                                ": to=<v@example.net>, relay=none, delay=0, dsn=2.0.0, "
                                "status=sent (x)")),
              events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, MonitorEventKind::kRelayed);
  EXPECT_EQ(events[0].client_address, "127.0.0.9");
}

TEST(MtaLogParserTest, ForgetsAMessageAfterAnHourOfLogTime) {
  FixedClock clock;
  MtaLogParser parser(LogMta::kPostfix, LabContext(), clock);
  std::vector<MonitorEvent> events;
  parser.Feed(Line("Dec  5 10:00:00 mx1 postfix/smtpd[1]: AB12: client=unknown[127.0.0.9]"),
              events);
  parser.Feed(Line("Dec  5 10:00:00 mx1 postfix/smtpd[1]: CD34: client=unknown[127.0.0.9]"),
              events);
  EXPECT_EQ(parser.open_messages(), 2u);
  parser.Feed(Line("Dec  5 10:00:05 mx1 postfix/qmgr[3]: CD34: removed"), events);
  EXPECT_EQ(parser.open_messages(), 1u);
  parser.Feed(Line("Dec  5 11:00:01 mx1 postfix/smtp[2]: AB12: to=<v@example.net>, relay=none, "
                   "delay=0, dsn=2.0.0, status=sent (x)"),
              events);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(parser.open_messages(), 0u);
}

TEST(MtaLogParserTest, ANewContextDecidesForClientsSeenAfterIt) {
  FixedClock clock;
  MtaLogParser parser(LogMta::kExim, LabContext(), clock);
  RelayContext wider = LabContext();
  wider.trusted.push_back(*ParseCidr("127.0.0.0/8"));
  parser.SetContext(wider);
  std::vector<MonitorEvent> events;
  parser.Feed(Line("2026-12-05 10:00:00 1xZnDx-0004ms-1A <= a@example.org H=(x) [127.0.0.9] "
                   "P=esmtp S=235"),
              events);
  parser.Feed(Line("2026-12-05 10:00:00 1xZnDx-0004ms-1A => :blackhole: <v@example.net> "
                   "R=remote_blackhole"),
              events);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(parser.counters().relayed, 0u);
}

TEST(MtaLogParserTest, ALineCutAtTheMaximumIsMalformed) {
  FixedClock clock;
  MtaLogParser parser(LogMta::kPostfix, LabContext(), clock);
  std::string text =
      "Dec  5 10:00:02 mx1 postfix/smtpd[9]: NOQUEUE: reject: RCPT from "
      "unknown[127.0.0.9]: 554 5.7.1 <v@example.net>: Relay access denied; helo=<";
  text.resize(kMaxLogLine, 'h');
  std::vector<MonitorEvent> events;
  parser.Feed(Line(text), events);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(parser.counters().malformed, 1u);
}

TEST(MtaLogParserTest, ParsesLongHostileLinesInLinearTime) {
  FixedClock clock;
  MtaLogParser parser(LogMta::kExim, LabContext(), clock);
  // Every pre-filter passes, so every pattern runs on 48 KiB of near-matches.
  std::string text = "2026-12-05 10:00:00 ";
  while (text.size() < 48 * 1024) {
    text += "H=( [1 F=<a rejected RCPT < authenticator failed for <= => Completed ";
  }
  std::vector<MonitorEvent> events;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) parser.Feed(Line(text), events);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(parser.counters().unknown, 200u);
  // Linear: ~10 MB of text; a backtracking engine would take hours, RE2 well under a second.
  EXPECT_LT(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count(), 20);
}

}  // namespace
}  // namespace relayguard::agent
