// require_auth end to end on a real Exim run the Debian way (EximDebianLab: the private
// /etc/exim4 with Debian's conf.d and template, update-exim4.conf.conf, the daemon on the
// configuration update-exim4.conf generates), with Exim's plaintext authenticator over a crypt
// password file: relayguard-agent writes its authenticators to conf.d/auth/05_relayguard_auth
// (split) or into exim4.conf.template (non-split), proves them (untrusted refused without AUTH,
// bogus AUTH refused, the smoke credential relays), and `rollback` restores every byte of
// /etc/exim4, removing the file it created. A missing backend, a TLS-only policy without
// MAIN_TLS_ENABLE, and a Debian ACL without `accept authenticated = *` are refused before
// anything changes. The secret never shows in the agent's output or backup history.
// Runs in tests/support/mta_sandbox.sh (private /etc).
#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "agent/auth/smtp_auth_probe.h"
#include "tests/support/auth_checks.h"
#include "tests/support/mta_lab.h"
#include "tests/support/relay_checks.h"
#include "tests/support/sasl_lab.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::DovecotAuth;
using ::relayguard::testing::EximDebianLab;
using ::relayguard::testing::EximHeavyBinary;
using ::relayguard::testing::kSmokeUser;
using ::relayguard::testing::LabTempDir;
using ::relayguard::testing::MakeEximPasswordFile;
using ::relayguard::testing::MtaRoot;
using ::relayguard::testing::RandomPassword;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::WriteFileOrDie;
using ::relayguard::testing::WriteSmokeCredentialFile;
using ::testing::HasSubstr;

constexpr char kDebianDir[] = "/etc/exim4";
constexpr char kAuthFile[] = "/etc/exim4/conf.d/auth/05_relayguard_auth";
constexpr char kTemplate[] = "/etc/exim4/exim4.conf.template";
constexpr char kRcptAcl[] = "/etc/exim4/conf.d/acl/30_exim4-config_check_rcpt";

// Every regular file under `dir` with its contents: what a rollback must give back.
std::map<std::string, std::string> Tree(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[e.path().string()] = ReadFileOrDie(e.path().string());
  }
  return out;
}

// `split`: Debian's split configuration (the lab's own); else the same lab made non-split: its
// sandbox settings moved from conf.d/main/000_localmacros to exim4.conf.localmacros and the
// template's exim_path pointed at the unpacked binary, as exim-instance.sh does for conf.d.
class EximDebianRequireAuthTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (!GetParam()) MakeNonSplit();
    lab_.Start();
    password_ = RandomPassword();
    backend_file_ = dir_.path() + "/exim-passwd";
    MakeEximPasswordFile(backend_file_, kSmokeUser, password_);
    credential_ = WriteSmokeCredentialFile(dir_.path(), kSmokeUser, password_);
    policy_ = WritePolicy(/*tls_only=*/false);
    before_ = Tree(kDebianDir);
  }

  void MakeNonSplit() {
    const std::string conf = std::string(kDebianDir) + "/update-exim4.conf.conf";
    WriteFileOrDie(conf, absl::StrReplaceAll(ReadFileOrDie(conf),
                                             {{"dc_use_split_config='true'",
                                               "dc_use_split_config='false'"}}));
    const std::string macros = std::string(kDebianDir) + "/conf.d/main/000_localmacros";
    WriteFileOrDie(std::string(kDebianDir) + "/exim4.conf.localmacros", ReadFileOrDie(macros));
    std::filesystem::remove(macros);
    WriteFileOrDie(kTemplate, absl::StrReplaceAll(ReadFileOrDie(kTemplate),
                                                  {{"\nexim_path = /usr/sbin/exim4\n",
                                                    "\nexim_path = " + MtaRoot() +
                                                        "/usr/sbin/exim4\n"}}));
    Regenerate();
  }

  // update-exim4.conf again after a change by hand, as an admin runs it.
  void Regenerate() {
    std::string out;
    ASSERT_EQ(RunCommand({MtaRoot() + "/usr/sbin/update-exim4.conf", "-d", kDebianDir, "-o",
                          lab_.daemon_config()},
                         &out),
              0)
        << out;
  }

  std::string WritePolicy(bool tls_only, const std::string& backend = "password-file",
                          const std::string& backend_path = "") {
    const std::string path =
        absl::StrCat(dir_.path(), "/", backend, tls_only ? "-tls-only.yaml" : ".yaml");
    WriteFileOrDie(path, absl::StrCat(
        "name: require-auth-debian\nversion: 1\n"
        "relay:\n  trusted_networks: [127.0.0.1/32]\n  require_auth: true\n"
        "auth:\n  backend: ", backend, "\n  path: ",
        backend_path.empty() ? backend_file_ : backend_path, "\n",
        "  mechanisms: [PLAIN, LOGIN]\n",
        "  tls_only: ", tls_only ? "true" : "false", "\n",
        "  smoke_credential: ", credential_, "\n",
        "probe:\n  untrusted_source: 127.0.0.9\n  trusted_source: 127.0.0.1\n"));
    return path;
  }

  // `bin_dir`: the agent's --mta-bin-dir instead of the lab's.
  int Agent(const std::vector<std::string>& args, std::string* out,
            const std::string& bin_dir = "") {
    std::vector<std::string> argv = lab_.AgentArgv(args);
    if (!bin_dir.empty()) {
      auto flag = std::find(argv.begin(), argv.end(), "--mta-bin-dir");
      EXPECT_NE(flag, argv.end());
      if (flag != argv.end()) *(flag + 1) = bin_dir;
    }
    int rc = RunCommand(argv, out);
    ::relayguard::testing::ExpectNoSecret(*out, kSmokeUser, password_);
    return rc;
  }
  void ExpectAuthGuardsTheRelay() {
    AuthProbeReport auth =
        ::relayguard::testing::AuthFromUntrusted(lab_.port(), kSmokeUser, password_);
    ASSERT_FALSE(auth.inconclusive) << auth.error;
    EXPECT_THAT(auth.mechanisms_plain, ::testing::Contains("PLAIN"));
    ASSERT_TRUE(auth.smoke.has_value());
    EXPECT_TRUE(auth.smoke->authenticated);
    EXPECT_TRUE(auth.smoke->relayed);
    ASSERT_EQ(auth.bogus.size(), 2u);
    for (const AuthAttempt& a : auth.bogus) {
      EXPECT_FALSE(a.authenticated) << a.name;
      EXPECT_FALSE(a.relayed) << a.name;
    }
    EXPECT_EQ(::relayguard::testing::ProbeFrom(lab_.port(), "127.0.0.9").verdict,
              ProbeVerdict::kRefused);
  }
  void ExpectTreeUntouched() { EXPECT_TRUE(Tree(kDebianDir) == before_) << "/etc/exim4 changed"; }
  void ExpectMailStillFlows() {
    EXPECT_EQ(::relayguard::testing::ProbeFrom(lab_.port(), "127.0.0.1").verdict,
              ProbeVerdict::kRelayAccepted)
        << "mail still flows";
  }

  EximDebianLab lab_;
  LabTempDir dir_;
  std::string password_;
  std::string backend_file_;
  std::string credential_;
  std::string policy_;
  std::map<std::string, std::string> before_;
};

