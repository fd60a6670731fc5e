// The SASL lab itself (tests/support/sasl_lab.h), proven with the backends' own tools: doveadm
// auth test against the Dovecot socket, testsaslauthd, sasldblistusers2, Exim's crypteq; and what
// the other integration tests rely on: a stopped Dovecot leaves a stale socket that refuses
// connections, instances run side by side, the sandbox has the backends at their normal paths.
// Runs inside tests/support/mta_sandbox.sh (SANDBOX in tests/CMakeLists.txt).
#include "tests/support/sasl_lab.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "agent/auth/smoke_credential.h"
#include "gtest/gtest.h"
#include "tests/support/mta_lab.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/wait.h"

namespace relayguard::testing {
namespace {

std::string OwnerOf(const std::string& path) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) return "(missing)";
  const passwd* pw = getpwuid(st.st_uid);
  const group* gr = getgrgid(st.st_gid);
  return std::string(pw != nullptr ? pw->pw_name : "?") + ":" + (gr != nullptr ? gr->gr_name : "?");
}

mode_t ModeOf(const std::string& path) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

bool IsSocket(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// Processes whose command line contains WHAT (Dovecot's children are titled
// "dovecot-INSTANCE/auth" and so on).
int ProcessesNamed(const std::string& what) {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = ReadProcFile(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    const std::string stat = ReadProcFile(entry.path() / "stat");
    const size_t paren = stat.rfind(')');
    if (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z') continue;
    if (cmdline.find(what) != std::string::npos) ++n;
  }
  return n;
}

TEST(SaslLabIntegrationTest, SandboxHasTheBackendsAtTheirNormalPaths) {
  ASSERT_NO_THROW(RequireSaslSandbox());
  for (const char* tool : {"/usr/sbin/dovecot", "/usr/bin/doveadm", "/usr/bin/doveconf",
                           "/usr/sbin/saslauthd", "/usr/sbin/testsaslauthd",
                           "/usr/sbin/saslpasswd2", "/usr/sbin/sasldblistusers2"}) {
    EXPECT_EQ(access(tool, X_OK), 0) << tool;
  }
  // The overlay has no upper layer: nothing in /usr can be written.
  EXPECT_NE(access("/usr", W_OK), 0);
  EXPECT_EQ(errno, EROFS);
  for (const char* user : {"dovecot", "dovenull", "Debian-exim", "postfix"}) {
    EXPECT_NE(getpwnam(user), nullptr) << user;
  }
  EXPECT_TRUE(std::filesystem::is_directory("/etc/sasl2"));

  // -bV exits 1 here (no /etc/exim4/exim4.conf) after printing the build's facts.
  std::string out;
  RunCommand({EximHeavyBinary(), "-bV"}, &out);
  EXPECT_NE(out.find("Authenticators: cram_md5 cyrus_sasl dovecot"), std::string::npos) << out;
  RunCommand({MtaRoot() + "/usr/sbin/exim4", "-bV"}, &out);
  EXPECT_NE(out.find("Authenticators: cram_md5 external plaintext"), std::string::npos) << out;
}

TEST(SaslLabIntegrationTest, DovecotAuthenticatesAndLeavesAStaleSocketWhenStopped) {
  const std::string password = RandomPassword();
  DovecotAuth auth(kSmokeUser, password);
  auth.Start();
  ASSERT_TRUE(auth.Running());
  EXPECT_TRUE(IsSocket(auth.socket_path()));
  EXPECT_EQ(OwnerOf(auth.socket_path()), "postfix:Debian-exim");
  EXPECT_EQ(ModeOf(auth.socket_path()), 0660u);
  EXPECT_NE(auth.Log().find("starting up without any protocols"), std::string::npos)
      << auth.Log();
  EXPECT_EQ(OwnerOf(auth.users_file()), "root:dovecot");
  EXPECT_EQ(ModeOf(auth.users_file()), 0640u);

  std::string out;
  EXPECT_EQ(auth.AuthTest(kSmokeUser, password, &out), 0) << out;
  EXPECT_NE(out.find(std::string("passdb: ") + kSmokeUser + " auth succeeded"), std::string::npos)
      << out;
  EXPECT_NE(auth.AuthTest(kSmokeUser, "wrong-" + RandomPassword(), &out), 0) << out;
  EXPECT_NE(out.find("auth failed"), std::string::npos) << out;

  const std::string instance = "dovecot-rg-" + auth.dir().substr(auth.dir().rfind('.') + 1);
  EXPECT_GE(ProcessesNamed(instance + "/auth"), 1);
  auth.Stop();
  EXPECT_FALSE(auth.Running());
  EXPECT_EQ(ProcessesNamed(instance + "/"), 0) << "Dovecot children outlived Stop()";
  // The stale socket: still there, nobody behind it (what makes Postfix's smtpd fatal).
  EXPECT_TRUE(IsSocket(auth.socket_path()));
  EXPECT_EQ(UnixSocketConnectErrno(auth.socket_path()), ECONNREFUSED);
  EXPECT_FALSE(UnixSocketAccepts(auth.socket_path()));
  EXPECT_NE(auth.AuthTest(kSmokeUser, password, &out), 0) << out;

  // It comes back on the same (stale) socket path.
  auth.Start();
  EXPECT_TRUE(UnixSocketAccepts(auth.socket_path()));
  EXPECT_EQ(auth.AuthTest(kSmokeUser, password, &out), 0) << out;
}

TEST(SaslLabIntegrationTest, DovecotSocketCanBeMadeInaccessibleOrRemoved) {
  const std::string password = RandomPassword();
  DovecotAuth auth(kSmokeUser, password);
  auth.Start();
  // The MTAs' users may connect: Postfix's smtpd (postfix), Exim's receiver (Debian-exim).
  EXPECT_EQ(UnixSocketConnectErrno(auth.socket_path(), "postfix"), 0);
  EXPECT_EQ(UnixSocketConnectErrno(auth.socket_path(), "Debian-exim"), 0);
  EXPECT_EQ(UnixSocketConnectErrno(auth.socket_path(), "nobody"), EACCES);

  auth.MakeSocketInaccessible();
  EXPECT_EQ(OwnerOf(auth.socket_path()), "dovecot:dovecot");
  EXPECT_EQ(ModeOf(auth.socket_path()), 0600u);
  EXPECT_EQ(UnixSocketConnectErrno(auth.socket_path(), "postfix"), EACCES);
  EXPECT_EQ(UnixSocketConnectErrno(auth.socket_path(), "Debian-exim"), EACCES);

  auth.RemoveSocket();
  EXPECT_FALSE(IsSocket(auth.socket_path()));
  EXPECT_EQ(UnixSocketConnectErrno(auth.socket_path()), ENOENT);
  EXPECT_TRUE(auth.Running()) << "Dovecot itself keeps running";
}

TEST(SaslLabIntegrationTest, DovecotInstancesRunSideBySideWithTheirOwnSockets) {
  const std::string password_a = RandomPassword();
  const std::string password_b = RandomPassword();
  LabTempDir tmp;
  DovecotAuth::Options options;
  options.socket_path = tmp.path() + "/private-auth";
  options.socket_user = "dovecot";
  options.socket_group = "dovecot";
  options.socket_mode = 0600;  // Dovecot's default: an MTA user gets "Permission denied"
  options.extra_config = "auth_failure_delay = 0\n";
  DovecotAuth a(kSmokeUser, password_a);
  DovecotAuth b("other@lab.test", password_b, options);
  a.Start();
  b.Start();
  EXPECT_NE(a.socket_path(), b.socket_path());
  EXPECT_EQ(b.socket_path(), tmp.path() + "/private-auth");
  EXPECT_EQ(OwnerOf(b.socket_path()), "dovecot:dovecot");
  EXPECT_EQ(ModeOf(b.socket_path()), 0600u);

  std::string out;
  EXPECT_EQ(a.AuthTest(kSmokeUser, password_a, &out), 0) << out;
  EXPECT_EQ(b.AuthTest("other@lab.test", password_b, &out), 0) << out;
  EXPECT_NE(b.AuthTest(kSmokeUser, password_a, &out), 0) << "b does not know a's user";
  b.AddUser(kSmokeUser, password_b);
  EXPECT_TRUE(WaitFor([&] { return b.AuthTest(kSmokeUser, password_b, &out) == 0; },
                      std::chrono::seconds(5)))
      << out;

  const std::string b_instance = "dovecot-rg-" + b.dir().substr(b.dir().rfind('.') + 1) + "/";
  b.Kill();
  EXPECT_FALSE(b.Running());
  EXPECT_EQ(ProcessesNamed(b_instance), 0);
  EXPECT_EQ(UnixSocketConnectErrno(b.socket_path()), ECONNREFUSED);
  EXPECT_TRUE(a.Running());
  EXPECT_EQ(a.AuthTest(kSmokeUser, password_a, &out), 0) << out;
}

TEST(SaslLabIntegrationTest, SaslauthdChecksTheSandboxShadow) {
  const std::string password = RandomPassword();
  AddSandboxSystemUser(kSmokeSystemUser, password);
  Saslauthd saslauthd;
  saslauthd.Start();
  ASSERT_TRUE(saslauthd.Running());
  EXPECT_TRUE(UnixSocketAccepts(saslauthd.mux_path()));

  std::string out;
  EXPECT_EQ(saslauthd.Test(kSmokeSystemUser, password, "", &out), 0) << out;
  EXPECT_NE(out.find("0: OK \"Success.\""), std::string::npos) << out;
  // What Sendmail passes for smoke@lab.test: user smoke, realm lab.test.
  EXPECT_EQ(saslauthd.Test(kSmokeSystemUser, password, "lab.test", &out), 0) << out;
  EXPECT_NE(out.find("0: OK \"Success.\""), std::string::npos) << out;
  saslauthd.Test(kSmokeSystemUser, "wrong-" + password.substr(3), "", &out);
  EXPECT_NE(out.find("0: NO"), std::string::npos) << "a wrong password must be refused";

  // A new password replaces the old one.
  const std::string changed = RandomPassword();
  AddSandboxSystemUser(kSmokeSystemUser, changed);
  saslauthd.Test(kSmokeSystemUser, changed, "", &out);
  EXPECT_NE(out.find("0: OK"), std::string::npos) << out;
  EXPECT_EQ(CountOf(ReadFileOrDie("/etc/passwd"), "\nsmoke:"), 1u);

  const pid_t pid = saslauthd.pid();
  saslauthd.Stop();
  EXPECT_FALSE(saslauthd.Running());
  EXPECT_EQ(ProcessesNamed("saslauthd -a shadow -m " + saslauthd.dir()), 0) << pid;
  EXPECT_FALSE(UnixSocketAccepts(saslauthd.mux_path()));
  EXPECT_NE(saslauthd.Test(kSmokeSystemUser, changed, "", &out), 0) << out;
}

TEST(SaslLabIntegrationTest, SasldbHoldsTheUserInItsRealm) {
  LabTempDir tmp;
  const std::string path = tmp.path() + "/sasldb2";
  MakeSasldb(path, kSmokeSystemUser, "lab.test", RandomPassword());
  std::string out;
  ASSERT_EQ(RunCommand({"/usr/sbin/sasldblistusers2", "-f", path}, &out), 0) << out;
  EXPECT_NE(out.find(std::string(kSmokeUser) + ": userPassword"), std::string::npos) << out;
  EXPECT_EQ(OwnerOf(path), "root:root");
}

TEST(SaslLabIntegrationTest, EximPasswordFileWorksWithCrypteq) {
  LabTempDir tmp;
  const std::string password = RandomPassword();
  const std::string file = tmp.path() + "/exim-passwd";
  MakeEximPasswordFile(file, kSmokeUser, password);
  EXPECT_EQ(OwnerOf(file), "root:Debian-exim");
  EXPECT_EQ(ModeOf(file), 0640u);
  EXPECT_EQ(ReadFileOrDie(file).rfind(std::string(kSmokeUser) + ":$6$", 0), 0u);

  // The lookup the plaintext authenticator does (NOTES.md), evaluated by the real (light) Exim.
  WriteFileOrDie(tmp.path() + "/exim.conf", "primary_hostname = lab.test\n");
  auto check = [&](const std::string& candidate) {
    std::string out;
    RunCommand({MtaRoot() + "/usr/sbin/exim4", "-C", tmp.path() + "/exim.conf", "-be",
                "${if crypteq{" + candidate + "}{${extract{1}{:}{${lookup{" + kSmokeUser +
                    "}lsearch{" + file + "}{$value}{*:*}}}}}{yes}{no}}"},
               &out);
    return out;
  };
  EXPECT_TRUE(check(password) == "yes\n");
  EXPECT_TRUE(check("wrong-" + password) == "no\n");
}

TEST(SaslLabIntegrationTest, SmokeCredentialFileIsWhatTheAgentReads) {
  LabTempDir tmp;
  const std::string password = RandomPassword();
  const std::string path = WriteSmokeCredentialFile(tmp.path(), kSmokeUser, password);
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(OwnerOf(path), "root:root");
  auto credential = agent::ReadSmokeCredential(path);
  ASSERT_TRUE(credential.ok()) << credential.status();
  EXPECT_EQ(credential->username, kSmokeUser);
  EXPECT_TRUE(credential->password.Reveal() == password);

  const std::string other = RandomPassword();
  EXPECT_EQ(other.size(), 24u);
  EXPECT_TRUE(other != password);
  EXPECT_EQ(other.find(':'), std::string::npos);
}

TEST(SaslLabIntegrationTest, SystemUsersAreRefusedOutsideTheSandbox) {
  setenv("RELAYGUARD_IN_MTA_SANDBOX", "0", 1);
  EXPECT_THROW(AddSandboxSystemUser("smoke", "x"), std::runtime_error);
  EXPECT_THROW(Saslauthd(), std::runtime_error);
  setenv("RELAYGUARD_IN_MTA_SANDBOX", "1", 1);
}

}  // namespace
}  // namespace relayguard::testing
