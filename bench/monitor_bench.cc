// The log monitor's cost (issue 16): how many mail-log lines per second one agent's monitor
// reads, parses and counts (target >= 10,000), how much of one core it takes while the log
// grows by 100 lines a second (target < 5%), and that its memory stays bounded whatever the log
// holds (a million lines from 200,000 addresses). Real files, the real follower, parser, tracker
// and report queue; the lines are Postfix's, as Debian 12's rsyslog writes them.
//   monitor_bench [--lines N] [--seconds S]
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/compliance/compliance_queue.h"
#include "agent/monitor/attempt_tracker.h"
#include "agent/monitor/file_follower.h"
#include "agent/monitor/mta_log_parser.h"
#include "agent/monitor/relay_monitor.h"
#include "agent/os/file_system.h"
#include "common/cidr.h"
#include "common/clock.h"

namespace rg = relayguard;
namespace ra = relayguard::agent;

namespace {

// Line `i` of a busy Postfix host's log: connections, refused relay attempts, failed AUTH,
// trusted submissions with their queue-id lines, and noise; `sources` distinct attackers.
std::string Line(uint64_t i, uint64_t sources) {
  char ip[32];
  const uint64_t s = i % sources;
  std::snprintf(ip, sizeof ip, "198.%u.%u.%u", unsigned((s >> 16) & 255), unsigned((s >> 8) & 255),
                unsigned(s & 255));
  char qid[24];  // "4Q" and up to 16 hex digits
  std::snprintf(qid, sizeof qid, "4Q%08llX", static_cast<unsigned long long>(i / 8));
  const std::string head = "2026-12-05T10:00:01.123456+00:00 mx1 ";
  switch (i % 8) {
    case 0:
      return head + "postfix/smtpd[4242]: connect from unknown[" + ip + "]";
    case 1:
      return head + "postfix/smtpd[4242]: NOQUEUE: reject: RCPT from unknown[" + ip +
             "]: 554 5.7.1 <victim" + std::to_string(i % 97) +
             "@example.net>: Relay access denied; from=<spam@example.org> to=<victim" +
             std::to_string(i % 97) + "@example.net> proto=ESMTP helo=<x.example>";
    case 2:
      return head + "postfix/smtpd[4242]: warning: unknown[" + ip +
             "]: SASL LOGIN authentication failed: UGFzc3dvcmQ6";
    case 3:
      return head + "postfix/smtpd[4243]: " + qid + ": client=localhost[127.0.0.1]";
    case 4:
      return head + "postfix/qmgr[900]: " + qid +
             ": from=<app@mx1.example.org>, size=1234, nrcpt=1 (queue active)";
    case 5:
      return head + "postfix/smtp[4244]: " + qid +
             ": to=<user@example.com>, relay=mx.example.com[192.0.2.25]:25, delay=0.2, "
             "delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued)";
    case 6:
      return head + "postfix/qmgr[900]: " + qid + ": removed";
    default:
      return head + "postfix/smtpd[4242]: disconnect from unknown[" + ip +
             "] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4";
  }
}

void Append(const std::string& path, uint64_t from, uint64_t count, uint64_t sources) {
  std::string text;
  text.reserve(count * 160);
  for (uint64_t i = from; i < from + count; ++i) {
    text += Line(i, sources);
    text += '\n';
  }
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

double PeakRssMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

double ThreadCpuSeconds(pthread_t thread) {
  clockid_t id;
  if (pthread_getcpuclockid(thread, &id) != 0) return 0;
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

ra::RelayContext Context() {
  ra::RelayContext c;
  c.trusted.push_back(*rg::ParseCidr("127.0.0.1/32"));
  c.local_domains = {"mx1.example.org"};
  return c;
}

// Reads everything the follower has, through parser and tracker; returns the lines read.
uint64_t Drain(ra::FileFollower& follower, ra::MtaLogParser& parser, ra::AttemptTracker& tracker) {
  uint64_t n = 0;
  std::vector<ra::LogEntry> entries;
  std::vector<ra::MonitorEvent> events;
  while (true) {
    entries.clear();
    (void)follower.Read(entries, 4096);
    if (entries.empty()) return n;
    for (const ra::LogEntry& e : entries) {
      events.clear();
      parser.Feed(e, events);
      for (const ra::MonitorEvent& ev : events) tracker.Record(ev);
    }
    n += entries.size();
  }
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t lines = 1000000;
  int seconds = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--lines") == 0) lines = std::stoull(argv[i + 1]);
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::stoi(argv[i + 1]);
  }
  char tmpl[] = "/tmp/rg-monitor-bench.XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  ra::RealFileSystem fs;
  rg::RealClock clock;

  // 1. Throughput and memory: `lines` lines from 200,000 addresses, read as fast as it goes.
  {
    const std::string log = dir + "/mail.log";
    std::ofstream(log).close();
    ra::FileFollower follower({log, dir + "/position"}, fs);
    ra::MtaLogParser parser(ra::LogMta::kPostfix, Context(), clock);
    ra::AttemptTracker tracker(ra::AttemptTrackerOptions{}, clock);
    Drain(follower, parser, tracker);  // starts at the end of the (empty) file
    const double rss_before = PeakRssMiB();
    for (uint64_t done = 0; done < lines; done += 100000) {
      Append(log, done, std::min<uint64_t>(100000, lines - done), 200000);
    }
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = ThreadCpuSeconds(pthread_self());
    const uint64_t read = Drain(follower, parser, tracker);
    const double cpu = ThreadCpuSeconds(pthread_self()) - cpu0;
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const ra::ParserCounters& c = parser.counters();
    std::printf("monitor throughput: %.0f lines/s (%llu lines in %.2f s wall, %.2f s CPU; "
                "target >= 10000)\n",
                static_cast<double>(read) / wall, static_cast<unsigned long long>(read), wall, cpu);
    std::printf("monitor events: %llu refused, %llu AUTH failures, %llu relayed, %llu unknown "
                "lines\n",
                static_cast<unsigned long long>(c.refused),
                static_cast<unsigned long long>(c.sasl_failures),
                static_cast<unsigned long long>(c.relayed),
                static_cast<unsigned long long>(c.unknown));
    std::printf("monitor memory: peak RSS grew %.1f MiB over %llu lines from 200000 addresses; "
                "%zu sources tracked (bound %zu), %zu open messages (bound %zu)\n",
                PeakRssMiB() - rss_before, static_cast<unsigned long long>(read),
                tracker.sources(), ra::AttemptTrackerOptions{}.max_sources,
                parser.open_messages(), ra::MtaLogParser::kMaxOpenMessages);
    if (read != lines || c.refused == 0 || tracker.sources() > 1000) {
      std::printf("monitor bench: FAILED (read %llu of %llu lines)\n",
                  static_cast<unsigned long long>(read), static_cast<unsigned long long>(lines));
      std::filesystem::remove_all(dir);
      return 1;
    }
  }

  // 2. CPU at 100 lines a second: the whole monitor loop (RelayMonitor::Run) on a growing file.
  {
    const std::string log = dir + "/slow.log";
    std::ofstream(log).close();
    auto queue = std::move(ra::ComplianceQueue::Open(fs, dir + "/attempt-queue")).value();
    ra::RelayMonitorHooks hooks;
    hooks.context = [] { return std::optional<ra::RelayContext>(Context()); };
    ra::RelayMonitor monitor(
        std::make_unique<ra::FileFollower>(ra::FileFollowerOptions{log, dir + "/slow-position"},
                                           fs),
        std::make_unique<ra::MtaLogParser>(ra::LogMta::kPostfix, Context(), clock),
        std::make_unique<ra::AttemptTracker>(ra::AttemptTrackerOptions{}, clock), *queue, clock,
        std::chrono::seconds(60), hooks);
    std::atomic<bool> stop{false};
    std::thread runner([&] { monitor.Run(stop); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const double cpu0 = ThreadCpuSeconds(runner.native_handle());
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t written = 0;
    for (int tick = 0; tick < seconds * 10; ++tick) {  // 10 lines every 100 ms
      Append(log, written, 10, 5000);
      written += 10;
      std::this_thread::sleep_until(t0 + std::chrono::milliseconds(100 * (tick + 1)));
    }
    const double cpu = ThreadCpuSeconds(runner.native_handle()) - cpu0;
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    stop = true;
    monitor.Wake();
    runner.join();
    std::printf("monitor CPU at %.0f lines/s: %.2f%% of one core (%.3f s CPU in %.1f s; target "
                "< 5%%)\n",
                static_cast<double>(written) / wall, 100.0 * cpu / wall, cpu, wall);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
