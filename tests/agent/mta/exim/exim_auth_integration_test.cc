// EximDriver's SMTP AUTH against real Exim daemons (Debian's light build and exim4-daemon-heavy)
// and real backends (a crypt password file, an auth-only Dovecot), in the sandbox of
// tests/support/mta_sandbox.sh: Render + ValidateStaged + PreflightAuth, then the rendered file
// goes live and real SMTP sessions from the untrusted source prove that the smoke credential
// relays, a bogus one does not, and no one relays without AUTH. Backends that cannot serve are
// refused in preflight with the reason.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "agent/auth/smoke_credential.h"
#include "agent/auth/smtp_auth_probe.h"
#include "agent/mta/exim/exim_authenticators.h"
#include "agent/mta/exim/exim_driver.h"
#include "agent/os/file_system.h"
#include "agent/os/process_runner.h"
#include "agent/probe/smtp_client.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "tests/support/mta_lab.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/sasl_lab.h"
#include "tests/support/wait.h"

namespace relayguard::agent::exim {
namespace {

using ::relayguard::testing::DovecotAuth;
using ::relayguard::testing::EximHeavyBinary;
using ::relayguard::testing::EximLab;
using ::relayguard::testing::kSmokeUser;
using ::relayguard::testing::MakeEximPasswordFile;
using ::relayguard::testing::MtaRoot;
using ::relayguard::testing::RandomPassword;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::WaitFor;
using ::relayguard::testing::WriteFileOrDie;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::chrono::seconds kTimeout{5};

// What one SMTP session from a client address saw.
struct Session {
  bool connected = false;
  bool starttls = false;
  bool auth_advertised = false;  // in the EHLO the AUTH command was sent after
  int auth = 0;                  // reply to AUTH (0: not sent)
  int rcpt = 0;                  // reply to RCPT TO:<victim@example.net>
  std::string error;
};

std::string Message(const absl::StatusOr<BackendAnswer>& answer) {
  return std::string(answer.status().message());
}

std::string PlainBlob(const std::string& user, const std::string& password) {
  std::string blob;
  blob.push_back('\0');
  blob += user;
  blob.push_back('\0');
  blob += password;
  return absl::Base64Escape(blob);
}

// EHLO [STARTTLS, EHLO] [AUTH `auth`] MAIL RCPT QUIT from `source` to 127.0.0.1:`port`.
Session RunSession(int port, const std::string& source, const std::string& auth, bool tls) {
  Session s;
  SmtpClient c;
  SmtpEndpoint endpoint{*ParseIpAddress("127.0.0.1"), static_cast<uint16_t>(port)};
  auto fail = [&](const absl::Status& st) {
    s.error = std::string(st.message());
    return s;
  };
  if (absl::Status st = c.Connect(endpoint, *ParseIpAddress(source), kTimeout); !st.ok()) {
    return fail(st);
  }
  s.connected = true;
  auto command = [&](const std::string& line) -> absl::StatusOr<SmtpReply> {
    if (!line.empty()) RETURN_IF_ERROR(c.SendCommand(line));
    return c.ReadReply(kTimeout);
  };
  absl::StatusOr<SmtpReply> r = command("");
  if (r.ok()) r = command("EHLO client.lab.test");
  if (!r.ok()) return fail(r.status());
  if (tls) {
    r = command("STARTTLS");
    if (!r.ok()) return fail(r.status());
    if (r->code != 220) return fail(absl::UnavailableError(r->text));
    if (absl::StatusOr<TlsSessionInfo> t = c.StartTls(kTimeout); !t.ok()) return fail(t.status());
    s.starttls = true;
    r = command("EHLO client.lab.test");
    if (!r.ok()) return fail(r.status());
  }
  s.auth_advertised = absl::StrContains(r->text, "AUTH ");
  if (!auth.empty()) {
    r = command(auth);
    if (!r.ok()) return fail(r.status());
    s.auth = r->code;
  }
  r = command("MAIL FROM:<probe@lab.test>");
  if (r.ok()) r = command("RCPT TO:<victim@example.net>");
  if (!r.ok()) return fail(r.status());
  s.rcpt = r->code;
  (void)c.SendCommand("QUIT");
  return s;
}

// An Exim lab instance trusting 127.0.0.1, run by `binary`, with the driver for it.
class EximAuthTest : public ::testing::Test {
 protected:
  void SetUpLab(const std::string& binary) {
    binary_ = binary;
    lab_ = std::make_unique<EximLab>("127.0.0.1/32");
    // The daemon re-executes exim_path on SIGHUP: the binary under test.
    std::string conf = ReadFileOrDie(lab_->config_file());
    const std::string light = MtaRoot() + "/usr/sbin/exim4";
    conf.replace(conf.find(light), light.size(), binary);
    WriteFileOrDie(lab_->config_file(), conf);
    stage_ = lab_->dir() + "/stage";
    std::filesystem::create_directories(stage_);
    // The staged copies are run with -C as root: trusted like the lab's own file.
    std::ofstream trusted("/etc/exim4/trusted_configs", std::ios::app);
    for (const char* name : {"/exim4.conf", "/exim4-auth-preflight.conf"}) {
      trusted << stage_ << name << "\n";
    }
    trusted.close();
    EximOptions options;
    options.config_file = lab_->config_file();
    options.exim_path = binary;
    driver_ = std::make_unique<EximDriver>(options, fs_, runner_, clock_);
    ASSERT_TRUE(driver_->Reload(/*restart=*/true).ok());
    ASSERT_TRUE(WaitForPort());
    password_ = RandomPassword();
    credential_.username = kSmokeUser;
    credential_.password = Secret(password_);
    credential_.source = lab_->dir() + "/smoke-credential";
  }

