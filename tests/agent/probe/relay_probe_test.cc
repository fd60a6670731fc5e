// The relay probe and its SMTP client against a scripted SMTP server on loopback (port chosen
// at run time).
#include "agent/probe/relay_probe.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/probe/smtp_client.h"

namespace relayguard::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

using Script = std::map<std::string, std::string>;

// Answers each command line from `replies`, looked up by the whole line first, then by its first
// word ("EHLO", "MAIL"); "250 ok" when neither is scripted. A reply starting with "!" is sent
// without the "!" and then the connection is closed. An empty greeting means "never greet".
// Serves connections one after another until destroyed; remembers each peer address and every
// command line received.
class ScriptedSmtpServer {
 public:
  explicit ScriptedSmtpServer(Script replies, std::string greeting = "220 fake ESMTP\r\n",
                              IpFamily family = IpFamily::kV4)
      : replies_(std::move(replies)), greeting_(std::move(greeting)), family_(family) {
    sockaddr_storage addr{};
    socklen_t len = Loopback(addr);
    listen_fd_ = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_GE(listen_fd_, 0);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(family_ == IpFamily::kV4 ? reinterpret_cast<sockaddr_in*>(&addr)->sin_port
                                           : reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    EXPECT_EQ(listen(listen_fd_, 8), 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedSmtpServer() {
    shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    close(listen_fd_);
  }

  SmtpEndpoint endpoint() const {
    return {*ParseIpAddress(family_ == IpFamily::kV4 ? "127.0.0.1" : "::1"), port_};
  }
  std::vector<std::string> peers() const {
    std::lock_guard<std::mutex> lock(mu_);
    return peers_;
  }
  std::vector<std::string> commands() const {
    std::lock_guard<std::mutex> lock(mu_);
    return commands_;
  }
  int connections() const { return static_cast<int>(peers().size()); }

 private:
  socklen_t Loopback(sockaddr_storage& addr) const {
    if (family_ == IpFamily::kV4) {
      auto* sin = reinterpret_cast<sockaddr_in*>(&addr);
      sin->sin_family = AF_INET;
      sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      return sizeof(sockaddr_in);
    }
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&addr);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = in6addr_loopback;
    return sizeof(sockaddr_in6);
  }

  void Serve() {
    for (;;) {
      sockaddr_storage peer{};
      socklen_t len = sizeof(peer);
      int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
      if (fd < 0) return;
      char ip[INET6_ADDRSTRLEN] = "";
      const void* raw =
          peer.ss_family == AF_INET
              ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&peer)->sin_addr)
              : &reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr;
      inet_ntop(peer.ss_family, raw, ip, sizeof(ip));
      {
        std::lock_guard<std::mutex> lock(mu_);
        peers_.push_back(ip);
      }
      Session(fd);
      close(fd);
    }
  }

  void Session(int fd) {
    if (greeting_.empty()) {  // never greet: wait until the client gives up
      char c;
      (void)read(fd, &c, 1);
      return;
    }
    Write(fd, greeting_);
    std::string buffer;
    char buf[1024];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
      buffer.append(buf, static_cast<size_t>(n));
      size_t end;
      while ((end = buffer.find("\r\n")) != std::string::npos) {
        std::string line = buffer.substr(0, end);
        buffer.erase(0, end + 2);
        {
          std::lock_guard<std::mutex> lock(mu_);
          commands_.push_back(line);
        }
        std::string verb = line.substr(0, line.find_first_of(" :"));
        auto it = replies_.find(line);
        if (it == replies_.end()) it = replies_.find(verb);
        std::string reply = it == replies_.end() ? "250 ok\r\n" : it->second;
        bool close_after = !reply.empty() && reply[0] == '!';
        if (close_after) reply.erase(0, 1);
        Write(fd, reply);
        if (close_after || verb == "QUIT") return;
      }
    }
  }
  static void Write(int fd, const std::string& s) { (void)write(fd, s.data(), s.size()); }

  const Script replies_;
  const std::string greeting_;
  const IpFamily family_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<std::string> peers_;     // guarded by mu_
  std::vector<std::string> commands_;  // guarded by mu_
};

ProbeOptions Options(const std::string& source = "127.0.0.9") {
  ProbeOptions o;
  o.source = *ParseIpAddress(source);
  o.helo_name = "probe.test";
  o.timeout = std::chrono::milliseconds(300);
  return o;
}

std::vector<RelayTest> Tests() { return BasicRelayTests("a@example.org", "b@example.net"); }

