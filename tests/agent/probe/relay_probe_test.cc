// The relay probe against a scripted SMTP server on 127.0.0.1 (port chosen at run time).
#include "agent/probe/relay_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/probe/smtp_client.h"

namespace relayguard::agent {
namespace {

using ::testing::HasSubstr;

// Answers each command by its first word from `replies`; closes after a reply that starts with
// "!" (the "!" is not sent). Serves connections until destroyed.
class ScriptedSmtpServer {
 public:
  explicit ScriptedSmtpServer(std::map<std::string, std::string> replies,
                              std::string greeting = "220 fake ESMTP\r\n")
      : replies_(std::move(replies)), greeting_(std::move(greeting)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(listen_fd_, 8);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedSmtpServer() {
    stop_ = true;
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    thread_.join();
  }
  SmtpEndpoint endpoint() const { return {*ParseIpAddress("127.0.0.1"), port_}; }
  std::string peer() const { return peer_; }
  int connections() const { return connections_; }

 private:
  void Serve() {
    while (!stop_) {
      sockaddr_in peer{};
      socklen_t len = sizeof(peer);
      int fd = accept(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len);
      if (fd < 0) return;
      ++connections_;
      char ip[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
      peer_ = ip;
      Session(fd);
      close(fd);
    }
  }
  void Session(int fd) {
    if (greeting_.empty()) {  // never greet: let the client time out
      char c;
      (void)read(fd, &c, 1);
      return;
    }
    Write(fd, greeting_);
    std::string buffer;
    char buf[1024];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
      buffer.append(buf, n);
      size_t nl;
      while ((nl = buffer.find("\r\n")) != std::string::npos) {
        std::string line = buffer.substr(0, nl);
        buffer.erase(0, nl + 2);
        std::string verb = line.substr(0, line.find_first_of(" :"));
        auto it = replies_.find(verb);
        std::string reply = it == replies_.end() ? "250 ok\r\n" : it->second;
        bool close_after = !reply.empty() && reply[0] == '!';
        if (close_after) reply.erase(0, 1);
        Write(fd, reply);
        if (close_after || verb == "QUIT") return;
      }
    }
  }
  static void Write(int fd, const std::string& s) { (void)write(fd, s.data(), s.size()); }

  std::map<std::string, std::string> replies_;
  std::string greeting_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::string peer_;
};

using Script = std::map<std::string, std::string>;

ProbeOptions Options(const std::string& source = "127.0.0.9") {
  ProbeOptions o;
  o.source = *ParseIpAddress(source);
  o.timeout = std::chrono::milliseconds(300);
  return o;
}

std::vector<RelayTest> Tests() { return BasicRelayTests("a@example.org", "b@example.net"); }

TEST(RelayProbeTest, AcceptedRcptMeansRelayAccepted) {
  ScriptedSmtpServer server(Script{{"EHLO", "250-fake\r\n250-PIPELINING\r\n250 8BITMIME\r\n"},
                             {"RCPT", "250 2.1.5 Ok\r\n"}});
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options());
  EXPECT_EQ(r.verdict, ProbeVerdict::kRelayAccepted);
  ASSERT_EQ(r.tests.size(), 2u);
  EXPECT_EQ(r.tests[0].verdict, ProbeVerdict::kRelayAccepted);
  EXPECT_EQ(r.tests[1].test.name, "null-sender");
  EXPECT_EQ(r.tests[1].exchanges[0].command, "MAIL FROM:<>");
  // Greeting and the multi-line EHLO reply are recorded with the first test.
  EXPECT_EQ(r.tests[0].exchanges[0].command, "(connect)");
  EXPECT_EQ(r.tests[0].exchanges[1].reply, "250-fake\n250-PIPELINING\n250 8BITMIME");
  EXPECT_EQ(r.tests[0].exchanges[1].code, 250);
  EXPECT_EQ(server.connections(), 1);  // one connection, RSET between tests
}

TEST(RelayProbeTest, RefusedRcptMeansRefusedWithTheReply) {
  ScriptedSmtpServer server(Script{{"RCPT", "554 5.7.1 <b@example.net>: Relay access denied\r\n"}});
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options());
  EXPECT_EQ(r.verdict, ProbeVerdict::kRefused);
  EXPECT_THAT(r.tests[0].detail, HasSubstr("554 5.7.1"));
  EXPECT_THAT(r.tests[0].detail, HasSubstr("Relay access denied"));
}

TEST(RelayProbeTest, TemporaryFailureIsInconclusiveNotRefused) {
  ScriptedSmtpServer server(Script{{"RCPT", "451 4.3.0 try later\r\n"}});
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options());
  EXPECT_EQ(r.verdict, ProbeVerdict::kInconclusive);
  EXPECT_THAT(r.tests[0].detail, HasSubstr("temporary"));
}

