// The pure parts of the SASL checks and the AUTH probe: Dovecot's auth-client lines, saslauthd's
// counted strings, the password file, the EHLO AUTH line and the recorded AUTH dialogs.
#include <crypt.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "agent/auth/auth_dialog.h"
#include "agent/auth/dovecot_auth_protocol.h"
#include "agent/auth/ehlo_auth.h"
#include "agent/auth/password_file.h"
#include "agent/auth/saslauthd_protocol.h"

namespace relayguard::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

TEST(DovecotProtocolTest, ClientHandshakeIsVersionThenCpid) {
  EXPECT_EQ(DovecotClientHandshake(4242), "VERSION\t1\t2\nCPID\t4242\n");
}

TEST(DovecotProtocolTest, ServerHandshakeListsMechanismsUntilDone) {
  DovecotHandshake h;
  for (const char* line : {"VERSION\t1\t2", "MECH\tPLAIN\tplaintext", "MECH\tLOGIN\tplaintext",
                           "SPID\t123", "CUID\t1", "COOKIE\tabc", "X-FUTURE\tthing"}) {
    ASSERT_TRUE(AddDovecotHandshakeLine(line, h).ok()) << line;
    EXPECT_FALSE(h.done);
  }
  ASSERT_TRUE(AddDovecotHandshakeLine("DONE", h).ok());
  EXPECT_TRUE(h.done);
  EXPECT_EQ(h.major, 1);
  EXPECT_EQ(h.minor, 2);
  EXPECT_THAT(h.mechanisms, ElementsAre("PLAIN", "LOGIN"));
}

TEST(DovecotProtocolTest, RefusesAnotherMajorVersionAndMalformedLines) {
  struct Case {
    const char* line;
    const char* message;
  } cases[] = {{"VERSION\t2\t0", "not 1.x"},
               {"VERSION\tx", "malformed VERSION"},
               {"MECH", "malformed MECH"},
               {"MECH\t", "malformed MECH"}};
  for (const Case& c : cases) {
    DovecotHandshake h;
    absl::Status s = AddDovecotHandshakeLine(c.line, h);
    EXPECT_FALSE(s.ok()) << c.line;
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.message)) << c.line;
  }
}

TEST(DovecotProtocolTest, AuthRequestCarriesServiceRipAndPlainResponse) {
  const std::string line = DovecotAuthPlainRequest(7, "u@x", "pw", "127.0.0.1");
  std::string plain;
  plain.push_back('\0');
  plain += "u@x";
  plain.push_back('\0');
  plain += "pw";
  EXPECT_EQ(line, "AUTH\t7\tPLAIN\tservice=smtp\tnologin\trip=127.0.0.1\tresp=" +
                      absl::Base64Escape(plain) + "\n");
  EXPECT_THAT(DovecotAuthPlainRequest(1, "u", "p", ""), Not(HasSubstr("rip=")));
}

TEST(DovecotProtocolTest, ParsesAuthReplies) {
  struct Case {
    const char* line;
    DovecotAuthReply::Kind kind;
    unsigned id;
    const char* user;
    const char* reason;
  } cases[] = {
      {"OK\t1\tuser=smoke@lab.test", DovecotAuthReply::Kind::kOk, 1, "smoke@lab.test", ""},
      {"FAIL\t3\tuser=x\treason=Password mismatch", DovecotAuthReply::Kind::kFail, 3, "x",
       "Password mismatch"},
      {"FAIL\t1", DovecotAuthReply::Kind::kFail, 1, "", ""},
      {"CONT\t1\t", DovecotAuthReply::Kind::kContinue, 1, "", ""},
      {"OK\tnotanumber", DovecotAuthReply::Kind::kOther, 0, "", "OK\tnotanumber"},
      {"WHAT", DovecotAuthReply::Kind::kOther, 0, "", "WHAT"},
  };
  for (const Case& c : cases) {
    DovecotAuthReply r = ParseDovecotAuthReply(c.line);
    EXPECT_EQ(r.kind, c.kind) << c.line;
    EXPECT_EQ(r.id, c.id) << c.line;
    EXPECT_EQ(r.user, c.user) << c.line;
    EXPECT_EQ(r.reason, c.reason) << c.line;
  }
}

TEST(SaslauthdProtocolTest, FourCountedStrings) {
  absl::StatusOr<std::string> req = SaslauthdRequest("smoke", "pw", "smtp", "lab.test");
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(*req, std::string("\0\5smoke\0\2pw\0\4smtp\0\10lab.test", 27));
  EXPECT_FALSE(SaslauthdRequest(std::string(70000, 'a'), "", "", "").ok());
}

TEST(SaslauthdProtocolTest, SplitsUserAtTheLastAt) {
  EXPECT_EQ(SplitSaslauthdUser("smoke@lab.test").login, "smoke");
  EXPECT_EQ(SplitSaslauthdUser("smoke@lab.test").realm, "lab.test");
  EXPECT_EQ(SplitSaslauthdUser("a@b@c").login, "a@b");
  EXPECT_EQ(SplitSaslauthdUser("smoke").login, "smoke");
  EXPECT_EQ(SplitSaslauthdUser("smoke").realm, "");
}

TEST(SaslauthdProtocolTest, AnswerAndLength) {
  EXPECT_EQ(SaslauthdLength(std::string("\1\2", 2)), 258u);
  EXPECT_TRUE(SaslauthdAccepted("OK \"Success.\""));
  EXPECT_TRUE(SaslauthdAccepted("OK"));
  EXPECT_FALSE(SaslauthdAccepted("NO \"authentication failed\""));
  EXPECT_FALSE(SaslauthdAccepted(""));
}