std::vector<std::string> Commands(const RelayTestResult& result) {
  std::vector<std::string> out;
  for (const SmtpExchange& e : result.exchanges) out.push_back(e.command);
  return out;
}

TEST(BasicRelayTestsTest, PlainThirdPartyAndNullSender) {
  std::vector<RelayTest> tests = Tests();
  ASSERT_EQ(tests.size(), 2u);
  EXPECT_EQ(tests[0].name, "plain-third-party");
  EXPECT_EQ(tests[0].mail_from, "a@example.org");
  EXPECT_EQ(tests[0].rcpt_to, "b@example.net");
  EXPECT_EQ(tests[1].name, "null-sender");
  EXPECT_EQ(tests[1].mail_from, "");
  EXPECT_EQ(tests[1].rcpt_to, "b@example.net");
}

TEST(RelayProbeTest, AcceptedRcptMeansRelayAcceptedAndEveryExchangeIsRecorded) {
  ScriptedSmtpServer server(Script{{"EHLO", "250-fake\r\n250-PIPELINING\r\n250 8BITMIME\r\n"},
                                   {"RCPT", "250 2.1.5 Ok\r\n"},
                                   {"RSET", "250 2.0.0 Ok\r\n"},
                                   {"QUIT", "221 Bye\r\n"}},
                            "220-fake ESMTP\r\n220 ready\r\n");
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options());
  EXPECT_EQ(r.verdict, ProbeVerdict::kRelayAccepted);
  EXPECT_EQ(r.source, *ParseIpAddress("127.0.0.9"));
  ASSERT_EQ(r.tests.size(), 2u);
  const RelayTestResult& first = r.tests[0];
  EXPECT_EQ(first.verdict, ProbeVerdict::kRelayAccepted);
  EXPECT_EQ(first.detail, "RCPT accepted with 250 2.1.5 Ok");
  // Greeting and the multi-line EHLO reply are recorded with the first test.
  EXPECT_THAT(Commands(first),
              ElementsAre("(connect)", "EHLO probe.test", "MAIL FROM:<a@example.org>",
                          "RCPT TO:<b@example.net>", "RSET"));
  EXPECT_EQ(first.exchanges[0].reply, "220-fake ESMTP\n220 ready");
  EXPECT_EQ(first.exchanges[0].code, 220);
  EXPECT_EQ(first.exchanges[1].reply, "250-fake\n250-PIPELINING\n250 8BITMIME");
  EXPECT_EQ(first.exchanges[1].code, 250);
  EXPECT_EQ(first.exchanges[3].reply, "250 2.1.5 Ok");
  EXPECT_EQ(first.exchanges[4].code, 250);
  // The second test reuses the connection; QUIT ends the session.
  EXPECT_EQ(r.tests[1].verdict, ProbeVerdict::kRelayAccepted);
  EXPECT_THAT(Commands(r.tests[1]),
              ElementsAre("MAIL FROM:<>", "RCPT TO:<b@example.net>", "RSET", "QUIT"));
  EXPECT_EQ(r.tests[1].exchanges.back().reply, "221 Bye");
  EXPECT_EQ(server.connections(), 1);
  EXPECT_THAT(server.commands(), Not(::testing::Contains(HasSubstr("DATA"))));
}

TEST(RelayProbeTest, RefusedRcptMeansRefusedWithTheReply) {
  ScriptedSmtpServer server(Script{{"RCPT", "554 5.7.1 <b@example.net>: Relay access denied\r\n"}});
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options());
  EXPECT_EQ(r.verdict, ProbeVerdict::kRefused);
  for (const RelayTestResult& t : r.tests) {
    EXPECT_EQ(t.verdict, ProbeVerdict::kRefused);
    EXPECT_EQ(t.detail, "RCPT refused with 554 5.7.1 <b@example.net>: Relay access denied");
  }
  EXPECT_EQ(r.tests[0].exchanges[3].code, 554);
}

TEST(RelayProbeTest, RefusedMailIsRefusedWithoutTryingRcpt) {
  ScriptedSmtpServer server(Script{{"MAIL", "553 5.7.1 sender rejected\r\n"}});
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options());
  EXPECT_EQ(r.verdict, ProbeVerdict::kRefused);
  EXPECT_EQ(r.tests[0].detail, "MAIL refused with 553 5.7.1 sender rejected");
  EXPECT_THAT(server.commands(), Not(::testing::Contains(HasSubstr("RCPT"))));
}

