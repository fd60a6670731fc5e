// SendmailDriver's auth part (agent/mta/sendmail/sendmail_auth.cc) on files in a temporary
// directory: sendmail's build information comes from a fake runner; m4 runs for real with the
// unpacked sendmail-cf macros (skipped without them). Real Sendmail with real SASL backends:
// sendmail_auth_integration_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "agent/mta/sendmail/sendmail_driver.h"
#include "agent/os/file_system.h"
#include "common/clock.h"

namespace relayguard::agent::sendmail {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kCfDir[] = "/var/cache/relayguard/mta-root/usr/share/sendmail/cf";

// Answers `sendmail -d0.1` like Debian's build (or one without SASL), runs m4 for real, fails
// anything else.
class AuthTestRunner : public ProcessRunner {
 public:
  absl::StatusOr<ProcessResult> Run(const Command& command) override {
    if (command.argv[0] == "/usr/bin/m4") return real_.Run(command);
    ProcessResult r;
    r.exit_code = 0;
    if (std::find(command.argv.begin(), command.argv.end(), "-d0.1") == command.argv.end()) {
      r.exit_code = 70;
      return r;
    }
    r.stdout_text = "Version 8.17.1.9\n Compiled with: DNSMAP LOG MILTER NETINET PIPELINING " +
                    std::string(sasl ? "SASLv2 " : "") + "SCANF STARTTLS\n\t\tXDEBUG\n\n";
    return r;
  }
  bool sasl = true;

 private:
  RealProcessRunner real_;
};

class SendmailAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-sm-auth.XXXXXX";
    dir_ = mkdtemp(tmpl);
    options_.config_dir = dir_;
    options_.sendmail_path = "/usr/libexec/sendmail/sendmail";
    options_.m4_path = "/usr/bin/m4";
    options_.cf_dir = kCfDir;
    options_.services_path = dir_ + "/services";
    options_.sasl_conf_path = dir_ + "/sasl2/Sendmail.conf";
    std::filesystem::create_directories(dir_ + "/sasl2");
    Write("services", "smtp 25/tcp\nsubmission 587/tcp\n");
    Write("sendmail.mc",
          "OSTYPE(`linux')dnl\n"
          "define(`confSERVER_CERT', `" + dir_ + "/cert.pem')dnl\n"
          "define(`confSERVER_KEY', `" + dir_ + "/key.pem')dnl\n"
          "define(`confCACERT', `" + dir_ + "/cert.pem')dnl\n"
          "define(`confCACERT_PATH', `" + dir_ + "')dnl\n"
          "FEATURE(`no_default_msa')dnl\n"
          "FEATURE(`access_db', `hash -o " + dir_ + "/access')dnl\n"
          "DAEMON_OPTIONS(`Port=smtp, Addr=127.0.0.1, Name=MTA')dnl\n"
          "DAEMON_OPTIONS(`Port=submission, Addr=127.0.0.1, Name=MSA, M=EA')dnl\n"
          "MAILER(`local')dnl\n"
          "MAILER(`smtp')dnl\n");
    Write("sendmail.cf",
          "O DaemonPortOptions=Port=smtp, Addr=127.0.0.1, Name=MTA\n"
          "O DaemonPortOptions=Port=submission, Addr=127.0.0.1, Name=MSA, M=EA\n");
    Write("access", "Connect:127.0.0.1\tRELAY\n");
    policy_.source = "require-auth.yaml";
    policy_.trusted_networks = {*ParseCidr("127.0.0.1/32")};
    // AUTH offered while the trusted network keeps relaying: the relay part has nothing to do.
    AuthSettings auth;
    auth.backend = SaslBackend::kSasldb;
    auth.path = dir_ + "/sasldb2";
    auth.listeners.relay = false;  // AUTH on the submission port only
    policy_.auth = auth;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << text;
  }
  std::string Read(const std::string& name) { return *fs_.ReadFile(dir_ + "/" + name); }
  SendmailDriver Driver() { return SendmailDriver(options_, fs_, runner_, clock_); }
  FileContents Current(SendmailDriver& driver) {
    FileContents files;
    for (const std::string& path : driver.ManagedFiles()) files[path] = *fs_.ReadFile(path);
    return files;
  }
  // Writes what Render gave.
  void WriteAll(const RenderedChange& change) {
    for (const auto& [path, text] : change.new_contents) {
      std::ofstream(path, std::ios::binary) << text;
    }
  }
  std::vector<std::string> DriftTexts(SendmailDriver& driver) {
    absl::StatusOr<std::vector<SettingDrift>> drift = driver.CheckDrift(policy_);
    EXPECT_TRUE(drift.ok()) << drift.status();
    std::vector<std::string> texts;
    if (drift.ok()) {
      for (const SettingDrift& d : *drift) texts.push_back(DriftText(d));
    }
    return texts;
  }
  bool HaveCfMacros() { return std::filesystem::exists(std::string(kCfDir) + "/m4/cf.m4"); }

  std::string dir_;
  SendmailOptions options_;
  RealFileSystem fs_;
  AuthTestRunner runner_;
  RealClock clock_;
  Policy policy_;
};

