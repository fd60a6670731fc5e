// SendmailDriver's auth part against real Sendmail 8.17 with real Cyrus SASL backends (sasldb2
// and saslauthd from tests/support/sasl_lab.h), in tests/support/mta_sandbox.sh (its private
// /etc holds /etc/sasl2/Sendmail.conf). Render, write, reload, then real SMTP AUTH sessions
// from the untrusted address: the smoke credential relays, a wrong password gets 535, a client
// without AUTH is refused; a broken backend makes PreflightAuth refuse, naming the path.
// The password is a secret: it never appears in an assertion message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "agent/auth/smtp_auth_probe.h"
#include "agent/mta/sendmail/sendmail_driver.h"
#include "agent/os/file_system.h"
#include "agent/os/process_runner.h"
#include "agent/probe/smtp_client.h"
#include "common/clock.h"
#include "tests/support/mta_lab.h"
#include "tests/support/sasl_lab.h"

namespace relayguard::agent::sendmail {
namespace {

using ::relayguard::testing::kSmokeSystemUser;
using ::relayguard::testing::kSmokeUser;
using ::relayguard::testing::MtaRoot;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kSaslConf[] = "/etc/sasl2/Sendmail.conf";
constexpr auto kTimeout = std::chrono::seconds(5);
// A trusted network besides the local host, granted by the lab's access map before the apply.
constexpr char kTrustedPeer[] = "127.0.0.5";
constexpr char kEtcHosts[] = "/etc/hosts";  // the sandbox's copy (RequireSaslSandbox)

// What one SMTP session from `source` got (reply codes only: the texts never carry the secret,
// but the commands do).
struct Session {
  int greeting = 0;
  bool auth_advertised = false;
  int auth = 0;  // 0: no AUTH sent
  int rcpt = 0;
  std::string rcpt_text;
  std::string tls_problem;  // why STARTTLS did not work (the EHLO and replies, no secret)
};

// With `starttls`: STARTTLS after the first EHLO, then EHLO again (the AUTH line counted is the
// one after TLS).
Session RelaySession(int port, const std::string& source, const std::string* user = nullptr,
                     const std::string* password = nullptr, bool starttls = false) {
  Session s;
  SmtpClient client;
  if (!client.Connect({*ParseIpAddress("127.0.0.1"), static_cast<uint16_t>(port)},
                      *ParseIpAddress(source), kTimeout)
           .ok()) {
    return s;
  }
  auto exchange = [&](const std::string& line) -> std::optional<SmtpReply> {
    if (!line.empty() && !client.SendCommand(line).ok()) return std::nullopt;
    absl::StatusOr<SmtpReply> r = client.ReadReply(kTimeout);
    if (!r.ok()) return std::nullopt;
    return *r;
  };
  std::optional<SmtpReply> r = exchange("");
  if (!r) return s;
  s.greeting = r->code;
  r = exchange("EHLO client.lab.test");
  if (!r) return s;
  auto advertises_auth = [](const std::string& ehlo) {
    return ehlo.find("250-AUTH PLAIN LOGIN") != std::string::npos ||
           ehlo.find("250 AUTH PLAIN LOGIN") != std::string::npos;
  };
  s.auth_advertised = advertises_auth(r->text);
  if (starttls) {
    std::string ehlo = r->text;
    r = exchange("STARTTLS");
    if (!r || r->code != 220) {
      s.tls_problem = absl::StrCat("EHLO: ", ehlo, " STARTTLS: ", r ? r->text : "no reply");
      return s;
    }
    if (absl::StatusOr<TlsSessionInfo> tls = client.StartTls(kTimeout); !tls.ok()) {
      s.tls_problem = std::string(tls.status().message());
      return s;
    }
    r = exchange("EHLO client.lab.test");
    if (!r) return s;
    s.auth_advertised = advertises_auth(r->text);
  }
  if (user != nullptr) {
    r = exchange(absl::StrCat("AUTH PLAIN ",
                              absl::Base64Escape(absl::StrCat(std::string(1, '\0'), *user,
                                                              std::string(1, '\0'), *password))));
    if (!r) return s;
    s.auth = r->code;
  }
  r = exchange("MAIL FROM:<sender@example.org>");
  if (!r) return s;
  r = exchange("RCPT TO:<relay-test@example.net>");
  if (!r) return s;
  s.rcpt = r->code;
  s.rcpt_text = r->text;
  exchange("QUIT");
  return s;
}

class SendmailAuthIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::relayguard::testing::RequireSaslSandbox();
    lab_.emplace(/*open=*/false);
    options_.config_dir = lab_->config_dir();
    options_.sendmail_path = MtaRoot() + "/usr/libexec/sendmail/sendmail";
    options_.makemap_path = MtaRoot() + "/usr/libexec/sendmail/makemap";
    options_.cf_dir = MtaRoot() + "/usr/share/sendmail/cf";
    options_.m4_path = "/usr/bin/m4";
    options_.sasl_conf_path = kSaslConf;
    std::filesystem::remove(kSaslConf);  // the sandbox's private /etc; a test starts without it
    lab_->AddAccessLines(absl::StrCat("Connect:", kTrustedPeer, "\tRELAY\n"));
    lab_->AddHostsLines(absl::StrCat(kTrustedPeer, "\tpeer.lab.test\n"));
    // Its PTR: Sendmail asks the resolver, i.e. the sandbox's private /etc/hosts.
    std::ofstream(kEtcHosts, std::ios::app) << kTrustedPeer << "\tpeer.lab.test\n";
    lab_->Rebuild();
    password_ = ::relayguard::testing::RandomPassword();
    policy_.name = "require-auth";
    policy_.version = 1;
    policy_.source = "require-auth.yaml";
    policy_.trusted_networks = {*ParseCidr("127.0.0.1/32"), *ParseCidr("127.0.0.5/32")};
    policy_.require_auth = true;
    AuthSettings auth;
    auth.tls_only = false;  // the lab has no certificate; tls_only is covered by the unit tests
    policy_.auth = auth;
    credential_.username = kSmokeUser;
    credential_.password = Secret(password_);
  }
  void TearDown() override {
    if (lab_) lab_->Stop();
    std::filesystem::remove(kSaslConf);
  }