TEST(RelayProbeTest, TemporaryFailureIsInconclusiveNotRefused) {
  ScriptedSmtpServer server(Script{{"RCPT", "451 4.3.0 try later\r\n"}});
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options());
  EXPECT_EQ(r.verdict, ProbeVerdict::kInconclusive);
  EXPECT_EQ(r.tests[0].verdict, ProbeVerdict::kInconclusive);
  EXPECT_THAT(r.tests[0].detail, HasSubstr("451 4.3.0 try later"));
  EXPECT_THAT(r.tests[0].detail, HasSubstr("temporary"));
}

TEST(RelayProbeTest, OneRelayedTestMakesTheWholeProbeAccepted) {
  // The plain sender is refused at MAIL; the null sender gets through.
  ScriptedSmtpServer mixed(
      Script{{"MAIL FROM:<a@example.org>", "553 no\r\n"}, {"RCPT", "250 2.1.5 Ok\r\n"}});
  ProbeReport r = RunRelayProbe(mixed.endpoint(), Tests(), Options());
  EXPECT_EQ(r.tests[0].verdict, ProbeVerdict::kRefused);
  EXPECT_EQ(r.tests[1].verdict, ProbeVerdict::kRelayAccepted);
  EXPECT_EQ(r.verdict, ProbeVerdict::kRelayAccepted);
}

TEST(RelayProbeTest, RefusedAndInconclusiveMakeTheWholeProbeInconclusive) {
  ScriptedSmtpServer server(Script{{"MAIL FROM:<>", "451 4.3.0 later\r\n"},
                                   {"RCPT", "554 5.7.1 Relay access denied\r\n"}});
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options());
  EXPECT_EQ(r.tests[0].verdict, ProbeVerdict::kRefused);
  EXPECT_EQ(r.tests[1].verdict, ProbeVerdict::kInconclusive);
  EXPECT_EQ(r.verdict, ProbeVerdict::kInconclusive);
}

TEST(RelayProbeTest, FallsBackToHeloWhenEhloIsRefused) {
  ScriptedSmtpServer server(Script{{"EHLO", "502 5.5.2 command not recognized\r\n"},
                                   {"RCPT", "554 5.7.1 Relay access denied\r\n"}});
  ProbeReport r = RunRelayProbe(server.endpoint(), {Tests()[0]}, Options());
  EXPECT_EQ(r.verdict, ProbeVerdict::kRefused);
  EXPECT_THAT(Commands(r.tests[0]),
              ElementsAre("(connect)", "EHLO probe.test", "HELO probe.test",
                          "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.net>", "RSET", "QUIT"));
  EXPECT_EQ(r.tests[0].exchanges[1].code, 502);
}

TEST(RelayProbeTest, ReconnectsWhenTheServerDropsAfterAnError) {
  ScriptedSmtpServer server(Script{{"RCPT", "!550 5.7.1 no\r\n"}});
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options());
  ASSERT_EQ(r.tests.size(), 2u);
  EXPECT_EQ(r.tests[0].verdict, ProbeVerdict::kRefused);
  EXPECT_EQ(r.tests[0].detail, "RCPT refused with 550 5.7.1 no");
  EXPECT_EQ(r.tests[0].exchanges.back().command, "RSET");
  EXPECT_EQ(r.tests[0].exchanges.back().reply, "(closed)");
  EXPECT_EQ(r.tests[0].exchanges.back().code, 0);
  EXPECT_EQ(r.tests[1].verdict, ProbeVerdict::kRefused);
  EXPECT_EQ(r.tests[1].exchanges[0].command, "(connect)");  // a new session
  EXPECT_EQ(r.verdict, ProbeVerdict::kRefused);
  EXPECT_EQ(server.connections(), 2);
}

TEST(RelayProbeTest, DataModeCountsARejectionAtDataAsRefused) {
  ScriptedSmtpServer server(Script{{"DATA", "554 5.7.1 relaying denied at DATA\r\n"}});
  ProbeOptions options = Options();
  options.data_mode = true;
  ProbeReport r = RunRelayProbe(server.endpoint(), {Tests()[0]}, options);
  EXPECT_EQ(r.verdict, ProbeVerdict::kRefused);
  EXPECT_EQ(r.tests[0].detail, "DATA refused with 554 5.7.1 relaying denied at DATA");
  // Without DATA mode the same server looks like an open relay (RCPT was accepted).
  EXPECT_EQ(RunRelayProbe(server.endpoint(), {Tests()[0]}, Options()).verdict,
            ProbeVerdict::kRelayAccepted);
}

