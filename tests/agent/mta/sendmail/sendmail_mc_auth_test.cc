#include "agent/mta/sendmail/sendmail_mc_auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace relayguard::agent::sendmail {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kPath[] = "/etc/mail/sendmail.mc";

constexpr char kTls[] =
    "define(`confSERVER_CERT', `/etc/mail/tls/cert.pem')dnl\n"
    "define(`confSERVER_KEY', `/etc/mail/tls/key.pem')dnl\n";

McAuthWant Want(bool tls_only, std::map<size_t, bool> daemons = {}) {
  McAuthWant want;
  want.mechanisms = {"PLAIN", "LOGIN"};
  want.tls_only = tls_only;
  want.daemon_offers_auth = std::move(daemons);
  return want;
}

struct McCase {
  const char* name;
  std::string before;
  McAuthWant want;
  std::string after;
  std::vector<std::string> changed;
};

TEST(EditSendmailMcAuthTest, AddsAndFixesTheAuthSettingsMinimally) {
  const std::string tail = "MAILER(`local')dnl\nMAILER(`smtp')dnl\n";
  const std::vector<McCase> cases = {
      {"adds everything before the first MAILER",
       std::string("OSTYPE(`linux')dnl\n") + kTls + tail, Want(true),
       std::string("OSTYPE(`linux')dnl\n") + kTls +
           "define(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl\n"
           "TRUST_AUTH_MECH(`PLAIN LOGIN')dnl\n"
           "define(`confAUTH_OPTIONS', `p,y')dnl\n" + tail,
       {"define(confAUTH_MECHANISMS, PLAIN LOGIN)", "TRUST_AUTH_MECH(PLAIN LOGIN)",
        "define(confAUTH_OPTIONS, p,y)"}},
      {"without tls_only no AuthOptions and no STARTTLS needed", "OSTYPE(`linux')dnl\n" + tail,
       Want(false),
       "OSTYPE(`linux')dnl\ndefine(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl\n"
       "TRUST_AUTH_MECH(`PLAIN LOGIN')dnl\n" + tail,
       {"define(confAUTH_MECHANISMS, PLAIN LOGIN)", "TRUST_AUTH_MECH(PLAIN LOGIN)"}},
      {"already right (order and case of mechanisms do not matter)",
       std::string(kTls) + "define(`confAUTH_MECHANISMS', `login plain')dnl\n"
       "TRUST_AUTH_MECH(`EXTERNAL DIGEST-MD5 CRAM-MD5 LOGIN PLAIN')dnl\n"
       "define(`confAUTH_OPTIONS', `A p')dnl\n" + tail,
       Want(true),
       std::string(kTls) + "define(`confAUTH_MECHANISMS', `login plain')dnl\n"
       "TRUST_AUTH_MECH(`EXTERNAL DIGEST-MD5 CRAM-MD5 LOGIN PLAIN')dnl\n"
       "define(`confAUTH_OPTIONS', `A p')dnl\n" + tail,
       {}},
      {"values replaced in place, comments after them kept, missing trust added",
       std::string(kTls) + "define(`confAUTH_MECHANISMS',`CRAM-MD5')  dnl offered\n"
       "TRUST_AUTH_MECH(`PLAIN')dnl\n"
       "define(`confAUTH_OPTIONS', `A')dnl\n" + tail,
       Want(true),
       std::string(kTls) + "define(`confAUTH_MECHANISMS',`PLAIN LOGIN')  dnl offered\n"
       "TRUST_AUTH_MECH(`PLAIN')dnl\n"
       "define(`confAUTH_OPTIONS', `A,p')dnl\n"
       "TRUST_AUTH_MECH(`LOGIN')dnl\n" + tail,
       {"define(confAUTH_MECHANISMS, PLAIN LOGIN)", "TRUST_AUTH_MECH(LOGIN)",
        "define(confAUTH_OPTIONS, A,p)"}},
      {"p removed when AUTH may be offered without TLS",
       "define(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl\nTRUST_AUTH_MECH(`PLAIN LOGIN')dnl\n"
       "define(`confAUTH_OPTIONS', `p,y')dnl\n" + tail,
       Want(false),
       "define(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl\nTRUST_AUTH_MECH(`PLAIN LOGIN')dnl\n"
       "define(`confAUTH_OPTIONS', `y')dnl\n" + tail,
       {"define(confAUTH_OPTIONS, y)"}},
      {"the last define counts; commented ones are ignored",
       "dnl define(`confAUTH_MECHANISMS', `PLAIN LOGIN')\n"
       "define(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl\n"
       "define(`confAUTH_MECHANISMS', `GSSAPI')dnl\nTRUST_AUTH_MECH(`PLAIN LOGIN')dnl\n" + tail,
       Want(false),
       "dnl define(`confAUTH_MECHANISMS', `PLAIN LOGIN')\n"
       "define(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl\n"
       "define(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl\nTRUST_AUTH_MECH(`PLAIN LOGIN')dnl\n" + tail,
       {"define(confAUTH_MECHANISMS, PLAIN LOGIN)"}},
      {"CRLF and no MAILER: appended with the file's endings", "OSTYPE(`linux')dnl\r\n",
       Want(false),
       "OSTYPE(`linux')dnl\r\ndefine(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl\r\n"
       "TRUST_AUTH_MECH(`PLAIN LOGIN')dnl\r\n",
       {"define(confAUTH_MECHANISMS, PLAIN LOGIN)", "TRUST_AUTH_MECH(PLAIN LOGIN)"}},
      {"no final newline stays without one", "OSTYPE(`linux')dnl", Want(false),
       "OSTYPE(`linux')dnl\ndefine(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl\n"
       "TRUST_AUTH_MECH(`PLAIN LOGIN')dnl",
       {"define(confAUTH_MECHANISMS, PLAIN LOGIN)", "TRUST_AUTH_MECH(PLAIN LOGIN)"}},
      {"M=A added where AUTH is not offered, removed where it is",
       "define(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl\nTRUST_AUTH_MECH(`PLAIN LOGIN')dnl\n"
       "DAEMON_OPTIONS(`Family=inet,  Name=MTA-v4, Port=smtp, Addr=127.0.0.1')dnl\n"
       "DAEMON_OPTIONS(`Family=inet,  Name=MSP-v4, Port=submission, M=EaA, Addr=127.0.0.1')dnl\n"
       "DAEMON_OPTIONS(`Port=2526, M=A')dnl\n"
       "DAEMON_OPTIONS(`M=A, Port=2527')dnl\n" + tail,
       Want(false, {{3, false}, {4, true}, {5, true}, {6, true}}),
       "define(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl\nTRUST_AUTH_MECH(`PLAIN LOGIN')dnl\n"
       "DAEMON_OPTIONS(`Family=inet,  Name=MTA-v4, Port=smtp, Addr=127.0.0.1, M=A')dnl\n"
       "DAEMON_OPTIONS(`Family=inet,  Name=MSP-v4, Port=submission, M=Ea, Addr=127.0.0.1')dnl\n"
       "DAEMON_OPTIONS(`Port=2526')dnl\n"
       "DAEMON_OPTIONS(`Port=2527')dnl\n" + tail,
       {"DAEMON_OPTIONS(MTA-v4) +M=A", "DAEMON_OPTIONS(MSP-v4) -M=A",
        "DAEMON_OPTIONS(Port=2526, M=A) -M=A", "DAEMON_OPTIONS(M=A, Port=2527) -M=A"}},
  };
  for (const McCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<SendmailEdit> edit = EditSendmailMcAuth(c.before, kPath, c.want);
    ASSERT_TRUE(edit.ok()) << edit.status();
    EXPECT_EQ(edit->text, c.after);
    EXPECT_EQ(edit->changed, c.changed);
    absl::StatusOr<SendmailEdit> again = EditSendmailMcAuth(edit->text, kPath, c.want);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->text, edit->text);
    EXPECT_THAT(again->changed, IsEmpty());
  }
}

