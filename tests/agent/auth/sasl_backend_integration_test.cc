// The SASL backend checks against the real daemons of tests/support/sasl_lab.h (Dovecot 2.3
// auth-only, Cyrus saslauthd, a sasldb2 file made by saslpasswd2, Exim's crypt password file),
// inside the MTA sandbox. The lab password never goes into an assertion message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include "agent/auth/sasl_backend.h"
#include "tests/support/sasl_lab.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::DovecotAuth;
using ::relayguard::testing::kSmokeSystemUser;
using ::relayguard::testing::kSmokeUser;
using ::relayguard::testing::RandomPassword;
using ::relayguard::testing::Saslauthd;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

SmokeCredential Credential(const std::string& password, const std::string& user = kSmokeUser) {
  SmokeCredential c;
  c.username = user;
  c.password = Secret(password);
  c.source = "(test)";
  return c;
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

// A message must never hold the password: checked without printing it.
void ExpectNoPassword(const std::string& text, const std::string& password) {
  EXPECT_TRUE(text.find(password) == std::string::npos) << "the password is in a message";
}

class SaslBackendIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override { ::relayguard::testing::RequireSaslSandbox(); }
  const std::string password_ = RandomPassword();
};

TEST_F(SaslBackendIntegrationTest, DovecotGoodWrongAndStopped) {
  DovecotAuth dovecot(kSmokeUser, password_);
  dovecot.Start();
  absl::StatusOr<BackendAnswer> a =
      CheckDovecotAuth(dovecot.socket_path(), {AuthMechanism::kPlain, AuthMechanism::kLogin},
                       Credential(password_), kPreflightRemoteIp, 10s);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->credential_checked);
  EXPECT_THAT(a->mechanisms, ElementsAre("PLAIN", "LOGIN"));
  EXPECT_THAT(a->summary, HasSubstr("dovecot 1."));

  a = CheckDovecotAuth(dovecot.socket_path(), {AuthMechanism::kPlain}, Credential("wrong-pw"),
                       kPreflightRemoteIp, 10s);
  ASSERT_TRUE(absl::IsFailedPrecondition(a.status())) << a.status();
  EXPECT_THAT(Message(a.status()), HasSubstr("refused the smoke credential for user " +
                                             std::string(kSmokeUser)));

  // Through the whole preflight, as Postfix's user.
  AuthSettings auth;
  auth.backend = SaslBackend::kDovecot;
  auth.path = dovecot.socket_path();
  // The wrong password above costs 127.0.0.1 Dovecot's penalty: this one may wait up to 4 s.
  a = CheckSaslBackend(auth, Credential(password_), MtaUser{"postfix"}, 10s);
  ASSERT_TRUE(a.ok()) << a.status();
  ExpectNoPassword(a->summary, password_);

  dovecot.Stop();  // the socket file stays behind
  a = CheckDovecotAuth(dovecot.socket_path(), {AuthMechanism::kPlain}, Credential(password_),
                       kPreflightRemoteIp, 5s);
  ASSERT_TRUE(absl::IsUnavailable(a.status())) << a.status();
  EXPECT_THAT(Message(a.status()), HasSubstr("connection refused: is dovecot running?"));
  a = CheckSaslBackend(auth, Credential(password_), MtaUser{"postfix"}, 5s);
  EXPECT_THAT(Message(a.status()), HasSubstr("connection refused"));
}

TEST_F(SaslBackendIntegrationTest, DovecotSocketMissing) {
  DovecotAuth dovecot(kSmokeUser, password_);
  const std::string missing = dovecot.dir() + "/no-such-socket";
  absl::StatusOr<BackendAnswer> a = CheckDovecotAuth(missing, {AuthMechanism::kPlain},
                                                     Credential(password_), "127.0.0.1", 5s);
  ASSERT_TRUE(absl::IsUnavailable(a.status())) << a.status();
  EXPECT_THAT(Message(a.status()), HasSubstr("no such file"));
  AuthSettings auth;
  auth.path = missing;
  a = CheckSaslBackend(auth, Credential(password_), MtaUser{"postfix"}, 5s);
  ASSERT_TRUE(absl::IsUnavailable(a.status())) << a.status();
  EXPECT_THAT(Message(a.status()), HasSubstr(missing));
}

TEST_F(SaslBackendIntegrationTest, DovecotDefaultPrivateSocketIsRefusedForPostfix) {
  DovecotAuth::Options options;
  options.socket_user = "dovecot";
  options.socket_group = "dovecot";
  options.socket_mode = 0600;
  DovecotAuth dovecot(kSmokeUser, password_, options);
  dovecot.Start();
  absl::Status s = CheckAccess(dovecot.socket_path(), MtaUser{"postfix"}, true);
  ASSERT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(Message(s), HasSubstr(dovecot.socket_path()));
  EXPECT_THAT(Message(s), HasSubstr("dovecot:dovecot"));
  EXPECT_THAT(Message(s), HasSubstr("0600"));
  EXPECT_THAT(Message(s), HasSubstr("user postfix"));
  AuthSettings auth;
  auth.path = dovecot.socket_path();
  absl::StatusOr<BackendAnswer> a =
      CheckSaslBackend(auth, Credential(password_), MtaUser{"postfix"}, 5s);
  ASSERT_TRUE(absl::IsFailedPrecondition(a.status())) << a.status();
  EXPECT_THAT(Message(a.status()), HasSubstr("dovecot:dovecot"));
  // The daemon itself is fine: the user Dovecot runs as may connect.
  EXPECT_TRUE(CheckAccess(dovecot.socket_path(), MtaUser{"dovecot"}, true).ok());
}