TEST(RelayProbeTest, DataModeDropsTheConnectionAt354WithoutABody) {
  ScriptedSmtpServer server(Script{{"DATA", "354 End data with <CR><LF>.<CR><LF>\r\n"}});
  ProbeOptions options = Options();
  options.data_mode = true;
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), options);
  EXPECT_EQ(r.verdict, ProbeVerdict::kRelayAccepted);
  EXPECT_THAT(r.tests[0].detail, HasSubstr("dropped before any body"));
  EXPECT_EQ(r.tests[0].exchanges.back().command, "DATA");
  EXPECT_EQ(r.tests[1].exchanges[0].command, "(connect)") << "the next test starts afresh";
  // The server saw DATA twice and nothing after either: no body, no ".".
  EXPECT_THAT(server.commands(), Not(::testing::Contains(".")));
  EXPECT_EQ(server.connections(), 2);
}

TEST(RelayProbeTest, AuthenticationRequiredIsRefusedAndSaysSo) {
  ScriptedSmtpServer server(Script{{"RCPT", "530 5.7.0 Authentication required\r\n"}});
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options());
  EXPECT_EQ(r.verdict, ProbeVerdict::kRefused);
  EXPECT_THAT(r.tests[0].detail, HasSubstr("530 5.7.0 Authentication required"));
  EXPECT_THAT(r.tests[0].detail, HasSubstr("requires SMTP AUTH"));
}

// Postfix answers 421 once a client made too many errors and closes soon after: the next test
// goes on a new connection instead of counting as inconclusive.
TEST(RelayProbeTest, ReconnectsAfterA421TooManyErrors) {
  ScriptedSmtpServer server(Script{{"RCPT TO:<b@example.net>", "554 5.7.1 denied\r\n"},
                                   {"MAIL FROM:<>", "421 4.7.0 Error: too many errors\r\n"}});
  // Test 1 is refused; test 2's MAIL gets 421 on the old connection, then (on a new one) 421
  // again because the scripted server always says so: inconclusive, on 2 connections.
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options());
  ASSERT_EQ(r.tests.size(), 2u);
  EXPECT_EQ(r.tests[0].verdict, ProbeVerdict::kRefused);
  EXPECT_EQ(r.tests[1].verdict, ProbeVerdict::kInconclusive);
  EXPECT_THAT(Commands(r.tests[1]), ::testing::Contains("(connect)"));
  EXPECT_EQ(server.connections(), 2);
}

TEST(RelayProbeTest, ConnectionClosedBeforeRcptIsInconclusive) {
  ScriptedSmtpServer server(Script{{"MAIL", "!421 4.3.2 shutting down\r\n"}});
  ProbeReport r = RunRelayProbe(server.endpoint(), {Tests()[0]}, Options());
  EXPECT_EQ(r.verdict, ProbeVerdict::kInconclusive);
  EXPECT_THAT(r.tests[0].detail, HasSubstr("421 4.3.2"));
}

TEST(RelayProbeTest, SilentServerTimesOutAsInconclusive) {
  ScriptedSmtpServer server(Script{}, /*greeting=*/"");
  auto start = std::chrono::steady_clock::now();
  ProbeReport r = RunRelayProbe(server.endpoint(), {Tests()[0]}, Options());
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.verdict, ProbeVerdict::kInconclusive);
  EXPECT_THAT(r.tests[0].detail, HasSubstr("no greeting"));
  EXPECT_THAT(r.tests[0].detail, HasSubstr("300 ms"));
  ASSERT_EQ(r.tests[0].exchanges.size(), 1u);
  EXPECT_EQ(r.tests[0].exchanges[0].command, "(connect)");
  EXPECT_EQ(r.tests[0].exchanges[0].reply, "(timeout)");
  EXPECT_EQ(r.tests[0].exchanges[0].code, 0);
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_LT(took, std::chrono::seconds(3));
  absl::Status greeting = CheckSmtpGreeting(server.endpoint(), Options());
  EXPECT_TRUE(absl::IsUnavailable(greeting)) << greeting;
  EXPECT_THAT(greeting.message(), HasSubstr("no SMTP greeting"));
}

