// The log monitor's parsers (agent/monitor/mta_log_parser.h, log_line.h): every line is counted
// once (lines = fed; malformed + unknown at most that), the event counters add up to the
// events emitted, each event carries at most 4 proof lines of at most 1 KiB, and the open
// messages stay under their bound. The first byte picks the MTA and file or journal entries;
// the rest is the log, one entry per line.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "agent/monitor/mta_log_parser.h"
#include "agent/monitor/open_messages.h"
#include "common/cidr.h"
#include "common/clock.h"
#include "fuzz/fuzz_check.h"

namespace ag = relayguard::agent;

namespace {

class FixedClock : public relayguard::Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return {}; }
  int64_t WallSeconds() override { return 1796464800; }  // 2026-12-05
  void SleepFor(std::chrono::milliseconds) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static FixedClock clock;
  const ag::LogMta mtas[] = {ag::LogMta::kPostfix, ag::LogMta::kExim, ag::LogMta::kSendmail};
  const ag::LogMta mta = mtas[data[0] % 3];
  const bool journal = (data[0] & 0x80) != 0;
  ag::RelayContext context;
  context.trusted.push_back(*relayguard::ParseCidr("127.0.0.1/32"));
  context.trusted.push_back(*relayguard::ParseCidr("::1/128"));
  context.local_domains = {"example.org", "localhost"};
  ag::MtaLogParser parser(mta, context, clock);
  const std::string log(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<ag::MonitorEvent> events;
  uint64_t fed = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    ag::LogEntry entry;
    entry.text = std::string(line);
    if (journal) {
      entry.from_journal = true;
      entry.identifier = mta == ag::LogMta::kPostfix ? "postfix/smtpd"
                         : mta == ag::LogMta::kExim  ? "exim"
                                                     : "sm-mta";
      entry.pid = 123;
      entry.time_us = 1796464800000000 + static_cast<int64_t>(fed);
    }
    parser.Feed(entry, events);
    ++fed;
    FUZZ_CHECK(parser.open_messages() <= ag::MtaLogParser::kMaxOpenMessages,
               "open messages over the bound: " + std::to_string(parser.open_messages()));
  }
  const ag::ParserCounters& c = parser.counters();
  FUZZ_CHECK(c.lines == fed, "lines " + std::to_string(c.lines) + " != fed " + std::to_string(fed));
  FUZZ_CHECK(c.malformed + c.unknown <= c.lines, "malformed + unknown > lines");
  FUZZ_CHECK(c.refused + c.relayed + c.sasl_failures == events.size(),
             "event counters " + std::to_string(c.refused + c.relayed + c.sasl_failures) +
                 " != events " + std::to_string(events.size()));
  for (const ag::MonitorEvent& e : events) {
    FUZZ_CHECK(e.lines.size() <= 4, "an event with " + std::to_string(e.lines.size()) + " lines");
    for (const std::string& l : e.lines) {
      FUZZ_CHECK(l.size() <= ag::OpenMessages::kMaxLineBytes, "a proof line over the bound");
    }
    (void)ag::EventText(e);
  }
  return 0;
}