  void TearDown() override {
    if (lab_) lab_->Stop();
  }

  bool WaitForPort() {
    return WaitFor([&] { return RunSession(lab_->port(), "127.0.0.1", "", false).connected; },
                   std::chrono::seconds(10));
  }

  Policy AuthPolicy(SaslBackend backend, const std::string& path, bool tls_only) {
    Policy p;
    p.name = "require-auth";
    p.version = 1;
    p.trusted_networks = {*ParseCidr("127.0.0.1/32")};
    p.require_auth = true;
    p.probe = DefaultProbeSettings();
    AuthSettings a;
    a.backend = backend;
    a.path = path;
    a.tls_only = tls_only;
    a.smoke_credential = credential_.source;
    p.auth = a;
    return p;
  }

  // Render, ValidateStaged and PreflightAuth as the apply transaction runs them; the rendered
  // contents in *rendered.
  absl::StatusOr<BackendAnswer> Preflight(const Policy& policy, FileContents* rendered) {
    FileContents current = {{lab_->config_file(), ReadFileOrDie(lab_->config_file())}};
    ASSIGN_OR_RETURN(RenderedChange change, driver_->Render(policy, current));
    *rendered = change.new_contents;
    ASSIGN_OR_RETURN(BackendAnswer answer,
                     driver_->PreflightAuth(policy, credential_, change.new_contents, stage_));
    RETURN_IF_ERROR(driver_->ValidateStaged(change.new_contents, stage_));
    return answer;
  }

  // The rendered file goes live; the daemon reloads.
  void Activate(const FileContents& rendered) {
    WriteFileOrDie(lab_->config_file(), rendered.at(lab_->config_file()));
    ASSERT_TRUE(driver_->Reload(/*restart=*/true).ok());
    ASSERT_TRUE(WaitForPort());
  }

  std::string GoodPlain() const { return "AUTH PLAIN " + PlainBlob(kSmokeUser, password_); }

  // The smoke credential relays, a wrong password and a stranger's blob do not, no one relays
  // without AUTH (127.0.0.1 lost relaying under require_auth).
  void ExpectAuthGuardsTheRelay(bool tls) {
    Session good = RunSession(lab_->port(), "127.0.0.9", GoodPlain(), tls);
    ASSERT_TRUE(good.connected) << good.error;
    EXPECT_TRUE(good.auth_advertised);
    EXPECT_EQ(good.auth, 235);
    EXPECT_EQ(good.rcpt, 250);
    Session wrong = RunSession(lab_->port(), "127.0.0.29",
                               "AUTH PLAIN " + PlainBlob(kSmokeUser, "wrong-" + password_), tls);
    EXPECT_EQ(wrong.auth, 535) << wrong.error;
    EXPECT_GE(wrong.rcpt, 500) << "relaying after a failed AUTH";
    Session bogus = RunSession(lab_->port(), "127.0.0.30",
                               "AUTH PLAIN " + PlainBlob("nosuchuser", "bogus"), tls);
    EXPECT_EQ(bogus.auth, 535) << bogus.error;
    EXPECT_GE(bogus.rcpt, 500);
    for (const char* source : {"127.0.0.9", "127.0.0.1"}) {
      Session none = RunSession(lab_->port(), source, "", tls);
      EXPECT_GE(none.rcpt, 500) << source << " relays without AUTH";
    }
    // relayguard's own AUTH probe (what the apply's verification runs) agrees.
    Listener listener;
    listener.endpoint = {*ParseIpAddress("127.0.0.1"), static_cast<uint16_t>(lab_->port())};
    const ProbeSettings probe = DefaultProbeSettings();
    AuthProbeRequest request;
    request.sender = probe.sender;
    request.foreign_recipient = probe.foreign_recipient;
    request.credential = credential_;
    request.bogus = {BogusAuth::kWrongPassword, BogusAuth::kUnknownUser,
                     BogusAuth::kRandomPlainBlob, BogusAuth::kMalformedPlain,
                     BogusAuth::kUnsupportedMech};
    const AuthProbeReport report = RunAuthProbe(
        listener.endpoint, request, ListenerProbeOptions(probe, ProbeSource::kUntrusted, listener));
    EXPECT_FALSE(report.inconclusive) << report.error;
    AuthSettings auth;
    auth.tls_only = tls;
    for (const std::string& problem : AuthProblems(auth, report)) ADD_FAILURE() << problem;
    EXPECT_FALSE(AcceptsBogusAuth(report));
  }