  SendmailDriver Driver() { return SendmailDriver(options_, fs_, runner_, clock_); }

  // Render, write every file Render gave (a new Sendmail.conf 0644 root:root), reload.
  RenderedChange ApplyPolicy(SendmailDriver& driver) {
    FileContents current;
    for (const std::string& path : driver.ManagedFiles()) current[path] = *fs_.ReadFile(path);
    absl::StatusOr<RenderedChange> change = driver.Render(policy_, current);
    EXPECT_TRUE(change.ok()) << change.status();
    if (!change.ok()) return {};
    for (const auto& [path, text] : change->new_contents) {
      FileInfo info;
      info.mode = 0644;
      if (absl::StatusOr<FileInfo> now = fs_.Stat(path); now.ok()) info = *now;
      EXPECT_TRUE(fs_.WriteFileAtomic(path, text, info).ok()) << path;
    }
    absl::Status reload = driver.Reload(change->needs_restart);
    EXPECT_TRUE(reload.ok()) << reload;
    return *change;
  }

  // The session from the untrusted address, polled while the daemon re-executes itself.
  Session Untrusted(const std::string* user = nullptr, const std::string* password = nullptr) {
    Session s;
    for (int i = 0; i < 30; ++i) {
      s = RelaySession(lab_->port(), "127.0.0.9", user, password);
      if (s.greeting == 220 && s.auth_advertised) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return s;
  }

  // The checks every working backend must pass after the apply.
  void ExpectAuthWorks() {
    const std::string user = kSmokeUser;
    Session good = Untrusted(&user, &password_);
    EXPECT_EQ(good.greeting, 220);
    EXPECT_TRUE(good.auth_advertised);
    EXPECT_EQ(good.auth, 235) << "the smoke credential must authenticate";
    EXPECT_EQ(good.rcpt, 250) << good.rcpt_text;

    const std::string wrong = password_ + "x";
    Session bad = Untrusted(&user, &wrong);
    EXPECT_EQ(bad.auth, 535);
    EXPECT_EQ(bad.rcpt, 550) << bad.rcpt_text;

    Session none = Untrusted();
    EXPECT_EQ(none.rcpt, 550) << none.rcpt_text;
    EXPECT_THAT(none.rcpt_text, HasSubstr("Relaying denied"));
    // require_auth: the trusted network relays only with AUTH now. (Not shown from 127.0.0.1:
    // Sendmail always relays for the local host, whose name "localhost" is in class {w}.)
    Session trusted = RelaySession(lab_->port(), kTrustedPeer);
    EXPECT_EQ(trusted.rcpt, 550) << trusted.rcpt_text;
  }

  void ExpectIdempotent(SendmailDriver& driver) {
    absl::StatusOr<std::vector<SettingDrift>> drift = driver.CheckDrift(policy_);
    ASSERT_TRUE(drift.ok()) << drift.status();
    std::vector<std::string> texts;
    for (const SettingDrift& d : *drift) texts.push_back(DriftText(d));
    EXPECT_THAT(texts, IsEmpty());
    FileContents current;
    for (const std::string& path : driver.ManagedFiles()) current[path] = *fs_.ReadFile(path);
    absl::StatusOr<RenderedChange> again = driver.Render(policy_, current);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_THAT(again->changed_settings, IsEmpty());
  }

  // RunAuthProbe (what the apply's verification and the compliance check use) on the lab's
  // port from the untrusted address: the smoke AUTH relays, every bogus AUTH is refused, nothing
  // breaks the policy's auth section.
  void ExpectProbeHealthy() {
    AuthProbeRequest request;
    request.sender = "sender@example.org";
    request.foreign_recipient = "relay-test@example.net";
    request.credential = credential_;
    request.bogus = {BogusAuth::kWrongPassword, BogusAuth::kUnknownUser,
                     BogusAuth::kRandomPlainBlob, BogusAuth::kMalformedPlain,
                     BogusAuth::kUnsupportedMech};
    ProbeOptions options;
    options.source = *ParseIpAddress("127.0.0.9");
    options.timeout = kTimeout;
    const AuthProbeReport report = RunAuthProbe(
        {*ParseIpAddress("127.0.0.1"), static_cast<uint16_t>(lab_->port())}, request, options);
    ASSERT_FALSE(report.inconclusive) << report.error;
    EXPECT_THAT(AuthProblems(*policy_.auth, report), IsEmpty());
    EXPECT_FALSE(AcceptsBogusAuth(report));
    ASSERT_TRUE(report.smoke.has_value());
    EXPECT_TRUE(report.smoke->authenticated && report.smoke->relayed) << report.smoke->detail;
  }

  // PreflightAuth's refusal of a broken backend.
  void ExpectPreflightRefuses(SendmailDriver& driver, const std::string& path) {
    absl::StatusOr<BackendAnswer> answer = driver.PreflightAuth(policy_, credential_, {}, "");
    ASSERT_FALSE(answer.ok());
    EXPECT_THAT(answer.status().message(), HasSubstr(path));
    EXPECT_THAT(std::string(answer.status().message()),
                ::testing::Not(HasSubstr(password_)));
  }

  std::optional<::relayguard::testing::SendmailLab> lab_;
  SendmailOptions options_;
  RealFileSystem fs_;
  RealProcessRunner runner_;
  RealClock clock_;
  Policy policy_;
  std::string password_;
  SmokeCredential credential_;
};

TEST_F(SendmailAuthIntegrationTest, SasldbBackendAuthenticatesTheSmokeCredential) {
  const std::string sasldb = lab_->dir() + "/sasldb2";
  ::relayguard::testing::MakeSasldb(sasldb, "smoke", "lab.test", password_);
  policy_.auth->backend = SaslBackend::kSasldb;
  policy_.auth->path = sasldb;
  lab_->Start();
  ASSERT_EQ(RelaySession(lab_->port(), kTrustedPeer).rcpt, 250) << "the peer relays before";
  SendmailDriver driver = Driver();
  ASSERT_FALSE(driver.CreatableFiles().empty());
  absl::StatusOr<BackendAnswer> answer = driver.PreflightAuth(policy_, credential_, {}, "");
  if (answer.status().code() != absl::StatusCode::kUnimplemented) {
    EXPECT_TRUE(answer.ok()) << answer.status();
  }
  RenderedChange change = ApplyPolicy(driver);
  EXPECT_THAT(change.changed_settings, ::testing::Contains(std::string(kSaslConf) + " (created)"));
  ExpectAuthWorks();
  ExpectProbeHealthy();
  ExpectIdempotent(driver);

  // The sasldb2 file goes away: AUTH stays advertised but nobody authenticates (NOTES.md).
  std::filesystem::remove(sasldb);
  const std::string user = kSmokeUser;
  Session broken = RelaySession(lab_->port(), "127.0.0.9", &user, &password_);
  EXPECT_TRUE(broken.auth_advertised);
  EXPECT_EQ(broken.auth, 535);
}

TEST_F(SendmailAuthIntegrationTest, PreflightRefusesAMissingSasldbNamingIt) {
  const std::string sasldb = lab_->dir() + "/sasldb2";
  policy_.auth->backend = SaslBackend::kSasldb;
  policy_.auth->path = sasldb;
  SendmailDriver driver = Driver();
  ExpectPreflightRefuses(driver, sasldb);
}

TEST_F(SendmailAuthIntegrationTest, SaslauthdBackendAuthenticatesTheSmokeCredential) {
  ::relayguard::testing::AddSandboxSystemUser(kSmokeSystemUser, password_);
  ::relayguard::testing::Saslauthd saslauthd;
  saslauthd.Start();
  policy_.auth->backend = SaslBackend::kSaslauthd;
  policy_.auth->path = saslauthd.mux_path();
  // An existing Sendmail.conf with the admin's own setting: kept byte for byte.
  std::filesystem::create_directories("/etc/sasl2");
  ASSERT_TRUE(fs_.WriteFileAtomic(kSaslConf, "# site\nlog_level: 3\n", FileInfo{0644}).ok());
  lab_->Start();
  SendmailDriver driver = Driver();
  RenderedChange change = ApplyPolicy(driver);
  EXPECT_EQ(*fs_.ReadFile(kSaslConf),
            "# site\nlog_level: 3\npwcheck_method: saslauthd\nsaslauthd_path: " +
                saslauthd.mux_path() + "\nmech_list: PLAIN LOGIN\n");
  ExpectAuthWorks();
  ExpectIdempotent(driver);

  // saslauthd stopped (it removes its mux): AUTH stays advertised, nobody authenticates.
  saslauthd.Stop();
  const std::string user = kSmokeUser;
  Session broken = RelaySession(lab_->port(), "127.0.0.9", &user, &password_);
  EXPECT_TRUE(broken.auth_advertised);
  EXPECT_EQ(broken.auth, 535);
}

TEST_F(SendmailAuthIntegrationTest, PreflightRefusesAStoppedSaslauthdNamingItsSocket) {
  ::relayguard::testing::AddSandboxSystemUser(kSmokeSystemUser, password_);
  ::relayguard::testing::Saslauthd saslauthd;
  saslauthd.Start();
  policy_.auth->backend = SaslBackend::kSaslauthd;
  policy_.auth->path = saslauthd.mux_path();
  SendmailDriver driver = Driver();
  absl::StatusOr<BackendAnswer> answer = driver.PreflightAuth(policy_, credential_, {}, "");
  if (answer.status().code() != absl::StatusCode::kUnimplemented) {
    EXPECT_TRUE(answer.ok()) << answer.status();
  }
  saslauthd.Stop();
  ExpectPreflightRefuses(driver, saslauthd.mux_path());
}

TEST_F(SendmailAuthIntegrationTest, ASendmailConfChangeAloneTakesEffectOnReload) {
  // sasldb first, with a password saslauthd does not know.
  const std::string sasldb = lab_->dir() + "/sasldb2";
  ::relayguard::testing::MakeSasldb(sasldb, "smoke", "lab.test", password_ + "db");
  policy_.auth->backend = SaslBackend::kSasldb;
  policy_.auth->path = sasldb;
  lab_->Start();
  SendmailDriver driver = Driver();
  ApplyPolicy(driver);
  // Then saslauthd: only Sendmail.conf changes, and the SIGHUP re-exec reads it again.
  ::relayguard::testing::AddSandboxSystemUser(kSmokeSystemUser, password_);
  ::relayguard::testing::Saslauthd saslauthd;
  saslauthd.Start();
  policy_.auth->backend = SaslBackend::kSaslauthd;
  policy_.auth->path = saslauthd.mux_path();
  RenderedChange change = ApplyPolicy(driver);
  EXPECT_FALSE(change.needs_restart);
  EXPECT_THAT(change.changed_settings,
              ::testing::ElementsAre("Sendmail.conf pwcheck_method: saslauthd",
                                     "Sendmail.conf saslauthd_path: " + saslauthd.mux_path()));
  const std::string user = kSmokeUser;
  Session s;
  for (int i = 0; i < 30 && s.auth != 235; ++i) {
    s = RelaySession(lab_->port(), "127.0.0.9", &user, &password_);
    if (s.auth != 235) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(s.auth, 235) << "the saslauthd password must work after the reload";
  EXPECT_EQ(s.rcpt, 250) << s.rcpt_text;
  ExpectIdempotent(driver);
}

TEST_F(SendmailAuthIntegrationTest, AuthOnPlaintextIsDriftUnderTlsOnlyAndApplyMovesItBehindTls) {
  // STARTTLS for the lab: a self-signed certificate named in sendmail.mc.
  const std::string cert = lab_->dir() + "/cert.pem";
  const std::string key = lab_->dir() + "/key.pem";
  Command openssl;
  openssl.argv = {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                  "2", "-subj", "/CN=sendmail.lab.test", "-keyout", key, "-out", cert};
  openssl.timeout = std::chrono::seconds(60);
  absl::StatusOr<ProcessResult> made = runner_.Run(openssl);
  ASSERT_TRUE(made.ok() && made->exit_code == 0) << made.status();
  lab_->AddMcLines(absl::StrCat("define(`confSERVER_CERT', `", cert, "')dnl\n",
                                "define(`confSERVER_KEY', `", key, "')dnl\n",
                                "define(`confCACERT', `", cert, "')dnl\n",
                                "define(`confCACERT_PATH', `", lab_->dir(), "')dnl\n"));
  lab_->Rebuild();
  const std::string sasldb = lab_->dir() + "/sasldb2";
  ::relayguard::testing::MakeSasldb(sasldb, "smoke", "lab.test", password_);
  policy_.auth->backend = SaslBackend::kSasldb;
  policy_.auth->path = sasldb;
  lab_->Start();
  SendmailDriver driver = Driver();
  ApplyPolicy(driver);  // tls_only false: AUTH on plaintext
  const std::string user = kSmokeUser;
  EXPECT_TRUE(Untrusted(&user, &password_).auth_advertised);

  policy_.auth->tls_only = true;
  absl::StatusOr<std::vector<SettingDrift>> drift = driver.CheckDrift(policy_);
  ASSERT_TRUE(drift.ok()) << drift.status();
  ASSERT_EQ(drift->size(), 1u);
  EXPECT_EQ((*drift)[0].setting, "AuthOptions");
  RenderedChange change = ApplyPolicy(driver);
  EXPECT_THAT(change.changed_settings, ::testing::ElementsAre("define(confAUTH_OPTIONS, p,y)"));

  Session plain;
  Session tls;
  for (int i = 0; i < 30; ++i) {
    tls = RelaySession(lab_->port(), "127.0.0.9", &user, &password_, /*starttls=*/true);
    if (tls.auth == 235) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(tls.auth_advertised) << "AUTH after STARTTLS " << tls.tls_problem;
  EXPECT_EQ(tls.auth, 235);
  EXPECT_EQ(tls.rcpt, 250) << tls.rcpt_text;
  plain = RelaySession(lab_->port(), "127.0.0.9", &user, &password_);
  EXPECT_EQ(plain.greeting, 220);
  EXPECT_FALSE(plain.auth_advertised) << "no AUTH PLAIN LOGIN on plaintext";
  EXPECT_NE(plain.auth, 235);
  EXPECT_EQ(plain.rcpt, 550) << plain.rcpt_text;
  ExpectProbeHealthy();
  ExpectIdempotent(driver);
}

TEST_F(SendmailAuthIntegrationTest, ListenersThatShouldNotOfferAuthGetModifierA) {
  const std::string sasldb = lab_->dir() + "/sasldb2";
  ::relayguard::testing::MakeSasldb(sasldb, "smoke", "lab.test", password_);
  const int submission = lab_->AddDaemon("Name=MSA, M=E");
  lab_->Rebuild();
  policy_.auth->backend = SaslBackend::kSasldb;
  policy_.auth->path = sasldb;
  policy_.auth->listeners.relay = false;  // AUTH on the submission port only
  policy_.require_auth = false;           // the trusted network keeps relaying on port 25
  lab_->Start();
  SendmailDriver driver = Driver();
  RenderedChange change = ApplyPolicy(driver);
  EXPECT_THAT(change.changed_settings, ::testing::Contains("DAEMON_OPTIONS(MTA-lab) +M=A"));
  Session sub;
  const std::string user = kSmokeUser;
  for (int i = 0; i < 30 && !sub.auth_advertised; ++i) {
    sub = RelaySession(submission, "127.0.0.9", &user, &password_);
    if (!sub.auth_advertised) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(sub.auth_advertised);
  EXPECT_EQ(sub.auth, 235);
  EXPECT_EQ(sub.rcpt, 250) << sub.rcpt_text;
  Session relay = RelaySession(lab_->port(), "127.0.0.9");
  EXPECT_EQ(relay.greeting, 220);
  EXPECT_FALSE(relay.auth_advertised) << "M=A: no AUTH on the relay port";
  EXPECT_EQ(relay.rcpt, 550) << relay.rcpt_text;
  EXPECT_EQ(RelaySession(lab_->port(), "127.0.0.1").rcpt, 250);
  ExpectIdempotent(driver);
}

}  // namespace
}  // namespace relayguard::agent::sendmail