TEST(RelayProbeTest, ReconnectsWhenTheServerDropsAfterAnError) {
  ScriptedSmtpServer server(Script{{"RCPT", "!550 5.7.1 no\r\n"}});
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options());
  EXPECT_EQ(r.tests[0].verdict, ProbeVerdict::kRefused);
  EXPECT_EQ(r.tests[1].verdict, ProbeVerdict::kRefused);
  EXPECT_EQ(r.verdict, ProbeVerdict::kRefused);
  EXPECT_EQ(server.connections(), 2);
}

TEST(RelayProbeTest, SilentServerTimesOutAsInconclusive) {
  ScriptedSmtpServer server(Script{}, /*greeting=*/"");
  auto start = std::chrono::steady_clock::now();
  ProbeReport r = RunRelayProbe(server.endpoint(), {Tests()[0]}, Options());
  EXPECT_EQ(r.verdict, ProbeVerdict::kInconclusive);
  EXPECT_THAT(r.tests[0].detail, HasSubstr("no greeting"));
  EXPECT_EQ(r.tests[0].exchanges.back().reply, "(timeout)");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(RelayProbeTest, RefusingGreetingIsRefused) {
  ScriptedSmtpServer server(Script{}, "554 5.7.1 go away\r\n");
  ProbeReport r = RunRelayProbe(server.endpoint(), Tests(), Options());
  EXPECT_EQ(r.verdict, ProbeVerdict::kRefused);
  EXPECT_THAT(r.tests[0].detail, HasSubstr("554 5.7.1 go away"));
  EXPECT_FALSE(CheckSmtpGreeting(server.endpoint(), Options()).ok());
}

TEST(RelayProbeTest, BindsTheRequestedSourceAddress) {
  ScriptedSmtpServer server(Script{});
  EXPECT_TRUE(CheckSmtpGreeting(server.endpoint(), Options("127.0.0.9")).ok());
  EXPECT_EQ(server.peer(), "127.0.0.9");
  RunRelayProbe(server.endpoint(), Tests(), Options("127.0.0.23"));
  EXPECT_EQ(server.peer(), "127.0.0.23");
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
  absl::Status s = CheckSmtpGreeting(closed, Options());
  EXPECT_THAT(s.message(), HasSubstr("cannot connect"));
}

TEST(SmtpClientTest, RefusesCommandsWithLineBreaks) {
  SmtpClient client;
  EXPECT_TRUE(absl::IsInvalidArgument(client.Send("RCPT TO:<a@b>\r\nDATA")));
}

TEST(SmtpEndpointTest, ParsesAndPrints) {
  EXPECT_EQ(ParseSmtpEndpoint("127.0.0.1:2525")->ToString(), "127.0.0.1:2525");
  EXPECT_EQ(ParseSmtpEndpoint("[::1]:25")->ToString(), "[::1]:25");
  for (const char* bad : {"127.0.0.1", "localhost:25", "127.0.0.1:0", "127.0.0.1:65536",
                          "::1:25", "[::1]", "127.0.0.1:25x", "127.0.0.1: 25"}) {
    EXPECT_FALSE(ParseSmtpEndpoint(bad).ok()) << bad;
  }
  EXPECT_STREQ(ProbeVerdictName(ProbeVerdict::kRelayAccepted), "relay-accepted");
}

}  // namespace
}  // namespace relayguard::agent
