// Hostile SMTP servers (tests/support/hostile_smtp_server.h) against the relay probe in-process
// and against the real `relayguardctl scan`: every probe ends within its timeout (plus a small
// slack), memory stays bounded, and the verdict is inconclusive with a reason naming what the
// server did (or, where the server did answer, its answer, made printable).
#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/probe/relay_probe.h"
#include "agent/probe/smtp_client.h"
#include "tests/support/hostile_smtp_server.h"
#include "tests/support/wait.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::HostileSmtpServer;
using ::relayguard::testing::Hostility;
using ::relayguard::testing::HostilityName;
using ::testing::HasSubstr;

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kTimeout{1000};
// What may come on top of the timeout: connecting, the replies that did come, scheduling
// (longer in the sanitizer run: RG_TEST_TIME_SCALE).
const std::chrono::milliseconds kSlack =
    ::relayguard::testing::Scaled(std::chrono::milliseconds(1000));
// A probe holds a few replies of at most kMaxReplyBytes; anything near this is a leak.
constexpr long kMaxGrowthKiB = 32 * 1024;

struct Case {
  Hostility hostility;
  ProbeVerdict verdict;  // of the probe and of the scan
  std::string reason;    // in some test's detail
};

// Names the case in test output (gtest would print the struct's bytes, addresses included, and
// ctest would list a different test name at every build).
void PrintTo(const Case& c, std::ostream* os) { *os << HostilityName(c.hostility); }

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {Hostility::kMegabyteReply, ProbeVerdict::kInconclusive, "SMTP reply longer than 65536 bytes"},
      {Hostility::kEndlessMultiline, ProbeVerdict::kInconclusive,
       "EHLO/HELO: SMTP reply of more than 200 lines"},
      {Hostility::kOneBytePerSecond, ProbeVerdict::kInconclusive,
       "no complete reply within 1000 ms"},
      // STARTTLS fails: the tests over TLS cannot run, and no client gets a TLS session to relay
      // over, so the plaintext refusals decide (ProbeReport::verdict).
      {Hostility::kStalledTlsHandshake, ProbeVerdict::kRefused,
       "TLS handshake did not complete within 1000 ms; relaying over TLS was not tested"},
      {Hostility::kInvalidBytes, ProbeVerdict::kRefused, "RCPT refused with 554 5.7.1 \\xff\\xfe"},
      {Hostility::kNulInCode, ProbeVerdict::kInconclusive,
       "malformed SMTP reply line \"2\\x00\\x00 2.1.5 ok\""},
      {Hostility::kBannerWithoutEnd, ProbeVerdict::kInconclusive,
       "SMTP reply line longer than 4096 bytes without an end"},
      {Hostility::kImmediateClose, ProbeVerdict::kInconclusive,
       "the server closed the connection"},
      {Hostility::kCodeOutOfRange, ProbeVerdict::kInconclusive,
       "MAIL: malformed SMTP reply line \"999 9.9.9 out of range\" (not a reply code 100..599)"},
  };
  return cases;
}

// This process's peak resident memory (KiB) since ResetPeakMemory.
long PeakMemoryKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}
long ResidentKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}
void ResetPeakMemory() { std::ofstream("/proc/self/clear_refs") << "5"; }

// Every byte printable ASCII, '\n', or part of valid UTF-8 (what JSON and protobuf need).
bool Printable(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n' || (c >= 0x20 && c < 0x7F)) continue;
    if (c < 0x80) return false;
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n - 1;
  }
  return true;
}

ProbeOptions Options() {
  ProbeOptions o;
  o.source = *ParseIpAddress("127.0.0.1");
  o.timeout = kTimeout;
  return o;
}

std::string AllDetails(const ProbeReport& r) {
  std::string out;
  for (const RelayTestResult& t : r.tests) out += t.detail + "\n";
  return out;
}

class HostileSmtpTest : public ::testing::TestWithParam<Case> {};

