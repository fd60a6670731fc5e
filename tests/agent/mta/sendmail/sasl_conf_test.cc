#include "agent/mta/sendmail/sasl_conf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace relayguard::agent::sendmail {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kPath[] = "/etc/sasl2/Sendmail.conf";

AuthSettings Auth(SaslBackend backend, std::string path) {
  AuthSettings auth;
  auth.backend = backend;
  auth.path = std::move(path);
  return auth;
}

SaslConfKeys Sasldb() {
  return *WantedSaslConfKeys(Auth(SaslBackend::kSasldb, "/var/lib/sasldb2"), "p.yaml");
}
SaslConfKeys Saslauthd() {
  return *WantedSaslConfKeys(Auth(SaslBackend::kSaslauthd, "/run/saslauthd/mux"), "p.yaml");
}

TEST(WantedSaslConfKeysTest, NamesTheKeysOfEachCyrusBackend) {
  EXPECT_EQ(Sasldb(), (SaslConfKeys{{"pwcheck_method", "auxprop"},
                                    {"auxprop_plugin", "sasldb"},
                                    {"sasldb_path", "/var/lib/sasldb2"},
                                    {"mech_list", "PLAIN LOGIN"}}));
  EXPECT_EQ(Saslauthd(), (SaslConfKeys{{"pwcheck_method", "saslauthd"},
                                       {"saslauthd_path", "/run/saslauthd/mux"},
                                       {"mech_list", "PLAIN LOGIN"}}));
  AuthSettings login_only = Auth(SaslBackend::kSasldb, "/db");
  login_only.mechanisms = {AuthMechanism::kLogin};
  EXPECT_EQ(WantedSaslConfKeys(login_only, "")->back().second, "LOGIN");
}

TEST(WantedSaslConfKeysTest, RefusesBackendsSendmailCannotUseNamingTheSupportedOnes) {
  for (SaslBackend b : {SaslBackend::kDovecot, SaslBackend::kPasswordFile}) {
    absl::StatusOr<SaslConfKeys> keys = WantedSaslConfKeys(Auth(b, "/x"), "require-auth.yaml");
    ASSERT_FALSE(keys.ok());
    EXPECT_EQ(keys.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(keys.status().message(), HasSubstr("require-auth.yaml: auth.backend "));
    EXPECT_THAT(keys.status().message(), HasSubstr(SaslBackendName(b)));
    EXPECT_THAT(keys.status().message(), HasSubstr("saslauthd"));
    EXPECT_THAT(keys.status().message(), HasSubstr("sasldb"));
  }
}

struct EditCase {
  const char* name;
  const char* before;
  bool exists;
  bool saslauthd;  // else sasldb
  const char* after;
  std::vector<std::string> changed;
};

TEST(EditSaslConfTest, EditsOnlyTheManagedKeys) {
  const std::vector<EditCase> cases = {
      {"created when missing", "", false, false,
       "pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: /var/lib/sasldb2\n"
       "mech_list: PLAIN LOGIN\n",
       {"/etc/sasl2/Sendmail.conf (created)", "Sendmail.conf pwcheck_method: auxprop",
        "Sendmail.conf auxprop_plugin: sasldb", "Sendmail.conf sasldb_path: /var/lib/sasldb2",
        "Sendmail.conf mech_list: PLAIN LOGIN"}},
      {"already right, other keys and comments kept",
       "# mine\npwcheck_method: auxprop\nauxprop_plugin: sasldb\nlog_level: 7\n"
       "sasldb_path: /var/lib/sasldb2\nmech_list: login plain\n",
       true, false,
       "# mine\npwcheck_method: auxprop\nauxprop_plugin: sasldb\nlog_level: 7\n"
       "sasldb_path: /var/lib/sasldb2\nmech_list: login plain\n",
       {}},
      {"values replaced in place, spelling and blanks kept",
       "  PWCheck_Method:\tsaslauthd  \r\nsaslauthd_path: /old/mux\r\nMECH_LIST: CRAM-MD5\r\n",
       true, true,
       "  PWCheck_Method:\tsaslauthd  \r\nsaslauthd_path: /run/saslauthd/mux\r\n"
       "MECH_LIST: PLAIN LOGIN\r\n",
       {"Sendmail.conf saslauthd_path: /run/saslauthd/mux", "Sendmail.conf mech_list: PLAIN LOGIN"}},
      {"switching backend keeps the other backend's keys",
       "pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: /db\nmech_list: PLAIN LOGIN",
       true, true,
       "pwcheck_method: saslauthd\nauxprop_plugin: sasldb\nsasldb_path: /db\n"
       "mech_list: PLAIN LOGIN\nsaslauthd_path: /run/saslauthd/mux",
       {"Sendmail.conf pwcheck_method: saslauthd",
        "Sendmail.conf saslauthd_path: /run/saslauthd/mux"}},
      {"empty existing file", "", true, true,
       "pwcheck_method: saslauthd\nsaslauthd_path: /run/saslauthd/mux\nmech_list: PLAIN LOGIN\n",
       {"Sendmail.conf pwcheck_method: saslauthd",
        "Sendmail.conf saslauthd_path: /run/saslauthd/mux", "Sendmail.conf mech_list: PLAIN LOGIN"}},
  };
  for (const EditCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<SendmailEdit> edit =
        EditSaslConf(c.before, c.exists, c.saslauthd ? Saslauthd() : Sasldb(), kPath);
    ASSERT_TRUE(edit.ok()) << edit.status();
    EXPECT_EQ(edit->text, c.after);
    EXPECT_EQ(edit->changed, c.changed);
    absl::StatusOr<SendmailEdit> again =
        EditSaslConf(edit->text, true, c.saslauthd ? Saslauthd() : Sasldb(), kPath);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->text, edit->text);
    EXPECT_THAT(again->changed, IsEmpty());
  }
}