TEST_F(SendmailAuthTest, SendmailConfIsManagedWhileItExistsAndCreatableOtherwise) {
  SendmailDriver driver = Driver();
  EXPECT_THAT(driver.ManagedFiles(), Not(Contains(options_.sasl_conf_path)));
  EXPECT_THAT(driver.CreatableFiles(), ElementsAre(options_.sasl_conf_path));
  Write("sasl2/Sendmail.conf", "log_level: 3\n");
  EXPECT_THAT(driver.ManagedFiles(), Contains(options_.sasl_conf_path));
  EXPECT_THAT(driver.CreatableFiles(), IsEmpty());
}

TEST_F(SendmailAuthTest, RenderCreatesSendmailConfAndEditsTheMcThenNothingDrifts) {
  // The test command unpacks them (deploy/lab/mta-root.sh); without them this test cannot run.
  ASSERT_TRUE(HaveCfMacros()) << "no sendmail-cf macros in " << kCfDir
                              << "; run deploy/lab/mta-root.sh";
  SendmailDriver driver = Driver();
  EXPECT_THAT(DriftTexts(driver),
              ElementsAre(HasSubstr("Sendmail.conf pwcheck_method is \"absent\""),
                          HasSubstr("Sendmail.conf auxprop_plugin"),
                          HasSubstr("Sendmail.conf sasldb_path"),
                          HasSubstr("Sendmail.conf mech_list"),
                          HasSubstr("AuthMechanisms is \"absent\", want \"PLAIN LOGIN\""),
                          HasSubstr("TrustAuthMech is \"absent\", want \"with PLAIN LOGIN\""),
                          HasSubstr("AuthOptions is \"absent\", want \"with p"),
                          AllOf(HasSubstr("listener 127.0.0.1:25 (MTA"),
                                HasSubstr("M=A is \"absent\"")),
                          AllOf(HasSubstr("listener 127.0.0.1:587 (MSA"),
                                HasSubstr("M=A is \"present (AUTH not offered)\""))));

  absl::StatusOr<RenderedChange> change = driver.Render(policy_, Current(driver));
  ASSERT_TRUE(change.ok()) << change.status();
  EXPECT_THAT(change->changed_settings,
              ElementsAre("define(confAUTH_MECHANISMS, PLAIN LOGIN)",
                          "TRUST_AUTH_MECH(PLAIN LOGIN)", "define(confAUTH_OPTIONS, p,y)",
                          "DAEMON_OPTIONS(MTA) +M=A", "DAEMON_OPTIONS(MSA) -M=A",
                          options_.sasl_conf_path + " (created)",
                          "Sendmail.conf pwcheck_method: auxprop",
                          "Sendmail.conf auxprop_plugin: sasldb",
                          "Sendmail.conf sasldb_path: " + dir_ + "/sasldb2",
                          "Sendmail.conf mech_list: PLAIN LOGIN"));
  EXPECT_TRUE(change->needs_restart);
  const std::string& cf = change->new_contents.at(dir_ + "/sendmail.cf");
  EXPECT_THAT(cf, HasSubstr("\nO AuthMechanisms=PLAIN LOGIN\n"));
  EXPECT_THAT(cf, HasSubstr("\nC{TrustAuthMech}PLAIN LOGIN\n"));
  EXPECT_THAT(cf, HasSubstr("\nO AuthOptions=p,y\n"));
  EXPECT_THAT(cf, HasSubstr("\nO DaemonPortOptions=Port=smtp, Addr=127.0.0.1, Name=MTA, M=A\n"));
  EXPECT_THAT(cf, HasSubstr("\nO DaemonPortOptions=Port=submission, Addr=127.0.0.1, Name=MSA, "
                            "M=E\n"));
  EXPECT_EQ(change->new_contents.at(options_.sasl_conf_path),
            "pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: " + dir_ +
                "/sasldb2\nmech_list: PLAIN LOGIN\n");

  WriteAll(*change);
  EXPECT_THAT(DriftTexts(driver), IsEmpty());
  absl::StatusOr<RenderedChange> again = driver.Render(policy_, Current(driver));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(again->changed_settings, IsEmpty());
  EXPECT_EQ(again->new_contents, Current(driver));
}

TEST_F(SendmailAuthTest, AnExistingSendmailConfIsEditedMinimally) {
  // The test command unpacks them (deploy/lab/mta-root.sh); without them this test cannot run.
  ASSERT_TRUE(HaveCfMacros()) << "no sendmail-cf macros in " << kCfDir
                              << "; run deploy/lab/mta-root.sh";
  const std::string mine = "# site settings\nlog_level: 3\npwcheck_method: saslauthd\n";
  Write("sasl2/Sendmail.conf", mine);
  SendmailDriver driver = Driver();
  absl::StatusOr<RenderedChange> change = driver.Render(policy_, Current(driver));
  ASSERT_TRUE(change.ok()) << change.status();
  EXPECT_EQ(change->new_contents.at(options_.sasl_conf_path),
            "# site settings\nlog_level: 3\npwcheck_method: auxprop\nauxprop_plugin: sasldb\n"
            "sasldb_path: " + dir_ + "/sasldb2\nmech_list: PLAIN LOGIN\n");
  EXPECT_THAT(DriftTexts(driver),
              Contains("Sendmail.conf pwcheck_method is \"saslauthd\", want \"auxprop\" (" +
                       options_.sasl_conf_path + ":3)"));
}