TEST(RelayProbeTest, RefusingGreetingIsInconclusiveAndFailsTheGreetingCheck) {
  ScriptedSmtpServer server(Script{}, "554 5.7.1 go away\r\n");
  ProbeReport r = RunRelayProbe(server.endpoint(), {Tests()[0]}, Options());
  EXPECT_EQ(r.verdict, ProbeVerdict::kInconclusive);
  EXPECT_THAT(r.tests[0].detail, HasSubstr("554 5.7.1 go away"));
  EXPECT_THAT(r.tests[0].detail, HasSubstr("instead of 220"));
  EXPECT_EQ(r.tests[0].exchanges[0].code, 554);
  absl::Status greeting = CheckSmtpGreeting(server.endpoint(), Options());
  EXPECT_TRUE(absl::IsUnavailable(greeting)) << greeting;
  EXPECT_THAT(greeting.message(), HasSubstr("554 5.7.1 go away"));
}

TEST(RelayProbeTest, BindsTheRequestedSourceAddress) {
  ScriptedSmtpServer server(Script{});
  EXPECT_TRUE(CheckSmtpGreeting(server.endpoint(), Options("127.0.0.9")).ok());
  RunRelayProbe(server.endpoint(), Tests(), Options("127.0.0.23"));
  EXPECT_THAT(server.peers(), ElementsAre("127.0.0.9", "127.0.0.23"));
}

TEST(RelayProbeTest, WorksOverIpv6) {
  ScriptedSmtpServer server(Script{{"RCPT", "554 5.7.1 Relay access denied\r\n"}},
                            "220 fake ESMTP\r\n", IpFamily::kV6);
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options("::1"));
  EXPECT_EQ(r.verdict, ProbeVerdict::kRefused);
  EXPECT_THAT(server.peers(), ElementsAre("::1"));
  EXPECT_EQ(r.endpoint.ToString(), absl::StrCat("[::1]:", server.endpoint().port));
}

TEST(RelayProbeTest, SourceOfTheOtherFamilyIsInconclusive) {
  ScriptedSmtpServer server(Script{});
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options("::1"));
  EXPECT_EQ(r.verdict, ProbeVerdict::kInconclusive);
  EXPECT_THAT(r.tests[0].detail, HasSubstr("different address families"));
  EXPECT_EQ(server.connections(), 0);
}

TEST(RelayProbeTest, NobodyListeningIsInconclusiveAndGreetingCheckFails) {
  uint16_t port;
  {
    ScriptedSmtpServer server(Script{});
    port = server.endpoint().port;
  }
  SmtpEndpoint closed{*ParseIpAddress("127.0.0.1"), port};
  ProbeReport r = RunRelayProbe(closed, Tests(), Options());
  EXPECT_EQ(r.verdict, ProbeVerdict::kInconclusive);
  EXPECT_THAT(r.tests[0].detail, HasSubstr("Connection refused"));
  EXPECT_EQ(r.tests[0].exchanges[0].command, "(connect)");
  absl::Status s = CheckSmtpGreeting(closed, Options());
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("cannot connect"));
  EXPECT_THAT(s.message(), HasSubstr("Connection refused"));
}

TEST(RelayProbeTest, NoTestsIsInconclusive) {
  ScriptedSmtpServer server(Script{});
  EXPECT_EQ(RunRelayProbe(server.endpoint(), {}, Options()).verdict, ProbeVerdict::kInconclusive);
}

TEST(SmtpClientTest, RefusesCommandsWithLineBreaks) {
  ScriptedSmtpServer server(Script{});
  SmtpClient client;
  ASSERT_TRUE(
      client
          .Connect(server.endpoint(), *ParseIpAddress("127.0.0.1"), std::chrono::milliseconds(300))
          .ok());
  ASSERT_TRUE(client.ReadReply(std::chrono::milliseconds(300)).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(client.SendCommand("RCPT TO:<a@b>\r\nDATA")));
  EXPECT_TRUE(absl::IsInvalidArgument(client.SendCommand("RCPT TO:<a@b>\nDATA")));
  EXPECT_TRUE(absl::IsInvalidArgument(client.SendCommand("RCPT TO:<a@b>\rDATA")));
  ASSERT_TRUE(client.SendCommand("QUIT").ok());
  ASSERT_TRUE(client.ReadReply(std::chrono::milliseconds(300)).ok());
  EXPECT_THAT(server.commands(), ElementsAre("QUIT"));
}