TEST(PasswordFileTest, FindsTheUsersHash) {
  const std::string text =
      "# users\n\nother:$6$aaa$bbb\nsmoke@lab.test:$6$salt$hash:extra\r\n"
      "spaced:   $1$x$y\ndovecot:{SHA512-CRYPT}$6$s$h\n";
  EXPECT_EQ(FindPasswordHash(text, "smoke@lab.test"), "$6$salt$hash");
  EXPECT_EQ(FindPasswordHash(text, "other"), "$6$aaa$bbb");
  EXPECT_EQ(FindPasswordHash(text, "spaced"), "$1$x$y");
  EXPECT_EQ(FindPasswordHash(text, "dovecot"), "$6$s$h");
  EXPECT_EQ(FindPasswordHash(text, "smoke"), std::nullopt);
  EXPECT_EQ(FindPasswordHash(text, "# users"), std::nullopt);
}

TEST(PasswordFileTest, CryptMatchesOnlyTheRightPassword) {
  crypt_data data{};
  const std::string hash = crypt_r("right-pw", "$6$rgsalt$", &data);
  EXPECT_TRUE(CryptMatches("right-pw", hash));
  EXPECT_FALSE(CryptMatches("wrong-pw", hash));
  EXPECT_FALSE(CryptMatches("right-pw", ""));
  EXPECT_FALSE(CryptMatches("right-pw", "*"));
  EXPECT_FALSE(CryptMatches("right-pw", "!" + hash));
}

TEST(EhloAuthTest, ParsesTheAuthLine) {
  struct Case {
    const char* ehlo;
    std::vector<std::string> mechanisms;
  } cases[] = {
      {"250-mx\n250-PIPELINING\n250-AUTH PLAIN LOGIN\n250 8BITMIME", {"PLAIN", "LOGIN"}},
      {"250-mx\n250-AUTH=PLAIN LOGIN\n250-AUTH PLAIN LOGIN\n250 OK", {"PLAIN", "LOGIN"}},
      {"250-mx\n250-auth cram-md5 plain\n250 OK", {"CRAM-MD5", "PLAIN"}},
      {"250-mx\n250-AUTHX PLAIN\n250 OK", {}},
      {"250-AUTH PLAIN\n250 OK", {}},  // the first line is the server's name
      {"250 mx", {}},
  };
  for (const Case& c : cases) EXPECT_EQ(AuthMechanismsOf(c.ehlo), c.mechanisms) << c.ehlo;
  EXPECT_TRUE(EhloHasKeyword("250-mx\n250-STARTTLS\n250 OK", "starttls"));
  EXPECT_FALSE(EhloHasKeyword("250-STARTTLS\n250 OK", "STARTTLS"));
}

SmokeCredential Credential() {
  SmokeCredential c;
  c.username = "smoke@lab.test";
  c.password = Secret("S3cret-Pw");
  c.source = "/tmp/cred";
  return c;
}

TEST(AuthDialogTest, SmokeDialogsRecordNoSecret) {
  const SmokeCredential c = Credential();
  const std::string blob = absl::Base64Escape(std::string("\0smoke@lab.test\0S3cret-Pw", 25));
  AuthDialog plain = SmokeDialog(c, AuthMechanism::kPlain);
  EXPECT_EQ(plain.name, "smoke-PLAIN");
  EXPECT_EQ(plain.command.send, "AUTH PLAIN " + blob);
  EXPECT_EQ(plain.command.record, "AUTH PLAIN <secret>");
  AuthDialog login = SmokeDialog(c, AuthMechanism::kLogin);
  EXPECT_EQ(login.command.send, "AUTH LOGIN");
  ASSERT_EQ(login.responses.size(), 2u);
  EXPECT_EQ(login.responses[0].send, absl::Base64Escape("smoke@lab.test"));
  EXPECT_EQ(login.responses[1].send, absl::Base64Escape("S3cret-Pw"));
  EXPECT_EQ(login.responses[1].record, "<secret>");
}

TEST(AuthDialogTest, BogusDialogs) {
  const std::string random(32, '\x5a');
  const std::vector<std::string> offered = {"PLAIN", "LOGIN"};
  AuthDialog wrong = BogusDialog(BogusAuth::kWrongPassword, "smoke@lab.test", offered, random);
  EXPECT_EQ(wrong.name, "wrong-password");
  std::string plain;
  ASSERT_TRUE(absl::Base64Unescape(wrong.command.send.substr(11), &plain));
  EXPECT_EQ(plain.substr(0, 16), std::string("\0smoke@lab.test\0", 16));
  EXPECT_EQ(wrong.command.record, "AUTH PLAIN <secret>");
  AuthDialog login_only =
      BogusDialog(BogusAuth::kUnknownUser, "", {"LOGIN"}, random);
  EXPECT_EQ(login_only.command.send, "AUTH LOGIN");
  EXPECT_EQ(BogusDialog(BogusAuth::kMalformedPlain, "", offered, random).command.send,
            "AUTH PLAIN !!!notbase64");
  EXPECT_EQ(BogusDialog(BogusAuth::kUnsupportedMech, "", offered, random).command.send,
            "AUTH CRAM-MD5");
  EXPECT_EQ(BogusDialog(BogusAuth::kUnsupportedMech, "", {"CRAM-MD5"}, random).command.send,
            "AUTH X-RELAYGUARD-BOGUS");
  AuthDialog blob = BogusDialog(BogusAuth::kRandomPlainBlob, "", offered, random);
  EXPECT_EQ(blob.name, "random-plain-blob");
  EXPECT_EQ(blob.command.send, "AUTH PLAIN " + absl::Base64Escape(random));
}

}  // namespace
}  // namespace relayguard::agent
