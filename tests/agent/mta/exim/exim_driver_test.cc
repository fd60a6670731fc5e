// The pure parts of the Exim driver, and the files it manages in a Debian directory; the driver
// itself runs against real Exim in tests/agent/apply/mta_apply_integration_test.cc.
#include "agent/mta/exim/exim_driver.h"

#include <stdlib.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "agent/os/file_system.h"
#include "common/clock.h"

namespace relayguard::agent::exim {
namespace {

TEST(RcptReplyCodeTest, FindsTheReplyToRcptInAnEximBhSession) {
  struct Case {
    std::string output;
    std::optional<int> want;
  };
  const std::vector<Case> cases = {
      {"220 mx ESMTP Exim 4.96\r\n250-mx Hello\r\n250-SIZE 52428800\r\n250 HELP\r\n"
       "250 OK\r\n550 relay not permitted\r\n221 mx closing connection\r\n",
       550},
      {"220 mx ESMTP\n250 mx Hello\n250 OK\n250 Accepted\n221 bye\n", 250},
      // Multi-line RCPT reply: the final line counts.
      {"220 a\n250 b\n250 c\n550-first\n550 last\n221 d\n", 550},
      // Dropped after MAIL: no RCPT reply.
      {"220 a\n250 b\n421 too many errors\n", std::nullopt},
      {"", std::nullopt},
      // Exim's -bh trace lines on stdout are not replies.
      {">>> host in hosts_connection_nolog? no\n220 a\n250 b\n250 c\n451 try later\n", 451},
  };
  for (const Case& c : cases) EXPECT_EQ(RcptReplyCode(c.output), c.want) << c.output;
}

TEST(MainOptionTest, ReadsMainSectionOptionsOnly) {
  const std::string conf =
      "# comment\n"
      "daemon_smtp_ports  = 2526 : 587\r\n"
      "local_interfaces = 127.0.0.1\n"
      "pid_file_path=/run/x.pid\n"
      "begin acl\n"
      "daemon_smtp_ports = 9999\n";
  EXPECT_EQ(MainOption(conf, "daemon_smtp_ports"), "2526 : 587");
  EXPECT_EQ(MainOption(conf, "local_interfaces"), "127.0.0.1");
  EXPECT_EQ(MainOption(conf, "pid_file_path"), "/run/x.pid");
  EXPECT_EQ(MainOption(conf, "primary_hostname"), std::nullopt);
  EXPECT_EQ(MainOption(conf, "daemon_smtp_port"), std::nullopt) << "a prefix is not a match";
}

TEST(BuildAuthenticatorsTest, ReadsTheAuthenticatorsLineOfEximBV) {
  const std::string light =
      "Exim version 4.96 #2 built 26-Nov-2026 14:26:47\n"
      "Support for: crypteq iconv() IPv6 GnuTLS move_frozen_messages DANE DKIM DNSSEC Event OCSP\n"
      "Lookups (built-in): lsearch wildlsearch nwildlsearch iplsearch cdb dbm dbmjz dbmnz dnsdb\n"
      "Authenticators: cram_md5 external plaintext\n"
      "Routers: accept dnslookup ipliteral manualroute queryprogram redirect\n";
  EXPECT_EQ(BuildAuthenticators(light),
            (std::vector<std::string>{"cram_md5", "external", "plaintext"}));
  EXPECT_EQ(BuildAuthenticators("Authenticators: cram_md5 cyrus_sasl dovecot external plaintext "
                                "spa tls\r\n"),
            (std::vector<std::string>{"cram_md5", "cyrus_sasl", "dovecot", "external",
                                      "plaintext", "spa", "tls"}));
  EXPECT_EQ(BuildAuthenticators("Exim version 4.96\n"), std::nullopt);
}

TEST(ReadAuthSessionTest, FindsTheRepliesToAuthAndRcpt) {
  struct Case {
    std::string name;
    std::string output;
    std::optional<int> auth;
    std::optional<int> rcpt;
  };
  const std::vector<Case> cases = {
      {"PLAIN relays",
       "220 mx ESMTP Exim 4.96\r\n250-mx Hello\r\n250-AUTH PLAIN LOGIN\r\n250 HELP\r\n"
       "235 Authentication succeeded\r\n250 OK\r\n250 Accepted\r\n221 mx closing\r\n",
       235, 250},
      {"LOGIN challenges", "220 a\n250 b\n334 VXNlcm5hbWU6\n334 UGFzc3dvcmQ6\n235 ok\n250 OK\n"
       "250 Accepted\n221 c\n", 235, 250},
      {"backend down", "220 a\n250 b\n435 Unable to authenticate at present\n250 OK\n"
       "550 Relaying denied\n221 c\n", 435, 550},
      {"trace lines are not replies", "LOG: MAIN\n220 a\n>>> check\n250 b\n503 not advertised\n",
       503, std::nullopt},
      {"nothing", "", std::nullopt, std::nullopt},
  };
  for (const Case& c : cases) {
    AuthSessionReplies r = ReadAuthSession(c.output);
    EXPECT_EQ(r.auth ? std::optional<int>(r.auth->code) : std::nullopt, c.auth) << c.name;
    EXPECT_EQ(r.rcpt ? std::optional<int>(r.rcpt->code) : std::nullopt, c.rcpt) << c.name;
  }
  EXPECT_EQ(ReadAuthSession("220 a\n250 b\n435 Unable to authenticate at present\n").auth->text,
            "435 Unable to authenticate at present");
}

// Answers `exim -bV` with the given Authenticators line; records what ran.
class BvRunner : public ProcessRunner {
 public:
  explicit BvRunner(std::string authenticators) : authenticators_(std::move(authenticators)) {}
  absl::StatusOr<ProcessResult> Run(const Command& command) override {
    ran.push_back(command.ToString());
    ProcessResult r;
    r.exit_code = 0;
    r.stdout_text = "Exim version 4.96 #2\nAuthenticators: " + authenticators_ + "\n";
    return r;
  }
  std::vector<std::string> ran;

