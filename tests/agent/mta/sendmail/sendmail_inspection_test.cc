// SendmailDriver's reading of a configuration (agent/mta/sendmail/sendmail_inspection.cc):
// listeners, drift per listener and class {R}, on files in a temporary directory, with
// sendmail's build information from a fake runner (no Sendmail needed).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "agent/mta/sendmail/sendmail_driver.h"
#include "agent/os/file_system.h"
#include "common/clock.h"

namespace relayguard::agent::sendmail {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Answers `sendmail -d0.1 -bt` like Debian's build (or one without SASL); fails anything else.
class BuildInfoRunner : public ProcessRunner {
 public:
  absl::StatusOr<ProcessResult> Run(const Command& command) override {
    ProcessResult r;
    r.exit_code = 0;
    if (std::find(command.argv.begin(), command.argv.end(), "-d0.1") == command.argv.end()) {
      r.exit_code = 70;
      return r;
    }
    r.stdout_text =
        "Version 8.17.1.9\n Compiled with: DNSMAP IPV6_FULL LOG MILTER\n\t\tNETINET "
        "NETINET6 PIPELINING " +
        std::string(sasl ? "SASLv2 " : "") +
        "SCANF STARTTLS\n\t\tUSERDB XDEBUG\n\n====== SYSTEM IDENTITY\n";
    return r;
  }
  bool sasl = true;
};

class SendmailInspectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-sm-inspect.XXXXXX";
    dir_ = mkdtemp(tmpl);
    options_.config_dir = dir_;
    options_.sendmail_path = "/usr/libexec/sendmail/sendmail";
    options_.services_path = dir_ + "/services";
    Write("services", "smtp 25/tcp\nsubmission 587/tcp\n");
    Write("sendmail.mc",
          "FEATURE(`access_db')dnl\n"
          "DAEMON_OPTIONS(`Port=smtp, Addr=127.0.0.1, Name=MTA')dnl\n"
          "DAEMON_OPTIONS(`Port=submission, Addr=127.0.0.1, Name=MSA, M=Ea')dnl\n"
          "DAEMON_OPTIONS(`Port=10025, Addr=127.0.0.1, Name=Reinject')dnl\n"
          "MAILER(`smtp')dnl\n");
    Write("sendmail.cf", "Kaccess hash " + dir_ +
                             "/access\n"
                             "FR-o " +
                             dir_ +
                             "/relay-domains\n"
                             "O DaemonPortOptions=Port=smtp, Addr=127.0.0.1, Name=MTA\n"
                             "O DaemonPortOptions=Port=submission, Addr=127.0.0.1, Name=MSA, M=Ea\n"
                             "O DaemonPortOptions=Port=10025, Addr=127.0.0.1, Name=Reinject\n");
    Write("access", "Connect:127.0.0.1\tRELAY\nConnect:127\tRELAY\nConnect:10.1\tRELAY\n");
    policy_.trusted_networks = {*ParseCidr("127.0.0.1/32")};
    policy_.probe.internal_listeners = {*ParseSmtpEndpoint("127.0.0.1:10025")};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << text;
  }
  SendmailDriver Driver() { return SendmailDriver(options_, fs_, runner_, clock_); }
  FileContents Current() {
    FileContents files;
    for (const char* name : {"sendmail.mc", "sendmail.cf", "access"}) {
      files[dir_ + "/" + name] = *fs_.ReadFile(dir_ + "/" + name);
    }
    return files;
  }

  std::string dir_;
  SendmailOptions options_;
  RealFileSystem fs_;
  BuildInfoRunner runner_;
  RealClock clock_;
  Policy policy_;
};

TEST_F(SendmailInspectionTest, ListenersComeFromTheCfAndAreDeclaredInTheMc) {
  options_.smtp_override = *ParseSmtpEndpoint("192.0.2.1:2525");
  absl::StatusOr<std::vector<Listener>> listeners = Driver().Listeners();
  ASSERT_TRUE(listeners.ok()) << listeners.status();
  std::vector<std::string> names;
  for (const Listener& l : *listeners) names.push_back(l.Name());
  EXPECT_THAT(names, ElementsAre("127.0.0.1:25 (MTA, " + dir_ + "/sendmail.mc:2)",
                                 "127.0.0.1:587 (MSA, " + dir_ + "/sendmail.mc:3)",
                                 "127.0.0.1:10025 (Reinject, " + dir_ + "/sendmail.mc:4)",
                                 "192.0.2.1:2525 (--smtp, the command line)"));
}