TEST(SmtpClientTest, ReadsMultiLineRepliesAndReportsClosing) {
  ScriptedSmtpServer server(
      Script{{"EHLO", "250-a\r\n250-b\r\n250 c\r\n"}, {"NOOP", "!421 bye\r\n"}});
  SmtpClient client;
  ASSERT_TRUE(
      client
          .Connect(server.endpoint(), *ParseIpAddress("127.0.0.1"), std::chrono::milliseconds(300))
          .ok());
  ASSERT_TRUE(client.ReadReply(std::chrono::milliseconds(300)).ok());
  ASSERT_TRUE(client.SendCommand("EHLO x").ok());
  absl::StatusOr<SmtpReply> ehlo = client.ReadReply(std::chrono::milliseconds(300));
  ASSERT_TRUE(ehlo.ok()) << ehlo.status();
  EXPECT_EQ(ehlo->code, 250);
  EXPECT_EQ(ehlo->text, "250-a\n250-b\n250 c");
  ASSERT_TRUE(client.SendCommand("NOOP").ok());
  EXPECT_EQ(client.ReadReply(std::chrono::milliseconds(300))->code, 421);
  EXPECT_TRUE(absl::IsUnavailable(client.ReadReply(std::chrono::milliseconds(300)).status()));
}

TEST(SmtpClientTest, ReadReplyTimesOut) {
  ScriptedSmtpServer server(Script{}, /*greeting=*/"");
  SmtpClient client;
  ASSERT_TRUE(
      client
          .Connect(server.endpoint(), *ParseIpAddress("127.0.0.1"), std::chrono::milliseconds(300))
          .ok());
  EXPECT_TRUE(absl::IsDeadlineExceeded(client.ReadReply(std::chrono::milliseconds(100)).status()));
}

TEST(SmtpClientTest, MalformedReplyIsDataLoss) {
  ScriptedSmtpServer server(Script{}, "hello there\r\n");
  SmtpClient client;
  ASSERT_TRUE(
      client
          .Connect(server.endpoint(), *ParseIpAddress("127.0.0.1"), std::chrono::milliseconds(300))
          .ok());
  EXPECT_TRUE(absl::IsDataLoss(client.ReadReply(std::chrono::milliseconds(300)).status()));
}

TEST(SmtpClientTest, SendWithoutConnectionIsUnavailable) {
  SmtpClient client;
  EXPECT_FALSE(client.connected());
  EXPECT_TRUE(absl::IsUnavailable(client.SendCommand("NOOP")));
}

TEST(SmtpEndpointTest, ParsesAndPrints) {
  struct Case {
    const char* text;
    const char* printed;
  };
  for (const Case& c : {Case{"127.0.0.1:2525", "127.0.0.1:2525"}, Case{"[::1]:25", "[::1]:25"},
                        Case{"192.0.2.7:65535", "192.0.2.7:65535"},
                        Case{"[2001:DB8::1]:587", "[2001:db8::1]:587"}}) {
    absl::StatusOr<SmtpEndpoint> e = ParseSmtpEndpoint(c.text);
    ASSERT_TRUE(e.ok()) << c.text << ": " << e.status();
    EXPECT_EQ(e->ToString(), c.printed);
  }
  EXPECT_EQ(ParseSmtpEndpoint("[::1]:25")->host.family, IpFamily::kV6);
  EXPECT_EQ(ParseSmtpEndpoint("127.0.0.1:2525")->port, 2525);
}

TEST(SmtpEndpointTest, RefusesWhatIsNotIpAndPort) {
  for (const char* bad :
       {"", "127.0.0.1", "localhost:25", "127.0.0.1:0", "127.0.0.1:65536", "::1:25", "[::1]",
        "[::1]:", "::1", "127.0.0.1:25x", "127.0.0.1: 25", "127.0.0.1:+25", "127.0.0.1:-1",
        "[127.0.0.1:25", "[::1]25", " 127.0.0.1:25", "127.0.0.1:25:25", "[fe80::1%lo]:25"}) {
    absl::StatusOr<SmtpEndpoint> e = ParseSmtpEndpoint(bad);
    EXPECT_FALSE(e.ok()) << bad;
    EXPECT_TRUE(absl::IsInvalidArgument(e.status())) << bad;
  }
  EXPECT_THAT(ParseSmtpEndpoint("127.0.0.1:0").status().message(), HasSubstr("1..65535"));
}

TEST(ProbeVerdictTest, Names) {
  EXPECT_STREQ(ProbeVerdictName(ProbeVerdict::kRelayAccepted), "relay-accepted");
  EXPECT_STREQ(ProbeVerdictName(ProbeVerdict::kRefused), "refused");
  EXPECT_STREQ(ProbeVerdictName(ProbeVerdict::kInconclusive), "inconclusive");
}

}  // namespace
}  // namespace relayguard::agent