  // Nothing of the secret in what the driver kept.
  void ExpectTraceRedacted() {
    const std::string trace = ReadFileOrDie(stage_ + "/exim-auth-preflight.trace");
    EXPECT_TRUE(trace.find(password_) == std::string::npos) << "the trace holds the password";
    EXPECT_TRUE(trace.find(PlainBlob(kSmokeUser, password_)) == std::string::npos);
    EXPECT_THAT(trace, HasSubstr("<secret>"));
  }

  std::string binary_;
  std::string stage_;
  std::string password_;
  SmokeCredential credential_;
  std::unique_ptr<EximLab> lab_;
  RealFileSystem fs_;
  RealProcessRunner runner_;
  RealClock clock_;
  std::unique_ptr<EximDriver> driver_;
};

TEST_F(EximAuthTest, LightEximWithAPasswordFileRelaysOnlyForTheSmokeCredential) {
  SetUpLab(MtaRoot() + "/usr/sbin/exim4");
  const std::string passwd = lab_->dir() + "/exim-passwd";
  MakeEximPasswordFile(passwd, kSmokeUser, password_);
  const Policy policy = AuthPolicy(SaslBackend::kPasswordFile, passwd, /*tls_only=*/false);
  FileContents rendered;
  absl::StatusOr<BackendAnswer> answer = Preflight(policy, &rendered);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_TRUE(answer->credential_checked);
  ExpectTraceRedacted();
  Activate(rendered);
  ExpectAuthGuardsTheRelay(/*tls=*/false);
  // Idempotent, and compliant.
  FileContents live = {{lab_->config_file(), ReadFileOrDie(lab_->config_file())}};
  absl::StatusOr<RenderedChange> again = driver_->Render(policy, live);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->new_contents == live);
  absl::StatusOr<std::vector<SettingDrift>> drift = driver_->CheckDrift(policy);
  ASSERT_TRUE(drift.ok()) << drift.status();
  for (const SettingDrift& d : *drift) ADD_FAILURE() << DriftText(d);
}

TEST_F(EximAuthTest, LightEximRefusesTheDovecotBackendInPreflight) {
  SetUpLab(MtaRoot() + "/usr/sbin/exim4");
  const Policy policy =
      AuthPolicy(SaslBackend::kDovecot, lab_->dir() + "/auth-client", /*tls_only=*/false);
  const std::string before = ReadFileOrDie(lab_->config_file());
  FileContents rendered;
  absl::StatusOr<BackendAnswer> answer = Preflight(policy, &rendered);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(answer),
              HasSubstr("this Exim build has no dovecot authenticator (exim -bV: cram_md5 "
                        "external plaintext); install exim4-daemon-heavy or use auth.backend "
                        "password-file"));
  EXPECT_TRUE(ReadFileOrDie(lab_->config_file()) == before);
  // Mail still flows as before.
  EXPECT_EQ(RunSession(lab_->port(), "127.0.0.1", "", false).rcpt, 250);
}