INSTANTIATE_TEST_SUITE_P(Debian, EximDebianRequireAuthTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Split" : "NonSplit";
                         });

TEST_P(EximDebianRequireAuthTest, AppliedWithAWorkingBackendItIsProvenAndRolledBackByteForByte) {
  std::string out;
  int rc = Agent({"--log-level", "debug", "apply", "--policy", policy_}, &out);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("APPLIED"));
  EXPECT_THAT(out, HasSubstr("SASL backend:"));
  EXPECT_THAT(out, HasSubstr("clients on this host still relay without authenticating"));
  if (GetParam()) {
    ASSERT_TRUE(std::filesystem::exists(kAuthFile)) << out;
    EXPECT_THAT(ReadFileOrDie(kAuthFile), HasSubstr("relayguard_plain:"));
    EXPECT_EQ(ReadFileOrDie(kTemplate), before_[kTemplate]);
  } else {
    EXPECT_FALSE(std::filesystem::exists(kAuthFile));
    EXPECT_THAT(ReadFileOrDie(kTemplate), HasSubstr("begin authenticators\n\n# relayguard: "));
  }
  EXPECT_THAT(ReadFileOrDie(lab_.daemon_config()), HasSubstr("relayguard_login:"));

  ExpectAuthGuardsTheRelay();

  rc = Agent({"check", "--policy", policy_}, &out);
  EXPECT_EQ(rc, 0) << out;
  rc = Agent({"rollback"}, &out);
  ASSERT_EQ(rc, 0) << out;
  ExpectTreeUntouched();
  EXPECT_FALSE(std::filesystem::exists(kAuthFile));
  std::string history;
  RunCommand({"/usr/bin/git", "-C", lab_.state_dir() + "/backup", "log", "-p", "--all"},
             &history);
  ::relayguard::testing::ExpectNoSecret(history, kSmokeUser, password_);
}