TEST_F(SendmailAuthTest, WithoutTheAuthSectionNothingAboutAuthChanges) {
  // The test command unpacks them (deploy/lab/mta-root.sh); without them this test cannot run.
  ASSERT_TRUE(HaveCfMacros()) << "no sendmail-cf macros in " << kCfDir
                              << "; run deploy/lab/mta-root.sh";
  policy_.auth.reset();
  policy_.require_auth = false;
  SendmailDriver driver = Driver();
  absl::StatusOr<RenderedChange> change = driver.Render(policy_, Current(driver));
  ASSERT_TRUE(change.ok()) << change.status();
  EXPECT_EQ(change->new_contents.count(options_.sasl_conf_path), 0u);
  EXPECT_EQ(change->new_contents.at(dir_ + "/sendmail.mc"), Read("sendmail.mc"));
}

TEST_F(SendmailAuthTest, RefusesDovecotAndPasswordFileBackends) {
  for (SaslBackend b : {SaslBackend::kDovecot, SaslBackend::kPasswordFile}) {
    policy_.auth->backend = b;
    SendmailDriver driver = Driver();
    absl::StatusOr<RenderedChange> change = driver.Render(policy_, Current(driver));
    ASSERT_FALSE(change.ok());
    EXPECT_EQ(change.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(change.status().message(), HasSubstr("use backend saslauthd"));
    SmokeCredential credential;
    absl::StatusOr<BackendAnswer> answer = driver.PreflightAuth(policy_, credential, {}, dir_);
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST_F(SendmailAuthTest, TlsOnlyWithoutStarttlsIsRefused) {
  // The test command unpacks them (deploy/lab/mta-root.sh); without them this test cannot run.
  ASSERT_TRUE(HaveCfMacros()) << "no sendmail-cf macros in " << kCfDir
                              << "; run deploy/lab/mta-root.sh";
  Write("sendmail.mc", "OSTYPE(`linux')dnl\n"
                       "DAEMON_OPTIONS(`Port=smtp, Addr=127.0.0.1, Name=MTA')dnl\n"
                       "DAEMON_OPTIONS(`Port=submission, Addr=127.0.0.1, Name=MSA, M=EA')dnl\n"
                       "MAILER(`smtp')dnl\n");
  SendmailDriver driver = Driver();
  absl::StatusOr<RenderedChange> change = driver.Render(policy_, Current(driver));
  ASSERT_FALSE(change.ok());
  EXPECT_EQ(change.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(change.status().message(), HasSubstr("STARTTLS is not configured"));
  EXPECT_THAT(change.status().message(),
              HasSubstr("sets no ServerCertFile, ServerKeyFile, CACertFile, CACertPath"));
}

TEST_F(SendmailAuthTest, ARequireAuthDaemonThePolicyDoesNotOfferAuthOnIsRefused) {
  Write("sendmail.cf", "O DaemonPortOptions=Port=smtp, Addr=127.0.0.1, Name=MTA\n"
                       "O DaemonPortOptions=Port=submission, Addr=127.0.0.1, Name=MSA, M=Ea\n");
  policy_.auth->listeners.submission = false;
  SendmailDriver driver = Driver();
  absl::StatusOr<RenderedChange> change = driver.Render(policy_, Current(driver));
  ASSERT_FALSE(change.ok());
  EXPECT_THAT(change.status().message(), HasSubstr("requires AUTH (M=a)"));
}

TEST_F(SendmailAuthTest, PreflightRefusesASendmailWithoutSasl) {
  runner_.sasl = false;
  SendmailDriver driver = Driver();
  SmokeCredential credential;
  absl::StatusOr<BackendAnswer> answer = driver.PreflightAuth(policy_, credential, {}, dir_);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(answer.status().message(), HasSubstr("this sendmail is built without SASL"));
  EXPECT_THAT(answer.status().message(), HasSubstr("8.17.1.9"));
}

TEST_F(SendmailAuthTest, PreflightAsksTheBackendAsRoot) {
  // The sasldb2 file does not exist: whatever CheckSaslBackend says, it is not OK.
  SendmailDriver driver = Driver();
  SmokeCredential credential;
  absl::StatusOr<BackendAnswer> answer = driver.PreflightAuth(policy_, credential, {}, dir_);
  EXPECT_FALSE(answer.ok());
}

}  // namespace
}  // namespace relayguard::agent::sendmail