TEST_F(SendmailInspectionTest, DriftNamesEveryListenerTheGrantOpens) {
  absl::StatusOr<std::vector<SettingDrift>> drift = Driver().CheckDrift(policy_);
  ASSERT_TRUE(drift.ok()) << drift.status();
  std::vector<std::string> texts;
  for (const SettingDrift& d : *drift) texts.push_back(DriftText(d));
  // Only MTA: MSA requires authentication (M=a), Reinject is internal by the policy.
  EXPECT_THAT(texts, ElementsAre("listener 127.0.0.1:25 (MTA, " + dir_ +
                                 "/sendmail.mc:2): access Connect:127 RELAY is \"lets clients in "
                                 "127.0.0.0/8 relay\", want \"absent: it contains the untrusted "
                                 "probe source 127.0.0.9\" (" +
                                 dir_ + "/access:2)"));

  // Without SASL, M=a does nothing: the MSA is open as well.
  runner_.sasl = false;
  drift = Driver().CheckDrift(policy_);
  ASSERT_TRUE(drift.ok()) << drift.status();
  ASSERT_EQ(drift->size(), 2u);
  EXPECT_THAT((*drift)[1].listener, HasSubstr("(MSA, "));
}

TEST_F(SendmailInspectionTest, AfterRenderNothingDrifts) {
  SendmailDriver driver = Driver();
  absl::StatusOr<RenderedChange> change = driver.Render(policy_, Current());
  ASSERT_TRUE(change.ok()) << change.status();
  EXPECT_THAT(change->changed_settings, ElementsAre("-access Connect:127 RELAY"));
  EXPECT_THAT(
      change->kept,
      ElementsAre(dir_ + "/access:3: Connect:10.1 RELAY lets clients in 10.1.0.0/16 relay"));
  Write("access", change->new_contents.at(dir_ + "/access"));
  absl::StatusOr<std::vector<SettingDrift>> drift = driver.CheckDrift(policy_);
  ASSERT_TRUE(drift.ok()) << drift.status();
  EXPECT_THAT(*drift, IsEmpty());
  absl::StatusOr<RenderedChange> again = driver.Render(policy_, Current());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(again->changed_settings, IsEmpty());
}

TEST_F(SendmailInspectionTest, AWideRelayDomainsMemberRefusesThePolicyAndIsDrift) {
  Write("relay-domains", "partner.example\n10\n");
  absl::StatusOr<RenderedChange> change = Driver().Render(policy_, Current());
  ASSERT_FALSE(change.ok());
  EXPECT_THAT(change.status().message(),
              HasSubstr(dir_ + "/relay-domains:2: class {R} member 10 lets clients in "
                               "10.0.0.0/8 relay (absent: it is wider than /16"));
  EXPECT_THAT(change.status().message(), HasSubstr("nothing was changed"));
  absl::StatusOr<std::vector<SettingDrift>> drift = Driver().CheckDrift(policy_);
  ASSERT_TRUE(drift.ok()) << drift.status();
  ASSERT_FALSE(drift->empty());
  EXPECT_EQ(drift->back().where, dir_ + "/relay-domains:2");
  EXPECT_FALSE(drift->back().unproven);

  // The narrow member alone stays, reported as kept (with a warning: not a relay domain).
  Write("relay-domains", "partner.example\n");
  change = Driver().Render(policy_, Current());
  ASSERT_TRUE(change.ok()) << change.status();
  EXPECT_THAT(change->kept, ::testing::Contains(HasSubstr("relay-domains:1: partner.example")));
}

TEST_F(SendmailInspectionTest, AnUnreadableRelayDomainsFileIsUnproven) {
  std::filesystem::create_directory(dir_ + "/relay-domains");
  absl::StatusOr<std::vector<SettingDrift>> drift = Driver().CheckDrift(policy_);
  ASSERT_TRUE(drift.ok()) << drift.status();
  ASSERT_FALSE(drift->empty());
  EXPECT_TRUE(drift->back().unproven);
  EXPECT_EQ(drift->back().where, dir_ + "/sendmail.cf:2");
  EXPECT_FALSE(Driver().Render(policy_, Current()).ok());
}

}  // namespace
}  // namespace relayguard::agent::sendmail