TEST_F(EximAuthTest, PreflightRefusesAPasswordFileWithoutTheSmokeUser) {
  SetUpLab(MtaRoot() + "/usr/sbin/exim4");
  const std::string passwd = lab_->dir() + "/exim-passwd";
  MakeEximPasswordFile(passwd, "someone@lab.test", password_);
  // The backend check would catch this first; the -bh session must catch it on its own too.
  driver_ = std::make_unique<EximDriver>(
      [&] {
        EximOptions o;
        o.config_file = lab_->config_file();
        o.exim_path = binary_;
        return o;
      }(),
      fs_, runner_, clock_,
      [](const AuthSettings&, const SmokeCredential&, const MtaUser&,
         std::chrono::milliseconds) -> absl::StatusOr<BackendAnswer> {
        return BackendAnswer{"skipped", {}, false};
      });
  FileContents rendered;
  absl::StatusOr<BackendAnswer> answer =
      Preflight(AuthPolicy(SaslBackend::kPasswordFile, passwd, false), &rendered);
  ASSERT_FALSE(answer.ok());
  EXPECT_THAT(Message(answer), HasSubstr("AUTH got \"535 Incorrect authentication data\""));
  EXPECT_TRUE(Message(answer).find(password_) == std::string::npos) << "the password in a Status";
  ExpectTraceRedacted();
}

TEST_F(EximAuthTest, HeavyEximWithDovecotRelaysOnlyForTheSmokeCredential) {
  SetUpLab(EximHeavyBinary());
  DovecotAuth dovecot(kSmokeUser, password_);
  dovecot.Start();
  const Policy policy = AuthPolicy(SaslBackend::kDovecot, dovecot.socket_path(), false);
  FileContents rendered;
  absl::StatusOr<BackendAnswer> answer = Preflight(policy, &rendered);
  ASSERT_TRUE(answer.ok()) << answer.status();
  ExpectTraceRedacted();
  Activate(rendered);
  ExpectAuthGuardsTheRelay(/*tls=*/false);
  lab_->Stop();
  dovecot.Stop();
}

TEST_F(EximAuthTest, HeavyEximRefusesAMissingDovecotSocketInPreflight) {
  SetUpLab(EximHeavyBinary());
  const std::string missing = lab_->dir() + "/no-such-socket";
  // The -bh session alone (the backend check would refuse the missing socket first).
  driver_ = std::make_unique<EximDriver>(
      [&] {
        EximOptions o;
        o.config_file = lab_->config_file();
        o.exim_path = binary_;
        return o;
      }(),
      fs_, runner_, clock_,
      [](const AuthSettings&, const SmokeCredential&, const MtaUser&,
         std::chrono::milliseconds) -> absl::StatusOr<BackendAnswer> {
        return BackendAnswer{"skipped", {}, false};
      });
  const std::string before = ReadFileOrDie(lab_->config_file());
  FileContents rendered;
  absl::StatusOr<BackendAnswer> answer =
      Preflight(AuthPolicy(SaslBackend::kDovecot, missing, false), &rendered);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(answer), HasSubstr("AUTH got \"435 Unable to authenticate at present\""));
  EXPECT_THAT(Message(answer), HasSubstr(missing));
  EXPECT_TRUE(ReadFileOrDie(lab_->config_file()) == before);
  // With the real backend check, the missing socket is refused before any session.
  driver_ = std::make_unique<EximDriver>(
      [&] {
        EximOptions o;
        o.config_file = lab_->config_file();
        o.exim_path = binary_;
        return o;
      }(),
      fs_, runner_, clock_);
  answer = Preflight(AuthPolicy(SaslBackend::kDovecot, missing, false), &rendered);
  ASSERT_FALSE(answer.ok());
  EXPECT_THAT(Message(answer), HasSubstr(missing));
}

TEST_F(EximAuthTest, OffersAuthOnlyOnTheListenersThePolicyNames) {
  SetUpLab(MtaRoot() + "/usr/sbin/exim4");
  // A second port; AUTH (LOGIN only) on that one alone.
  const int submission = ::relayguard::testing::FreeLoopbackPort();
  std::string conf = ReadFileOrDie(lab_->config_file());
  const std::string ports = "daemon_smtp_ports  = " + std::to_string(lab_->port());
  conf.replace(conf.find(ports), ports.size(), ports + " : " + std::to_string(submission));
  WriteFileOrDie(lab_->config_file(), conf);
  const std::string passwd = lab_->dir() + "/exim-passwd";
  MakeEximPasswordFile(passwd, kSmokeUser, password_);
  Policy policy = AuthPolicy(SaslBackend::kPasswordFile, passwd, /*tls_only=*/false);
  policy.auth->mechanisms = {AuthMechanism::kLogin};
  policy.auth->listeners.relay = false;
  policy.auth->listeners.submission = false;
  policy.auth->listeners.endpoints = {
      {*ParseIpAddress("127.0.0.1"), static_cast<uint16_t>(submission)}};
  FileContents rendered;
  absl::StatusOr<BackendAnswer> answer = Preflight(policy, &rendered);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_THAT(rendered.at(lab_->config_file()),
              HasSubstr("server_advertise_condition = ${if eq{$received_port}{" +
                        std::to_string(submission) + "}{yes}{no}}"));
  Activate(rendered);
  Session on_25 = RunSession(lab_->port(), "127.0.0.9", "", false);
  ASSERT_TRUE(on_25.connected) << on_25.error;
  EXPECT_FALSE(on_25.auth_advertised);
  Session on_submission = RunSession(submission, "127.0.0.9", "", false);
  ASSERT_TRUE(on_submission.connected) << on_submission.error;
  EXPECT_TRUE(on_submission.auth_advertised);
  EXPECT_GE(on_submission.rcpt, 500);
}