TEST_F(SaslBackendIntegrationTest, SaslauthdGoodWrongAndStopped) {
  ::relayguard::testing::AddSandboxSystemUser(kSmokeSystemUser, password_);
  Saslauthd saslauthd;
  saslauthd.Start();
  absl::StatusOr<BackendAnswer> a = CheckSaslauthd(saslauthd.mux_path(), Credential(password_), 10s);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->credential_checked);
  a = CheckSaslauthd(saslauthd.mux_path(), Credential("wrong-pw"), 10s);
  ASSERT_TRUE(absl::IsFailedPrecondition(a.status())) << a.status();
  EXPECT_THAT(Message(a.status()), HasSubstr("NO"));
  AuthSettings auth;
  auth.backend = SaslBackend::kSaslauthd;
  auth.path = saslauthd.mux_path();
  a = CheckSaslBackend(auth, Credential(password_), MtaUser{"root"}, 10s);
  ASSERT_TRUE(a.ok()) << a.status();
  saslauthd.Stop();
  a = CheckSaslauthd(saslauthd.mux_path(), Credential(password_), 5s);
  EXPECT_TRUE(absl::IsUnavailable(a.status())) << a.status();
}

TEST_F(SaslBackendIntegrationTest, SasldbFromSaslpasswd2) {
  DovecotAuth scratch(kSmokeUser, password_);  // only for its temp dir
  const std::string path = scratch.dir() + "/sasldb2";
  ::relayguard::testing::MakeSasldb(path, "smoke", "lab.test", password_);
  AuthSettings auth;
  auth.backend = SaslBackend::kSasldb;
  auth.path = path;
  absl::StatusOr<BackendAnswer> a =
      CheckSaslBackend(auth, Credential(password_), MtaUser{"root"}, 5s);
  ASSERT_TRUE(a.ok()) << a.status();
  a = CheckSaslBackend(auth, Credential(password_, "other@lab.test"), MtaUser{"root"}, 5s);
  EXPECT_THAT(Message(a.status()), HasSubstr("no entry for the smoke user other@lab.test"));
  // saslpasswd2 makes it root:root 0640: Postfix's user could not read it.
  a = CheckSaslBackend(auth, Credential(password_), MtaUser{"postfix"}, 5s);
  EXPECT_THAT(Message(a.status()), HasSubstr("root:root"));
}

TEST_F(SaslBackendIntegrationTest, EximPasswordFile) {
  DovecotAuth scratch(kSmokeUser, password_);
  const std::string path = scratch.dir() + "/exim-passwd";
  ::relayguard::testing::MakeEximPasswordFile(path, kSmokeUser, password_);
  AuthSettings auth;
  auth.backend = SaslBackend::kPasswordFile;
  auth.path = path;
  absl::StatusOr<BackendAnswer> a =
      CheckSaslBackend(auth, Credential(password_), MtaUser{"Debian-exim"}, 5s);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->credential_checked);
  a = CheckSaslBackend(auth, Credential("wrong-pw"), MtaUser{"Debian-exim"}, 5s);
  EXPECT_THAT(Message(a.status()), HasSubstr("does not match"));
  a = CheckSaslBackend(auth, Credential(password_, "nobody@lab.test"), MtaUser{"Debian-exim"},
                       5s);
  EXPECT_THAT(Message(a.status()), HasSubstr("no line for the smoke user nobody@lab.test"));
  EXPECT_THAT(Message(a.status()), HasSubstr(path));
  ExpectNoPassword(Message(a.status()), password_);
}


// CheckAccess counts the groups /etc/group lists a user in, not only the primary one. The group
// and its member are added to the sandbox's private /etc (never the machine's).
TEST_F(SaslBackendIntegrationTest, SupplementaryGroupsCount) {
  ::relayguard::testing::AddSandboxSystemUser("rgsupp", ::relayguard::testing::RandomPassword());
  gid_t gid = 64000;
  while (getgrgid(gid) != nullptr) ++gid;
  {
    std::ofstream group("/etc/group", std::ios::app);
    group << "rgsuppgrp:x:" << gid << ":rgsupp\n";
  }
  ASSERT_NE(getpwnam("rgsupp"), nullptr);
  ASSERT_NE(getpwnam("rgsupp")->pw_gid, gid);
  ::relayguard::testing::LabTempDir dir;
  const std::string f = dir.path() + "/file";
  std::ofstream(f) << "x";
  ASSERT_EQ(chown(f.c_str(), 0, gid), 0);
  ASSERT_EQ(chmod(f.c_str(), 0640), 0);
  EXPECT_TRUE(CheckAccess(f, MtaUser{"rgsupp"}, false).ok());
  ASSERT_EQ(chmod(f.c_str(), 0600), 0);
  EXPECT_FALSE(CheckAccess(f, MtaUser{"rgsupp"}, false).ok());
}

}  // namespace
}  // namespace relayguard::agent