TEST_P(EximDebianRequireAuthTest, CheckFindsAuthenticatorsRemovedByHandWhereRelayguardWritesThem) {
  std::string out;
  ASSERT_EQ(Agent({"apply", "--policy", policy_}, &out), 0) << out;
  // An admin takes relayguard's authenticators out and regenerates.
  if (GetParam()) {
    std::filesystem::remove(kAuthFile);
  } else {
    WriteFileOrDie(kTemplate, before_[kTemplate]);
  }
  Regenerate();
  int rc = Agent({"check", "--policy", policy_}, &out);
  EXPECT_NE(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("authenticator PLAIN is \"missing\""));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("(", GetParam() ? kAuthFile : kTemplate, ")")));
}

TEST_P(EximDebianRequireAuthTest, HeavyEximWithDovecotIsProvenAndRolledBackByteForByte) {
  // exim4-daemon-heavy (the dovecot driver) beside the package's update-exim4.conf.
  const std::string bin = dir_.path() + "/heavy-bin";
  std::filesystem::create_directories(bin);
  std::filesystem::create_symlink(EximHeavyBinary(), bin + "/exim4");
  std::filesystem::create_symlink(MtaRoot() + "/usr/sbin/update-exim4.conf",
                                  bin + "/update-exim4.conf");
  // The daemon re-executes exim_path on SIGHUP: the heavy binary, from its next start on.
  lab_.Stop();
  const std::string file =
      GetParam() ? std::string(kDebianDir) + "/conf.d/main/01_exim4-config_listmacrosdefs"
                 : kTemplate;
  const std::string light = "exim_path = " + MtaRoot() + "/usr/sbin/exim4\n";
  const std::string text = ReadFileOrDie(file);
  ASSERT_THAT(text, HasSubstr(light));
  WriteFileOrDie(file, absl::StrReplaceAll(
                           text, {{light, "exim_path = " + EximHeavyBinary() + "\n"}}));
  Regenerate();
  lab_.Start();
  before_ = Tree(kDebianDir);
  DovecotAuth dovecot(kSmokeUser, password_);
  dovecot.Start();
  const std::string policy = WritePolicy(false, "dovecot", dovecot.socket_path());

  std::string out;
  int rc = Agent({"apply", "--policy", policy}, &out, bin);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("APPLIED"));
  EXPECT_THAT(ReadFileOrDie(lab_.daemon_config()), HasSubstr("driver = dovecot"));
  ExpectAuthGuardsTheRelay();
  rc = Agent({"check", "--policy", policy}, &out, bin);
  EXPECT_EQ(rc, 0) << out;
  rc = Agent({"rollback"}, &out, bin);
  ASSERT_EQ(rc, 0) << out;
  ExpectTreeUntouched();
  EXPECT_FALSE(std::filesystem::exists(kAuthFile));
  lab_.Stop();  // before Dovecot (sasl_lab.h)
  dovecot.Stop();
}

TEST_P(EximDebianRequireAuthTest, MissingBackendIsRefusedInPreflightAndNothingChanges) {
  std::filesystem::remove(backend_file_);
  std::string out;
  int rc = Agent({"apply", "--policy", policy_}, &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr(backend_file_));
  EXPECT_THAT(out, HasSubstr("nothing was changed"));
  ExpectTreeUntouched();
  ExpectMailStillFlows();
}

TEST_P(EximDebianRequireAuthTest, TlsOnlyWithoutMainTlsEnableIsRefusedInPreflight) {
  std::string out;
  int rc = Agent({"apply", "--policy", WritePolicy(/*tls_only=*/true)}, &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr("MAIN_TLS_ENABLE"));
  EXPECT_THAT(out, HasSubstr(GetParam() ? "/etc/exim4/conf.d/main/000_localmacros"
                                        : "/etc/exim4/exim4.conf.localmacros"));
  EXPECT_THAT(out, HasSubstr("nothing was changed"));
  ExpectTreeUntouched();
  ExpectMailStillFlows();
}

TEST_P(EximDebianRequireAuthTest, AnAclWithoutAcceptAuthenticatedIsRefusedWithItsLine) {
  // The admin removed Debian's `accept authenticated = *` (from conf.d or the template).
  const std::string file = GetParam() ? kRcptAcl : kTemplate;
  const std::string stock = ReadFileOrDie(file);
  const std::string statement =
      "  accept\n    authenticated = *\n    control = submission/sender_retain\n"
      "    control = dkim_disable_verify\n";
  ASSERT_THAT(stock, HasSubstr(statement));
  WriteFileOrDie(file, absl::StrReplaceAll(stock, {{statement, ""}}));
  Regenerate();
  before_ = Tree(kDebianDir);
  std::string out;
  int rc = Agent({"apply", "--policy", policy_}, &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_THAT(out, HasSubstr(file + ":"));
  EXPECT_THAT(out, HasSubstr("accept authenticated = *"));
  EXPECT_THAT(out, HasSubstr("nothing was changed"));
  ExpectTreeUntouched();
}

}  // namespace
}  // namespace relayguard::agent