TEST(EditSaslConfTest, OnlyTheFirstLineOfAKeyCountsAndADuplicateIsReported) {
  absl::StatusOr<SendmailEdit> edit = EditSaslConf(
      "pwcheck_method: saslauthd\nsaslauthd_path: /run/saslauthd/mux\nmech_list: PLAIN LOGIN\n"
      "pwcheck_method: auxprop\n",
      true, Saslauthd(), kPath);
  ASSERT_TRUE(edit.ok());
  EXPECT_THAT(edit->changed, IsEmpty());
  EXPECT_THAT(edit->warnings, ElementsAre(HasSubstr("Sendmail.conf:4: pwcheck_method appears "
                                                    "again; libsasl reads only line 1")));
  EXPECT_EQ(SaslConfValue("a: 1\npwcheck_method:  auxprop \npwcheck_method: x\n",
                          "pwcheck_method")
                ->value,
            "auxprop");
  EXPECT_EQ(SaslConfValue("a: 1\n", "pwcheck_method"), std::nullopt);
}

TEST(EditSaslConfTest, RefusesLinesLibsaslCannotRead) {
  for (const char* text : {"pwcheck_method auxprop\n", "mech_list:\n", "pw check: x\n",
                           "ok: 1\n= value\n"}) {
    SCOPED_TRACE(text);
    absl::StatusOr<SendmailEdit> edit = EditSaslConf(text, true, Sasldb(), kPath);
    ASSERT_FALSE(edit.ok());
    EXPECT_EQ(edit.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(edit.status().message(), HasSubstr("/etc/sasl2/Sendmail.conf:"));
    EXPECT_THAT(edit.status().message(), HasSubstr("nothing was changed"));
  }
}

TEST(SaslConfValueMatchesTest, MechListIgnoresCaseAndOrder) {
  EXPECT_TRUE(SaslConfValueMatches("mech_list", "login PLAIN", "PLAIN LOGIN"));
  EXPECT_FALSE(SaslConfValueMatches("mech_list", "PLAIN", "PLAIN LOGIN"));
  EXPECT_FALSE(SaslConfValueMatches("sasldb_path", "/DB", "/db"));
}

}  // namespace
}  // namespace relayguard::agent::sendmail