TEST_F(EximAuthTest, TlsOnlyOnAnEximWithoutStartTlsIsRefusedInPreflight) {
  SetUpLab(MtaRoot() + "/usr/sbin/exim4");  // the lab sets tls_advertise_hosts empty
  const std::string passwd = lab_->dir() + "/exim-passwd";
  MakeEximPasswordFile(passwd, kSmokeUser, password_);
  FileContents rendered;
  absl::StatusOr<BackendAnswer> answer =
      Preflight(AuthPolicy(SaslBackend::kPasswordFile, passwd, /*tls_only=*/true), &rendered);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(answer), HasSubstr("auth.tls_only: " + lab_->config_file() +
                                         " sets tls_advertise_hosts empty"));
  EXPECT_THAT(Message(answer), HasSubstr("or set auth.tls_only: false"));
}

TEST_F(EximAuthTest, TlsOnlyOffersAuthOnlyAfterStartTls) {
  SetUpLab(MtaRoot() + "/usr/sbin/exim4");
  const std::string cert = lab_->dir() + "/tls-cert.pem";
  const std::string key = lab_->dir() + "/tls-key.pem";
  std::string out;
  ASSERT_EQ(RunCommand({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days",
                        "1", "-subj", "/CN=mx.lab.test"},
                       &out),
            0)
      << out;
  std::filesystem::permissions(key, std::filesystem::perms(0644));
  std::string conf = ReadFileOrDie(lab_->config_file());
  const std::string no_tls = "tls_advertise_hosts =\n";
  conf.replace(
      conf.find(no_tls), no_tls.size(),
      "tls_advertise_hosts = *\ntls_certificate = " + cert + "\ntls_privatekey = " + key + "\n");
  WriteFileOrDie(lab_->config_file(), conf);
  const std::string passwd = lab_->dir() + "/exim-passwd";
  MakeEximPasswordFile(passwd, kSmokeUser, password_);
  const Policy policy = AuthPolicy(SaslBackend::kPasswordFile, passwd, /*tls_only=*/true);
  FileContents rendered;
  absl::StatusOr<BackendAnswer> answer = Preflight(policy, &rendered);
  ASSERT_TRUE(answer.ok()) << answer.status();
  Activate(rendered);
  // Plaintext: no AUTH offered, and AUTH is refused.
  Session plain = RunSession(lab_->port(), "127.0.0.9", GoodPlain(), /*tls=*/false);
  ASSERT_TRUE(plain.connected) << plain.error;
  EXPECT_FALSE(plain.auth_advertised);
  EXPECT_GE(plain.auth, 500);
  EXPECT_GE(plain.rcpt, 500);
  ExpectAuthGuardsTheRelay(/*tls=*/true);

  // AUTH on plaintext although the policy says TLS only: found by the compliance check, fixed
  // by Render.
  Policy plaintext = policy;
  plaintext.auth->tls_only = false;
  FileContents live = {{lab_->config_file(), ReadFileOrDie(lab_->config_file())}};
  absl::StatusOr<RenderedChange> loosened = driver_->Render(plaintext, live);
  ASSERT_TRUE(loosened.ok()) << loosened.status();
  WriteFileOrDie(lab_->config_file(), loosened->new_contents.at(lab_->config_file()));
  absl::StatusOr<std::vector<SettingDrift>> drift = driver_->CheckDrift(policy);
  ASSERT_TRUE(drift.ok()) << drift.status();
  bool found = false;
  for (const SettingDrift& d : *drift) found |= d.setting == "AUTH on plaintext";
  EXPECT_TRUE(found);
  FileContents now = {{lab_->config_file(), ReadFileOrDie(lab_->config_file())}};
  absl::StatusOr<RenderedChange> fixed = driver_->Render(policy, now);
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  EXPECT_TRUE(fixed->new_contents == rendered);
}

}  // namespace
}  // namespace relayguard::agent::exim