TEST_P(HostileSmtpTest, TheProbeEndsInTimeWithBoundedMemoryAndSaysWhy) {
  const Case& c = GetParam();
  HostileSmtpServer server(c.hostility);
  const long before = ResidentKiB();
  ResetPeakMemory();
  const auto start = Clock::now();
  ProbeReport r = RunRelayProbe(server.endpoint(),
                                BasicRelayTests("probe@example.org", "relay-test@example.net"),
                                Options());
  const auto took = Clock::now() - start;
  const long growth = PeakMemoryKiB() - before;
  EXPECT_LE(took, kTimeout + kSlack)
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
  EXPECT_LT(growth, kMaxGrowthKiB) << "KiB";
  EXPECT_EQ(r.verdict, c.verdict) << AllDetails(r);
  EXPECT_THAT(AllDetails(r), HasSubstr(c.reason));
  for (const RelayTestResult& t : r.tests) {
    EXPECT_TRUE(Printable(t.detail)) << t.detail;
    for (const SmtpExchange& e : t.exchanges) EXPECT_TRUE(Printable(e.reply)) << e.reply;
  }
}

// The real relayguardctl scan (every trick, several connections at once): ends in time, its
// memory stays bounded, its JSON is valid (it would not parse with bytes that are not UTF-8).
TEST_P(HostileSmtpTest, TheScanEndsInTimeWithBoundedMemoryAndSaysWhy) {
  const Case& c = GetParam();
  HostileSmtpServer server(c.hostility);
  char out_path[] = "/tmp/rg-hostile-scan-XXXXXX";
  const int out_fd = mkstemp(out_path);
  ASSERT_GE(out_fd, 0);
  const std::string ctl = std::string(RG_BINARY_DIR) + "/controller/relayguardctl";
  std::vector<std::string> argv = {ctl,   "scan", "--json", "--from", "127.0.0.1", "--timeout-s",
                                   "1", "--concurrency", "64", server.target()};
  const auto start = Clock::now();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out_fd, 1);
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  ASSERT_EQ(wait4(pid, &status, 0, &usage), pid);
  const auto took = Clock::now() - start;
  close(out_fd);
  std::ifstream in(out_path);
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  unlink(out_path);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;  // 0: nothing relays
  EXPECT_LE(took, kTimeout + kSlack + std::chrono::milliseconds(500))
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  EXPECT_LT(usage.ru_maxrss, 2 * kMaxGrowthKiB) << "KiB";
  nlohmann::json json;
  ASSERT_NO_THROW(json = nlohmann::json::parse(out)) << out.substr(0, 2000);
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["verdict"], ProbeVerdictName(c.verdict));
  std::string details;
  for (const auto& trick : json[0]["tricks"]) details += trick["detail"].get<std::string>() + "\n";
  EXPECT_THAT(details, HasSubstr(c.reason));
}

INSTANTIATE_TEST_SUITE_P(Hostile, HostileSmtpTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string name = HostilityName(info.param.hostility);
                           for (char& ch : name) {
                             if (ch == '-') ch = '_';
                           }
                           return name;
                         });

TEST(PrintableReplyLineTest, EscapesControlBytesAndWhatIsNotUtf8) {
  struct Row {
    std::string in, out;
  };
  for (const Row& row : std::vector<Row>{
           {"250 ok", "250 ok"},
           {std::string("250 a\0b", 7), "250 a\\x00b"},
           {"250 \x1b[2Jx", "250 \\x1b[2Jx"},
           {"250 caf\xc3\xa9", "250 caf\xc3\xa9"},
           {"250 \xe2\x82\xac \xf0\x9f\x93\xa7", "250 \xe2\x82\xac \xf0\x9f\x93\xa7"},
           {"250 \xff\xfe", "250 \\xff\\xfe"},
           {"250 \xc3\x28", "250 \\xc3("},
           {"250 \xc0\xaf", "250 \\xc0\\xaf"},             // overlong '/'
           {"250 \xed\xa0\x80", "250 \\xed\\xa0\\x80"},    // a UTF-16 surrogate
           {"250 \xe2\x82", "250 \\xe2\\x82"},             // cut short
           {"250 a\tb\x7f", "250 a b\\x7f"}}) {
    EXPECT_EQ(PrintableReplyLine(row.in), row.out);
  }
}

}  // namespace
}  // namespace relayguard::agent