TEST(MissingStarttlsOptionsTest, NamesWhatTheStarttlsServerLacksInTheCf) {
  EXPECT_THAT(MissingStarttlsOptions("#O ServerCertFile\n#O ServerKeyFile\n"),
              ElementsAre("ServerCertFile", "ServerKeyFile", "CACertFile", "CACertPath"));
  EXPECT_THAT(MissingStarttlsOptions("O ServerCertFile=/c.pem\nO ServerKeyFile=/k.pem\n"
                                     "O CACertFile=/ca.pem\nO CACertPath=\n"),
              ElementsAre("CACertPath"));
  EXPECT_THAT(MissingStarttlsOptions("O ServerCertFile=/c.pem\nO ServerKeyFile=/k.pem\n"
                                     "O CACertFile=/ca.pem\nO CACertPath=/etc/mail/tls\n"),
              IsEmpty());
}

TEST(EditSendmailMcAuthTest, RefusesADaemonLineWithoutDaemonOptions) {
  absl::StatusOr<SendmailEdit> edit =
      EditSendmailMcAuth("OSTYPE(`linux')dnl\nMAILER(`smtp')dnl\n", kPath, Want(false, {{1, false}}));
  ASSERT_FALSE(edit.ok());
  EXPECT_THAT(edit.status().message(), HasSubstr("sendmail.mc:1: no DAEMON_OPTIONS"));
}

TEST(AuthOptionLettersTest, TakesTheFirstLetterOfEachWord) {
  EXPECT_EQ(AuthOptionLetters("A,p y"), "Apy");
  EXPECT_EQ(AuthOptionLetters(" py "), "p");  // Sendmail reads "py" as p alone
  EXPECT_EQ(AuthOptionLetters(""), "");
}

TEST(WithAuthModifierTest, EditsOnlyTheModifiersField) {
  EXPECT_EQ(WithAuthModifier("Port=25, Name=MTA", false), "Port=25, Name=MTA, M=A");
  EXPECT_EQ(WithAuthModifier("Port=25, M=E , Name=MTA", false), "Port=25, M=EA , Name=MTA");
  EXPECT_EQ(WithAuthModifier("Port=25, Modifiers=A", false), "Port=25, Modifiers=A");
  EXPECT_EQ(WithAuthModifier("Port=25, M=EA", true), "Port=25, M=E");
  EXPECT_EQ(WithAuthModifier("Port=25, M=A, Name=X", true), "Port=25, Name=X");
  EXPECT_EQ(WithAuthModifier("Port=25, M=a", true), "Port=25, M=a");  // a is not A
  EXPECT_EQ(WithAuthModifier("Port=25", true), "Port=25");
}

}  // namespace
}  // namespace relayguard::agent::sendmail