 private:
  std::string authenticators_;
};

TEST(PreflightAuthTest, RefusesWhatThisEximCannotUseBeforeTouchingTheBackend) {
  struct Case {
    std::string name;
    SaslBackend backend;
    std::string build;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"light build, dovecot", SaslBackend::kDovecot, "cram_md5 external plaintext",
       "this Exim build has no dovecot authenticator (exim -bV: cram_md5 external plaintext); "
       "install exim4-daemon-heavy or use auth.backend password-file"},
      {"saslauthd", SaslBackend::kSaslauthd, "cram_md5 cyrus_sasl dovecot external plaintext",
       "auth.backend saslauthd is a Cyrus SASL backend relayguard configures for Sendmail only; "
       "for Exim use auth.backend dovecot"},
      {"sasldb", SaslBackend::kSasldb, "cram_md5 dovecot plaintext",
       "or password-file (Exim's plaintext authenticator"},
  };
  for (const Case& c : cases) {
    RealFileSystem fs;
    BvRunner runner(c.build);
    RealClock clock;
    int backend_checks = 0;
    EximDriver driver(EximOptions{}, fs, runner, clock,
                      [&](const AuthSettings&, const SmokeCredential&, const MtaUser&,
                          std::chrono::milliseconds) -> absl::StatusOr<BackendAnswer> {
                        ++backend_checks;
                        return BackendAnswer{};
                      });
    Policy policy;
    policy.auth = AuthSettings{};
    policy.auth->backend = c.backend;
    policy.auth->path = "/run/x";
    SmokeCredential credential{"smoke@lab.test", Secret("pw"), "/c"};
    absl::StatusOr<BackendAnswer> answer = driver.PreflightAuth(policy, credential, {}, "/nowhere");
    ASSERT_FALSE(answer.ok()) << c.name;
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kFailedPrecondition) << c.name;
    EXPECT_THAT(answer.status().message(), ::testing::HasSubstr(c.error)) << c.name;
    EXPECT_EQ(backend_checks, 0) << c.name;
  }
}


// A Debian directory in a temp dir: update-exim4.conf.conf (split or not), the template,
// conf.d/auth.
class DebianManagedFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-exim-debian.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/conf.d/auth");
    Write(dir_ + "/exim4.conf.template", "begin authenticators\n");
    options_.debian = true;
    options_.debian_dir = dir_;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& path, const std::string& text) {
    ASSERT_TRUE(fs_.WriteScratchFile(path, text).ok()) << path;
  }
  void Split(bool split) {
    Write(dir_ + "/update-exim4.conf.conf",
          absl::StrCat("dc_relay_nets=''\ndc_use_split_config='", split ? "true" : "false",
                       "'\n"));
  }

  std::string dir_;
  EximOptions options_;
  RealFileSystem fs_;
  BvRunner runner_{"plaintext"};
  RealClock clock_;
};

TEST_F(DebianManagedFilesTest, SplitConfigurationCreatesRelayguardsAuthFileAndTracksIt) {
  Split(true);
  EximDriver driver(options_, fs_, runner_, clock_);
  const std::string conf = dir_ + "/update-exim4.conf.conf";
  const std::string auth = dir_ + "/conf.d/auth/05_relayguard_auth";
  EXPECT_THAT(driver.ManagedFiles(), ::testing::ElementsAre(conf));
  EXPECT_THAT(driver.CreatableFiles(), ::testing::ElementsAre(auth));
  // Once it exists it is backed up like any managed file (a rollback to before removes it).
  Write(auth, "# x\n");
  EXPECT_THAT(driver.ManagedFiles(), ::testing::ElementsAre(conf, auth));
  EXPECT_THAT(driver.CreatableFiles(), ::testing::IsEmpty());
}

TEST_F(DebianManagedFilesTest, NonSplitConfigurationManagesTheTemplate) {
  Split(false);
  EximDriver driver(options_, fs_, runner_, clock_);
  EXPECT_THAT(driver.ManagedFiles(),
              ::testing::ElementsAre(dir_ + "/update-exim4.conf.conf",
                                     dir_ + "/exim4.conf.template"));
  EXPECT_THAT(driver.CreatableFiles(), ::testing::IsEmpty());
  // The monolithic driver manages its one file.
  EximOptions monolithic;
  monolithic.config_file = dir_ + "/exim4.conf";
  EximDriver plain(monolithic, fs_, runner_, clock_);
  EXPECT_THAT(plain.ManagedFiles(), ::testing::ElementsAre(dir_ + "/exim4.conf"));
  EXPECT_THAT(plain.CreatableFiles(), ::testing::IsEmpty());
}

}  // namespace
}  // namespace relayguard::agent::exim
