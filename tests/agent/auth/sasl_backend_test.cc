// The SASL backend checks against files with chosen owners and modes and against in-process
// servers that speak Dovecot's auth-client protocol and saslauthd's mux protocol.
#include "agent/auth/sasl_backend.h"

#include <crypt.h>
#include <gmock/gmock.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "absl/strings/escaping.h"

namespace relayguard::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr char kPassword[] = "Pw-unit-4711";

SmokeCredential Credential(const std::string& password = kPassword) {
  SmokeCredential c;
  c.username = "smoke@lab.test";
  c.password = Secret(password);
  c.source = "/etc/relayguard/smoke-auth";
  return c;
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/rg-sasl-XXXXXX";
    path_ = mkdtemp(tmpl);
    chmod(path_.c_str(), 0755);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& text, mode_t mode, uid_t uid = 0,
               gid_t gid = 0) {
  std::ofstream(path) << text;
  ASSERT_EQ(chown(path.c_str(), uid, gid), 0);
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

uid_t Uid(const char* name) { return getpwnam(name)->pw_uid; }
gid_t Gid(const char* name) { return getgrnam(name)->gr_gid; }

TEST(CheckAccessTest, DecidesAsTheKernelWould) {
  TempDir dir;
  const std::string f = dir / "file";
  struct Case {
    mode_t mode;
    uid_t uid;
    gid_t gid;
    bool write;
    bool ok;
  } cases[] = {
      {0600, Uid("postfix"), 0, false, true},          // owner may read
      {0600, 0, 0, false, false},                      // root's private file
      {0640, 0, Gid("postfix"), false, true},          // the primary group
      {0604, 0, Gid("postfix"), false, false},         // group bits win over others'
      {0044, Uid("postfix"), 0, false, false},         // owner bits win over group/others'
      {0644, 0, 0, false, true},                       // others may read
      {0644, 0, 0, true, false},                       // but not write
      {0660, 0, Gid("postfix"), true, true},           // a socket given to the group
  };
  for (const Case& c : cases) {
    WriteFile(f, "x", c.mode, c.uid, c.gid);
    absl::Status s = CheckAccess(f, MtaUser{"postfix"}, c.write);
    EXPECT_EQ(s.ok(), c.ok) << std::oct << c.mode << " " << s;
  }
}

TEST(CheckAccessTest, MessageNamesPathOwnerModeAndUser) {
  TempDir dir;
  const std::string f = dir / "auth-client";
  WriteFile(f, "", 0600, Uid("nobody"), Gid("nogroup"));
  absl::Status s = CheckAccess(f, MtaUser{"postfix"}, true);
  ASSERT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(Message(s), HasSubstr(f));
  EXPECT_THAT(Message(s), HasSubstr("nobody:nogroup"));
  EXPECT_THAT(Message(s), HasSubstr("0600"));
  EXPECT_THAT(Message(s), HasSubstr("user postfix"));
}

// Supplementary groups: sasl_backend_integration_test (it adds a group member to the sandbox's
// private /etc/group, which this host may not have).

TEST(CheckAccessTest, ParentDirectoryMustBeSearchable) {
  TempDir dir;
  const std::string sub = dir / "private";
  ASSERT_EQ(mkdir(sub.c_str(), 0700), 0);
  const std::string f = sub + "/auth";
  WriteFile(f, "x", 0666);
  absl::Status s = CheckAccess(f, MtaUser{"postfix"}, false);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr("may not search the directory " + sub));
  chmod(sub.c_str(), 0711);
  EXPECT_TRUE(CheckAccess(f, MtaUser{"postfix"}, false).ok());
}

TEST(CheckAccessTest, MissingPathUnknownUserAndRoot) {
  TempDir dir;
  EXPECT_TRUE(absl::IsNotFound(CheckAccess(dir / "nope", MtaUser{"postfix"}, false)));
  WriteFile(dir / "f", "x", 0600, Uid("nobody"));
  absl::Status s = CheckAccess(dir / "f", MtaUser{"no-such-user-rg"}, false);
  EXPECT_THAT(Message(s), HasSubstr("no-such-user-rg"));
  EXPECT_TRUE(CheckAccess(dir / "f", MtaUser{"root"}, true).ok());
}

// A unix-socket server that runs `session(fd)` for each connection, one after another.
class UnixServer {
 public:
  UnixServer(std::string path, std::function<void(int)> session)
      : path_(std::move(path)), session_(std::move(session)) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 8), 0);
    thread_ = std::thread([this] {
      for (;;) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        session_(c);
        close(c);
      }
    });
  }
  ~UnixServer() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  // What the last client sent.
  std::string received() const { return received_; }

  static std::string ReadLine(int fd) {
    std::string line;
    char c;
    while (read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
    return line;
  }
  static void Write(int fd, const std::string& s) {
    (void)send(fd, s.data(), s.size(), MSG_NOSIGNAL);  // the client may have given up
  }

  std::string received_;

 private:
  std::string path_;
  std::function<void(int)> session_;
  int fd_ = -1;
  std::thread thread_;
};

// Speaks Dovecot's side: the handshake with `mechs`, then OK for the good password.
std::function<void(int)> FakeDovecot(std::string mechs, std::string* last_auth,
                                     std::chrono::milliseconds delay = 0ms) {
  return [=](int fd) {
    UnixServer::ReadLine(fd);  // VERSION
    UnixServer::ReadLine(fd);  // CPID
    UnixServer::Write(fd, "VERSION\t1\t2\n" + mechs + "SPID\t1\nCUID\t2\nCOOKIE\tabc\nDONE\n");
    const std::string auth = UnixServer::ReadLine(fd);
    *last_auth = auth;
    std::this_thread::sleep_for(delay);
    std::string plain;
    const size_t resp = auth.find("resp=");
    if (resp == std::string::npos) return;  // the client stopped after the handshake
    absl::Base64Unescape(auth.substr(resp + 5), &plain);
    const bool good = plain == std::string("\0smoke@lab.test\0", 16) + kPassword;
    UnixServer::Write(fd, good ? "OK\t1\tuser=smoke@lab.test\n"
                               : "FAIL\t1\tuser=smoke@lab.test\treason=Password mismatch\n");
  };
}

TEST(CheckDovecotAuthTest, GoodCredentialAndMechanisms) {
  TempDir dir;
  std::string auth;
  UnixServer server(dir / "auth-client",
                    FakeDovecot("MECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\n", &auth));
  absl::StatusOr<BackendAnswer> a =
      CheckDovecotAuth(dir / "auth-client", {AuthMechanism::kPlain, AuthMechanism::kLogin},
                       Credential(), "127.0.0.1", 5s);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->credential_checked);
  EXPECT_THAT(a->mechanisms, ::testing::ElementsAre("PLAIN", "LOGIN"));
  EXPECT_THAT(a->summary, HasSubstr("dovecot 1.2 at " + dir / "auth-client"));
  EXPECT_THAT(a->summary, Not(HasSubstr(kPassword)));
  EXPECT_THAT(auth, HasSubstr("\tservice=smtp\tnologin\trip=127.0.0.1\tresp="));
}

TEST(CheckDovecotAuthTest, WrongPasswordMissingMechanismAndTimeout) {
  TempDir dir;
  std::string auth;
  {
    UnixServer server(dir / "s1", FakeDovecot("MECH\tPLAIN\tplaintext\n", &auth));
    absl::StatusOr<BackendAnswer> a = CheckDovecotAuth(dir / "s1", {AuthMechanism::kPlain},
                                                       Credential("wrong"), "127.0.0.1", 5s);
    ASSERT_TRUE(absl::IsFailedPrecondition(a.status())) << a.status();
    EXPECT_THAT(Message(a.status()), HasSubstr("refused the smoke credential for user "
                                               "smoke@lab.test"));
    EXPECT_THAT(Message(a.status()), HasSubstr("Password mismatch"));
    EXPECT_THAT(Message(a.status()), Not(HasSubstr("wrong")));
    a = CheckDovecotAuth(dir / "s1", {AuthMechanism::kPlain, AuthMechanism::kLogin},
                         Credential(), "127.0.0.1", 5s);
    EXPECT_THAT(Message(a.status()), HasSubstr("offers PLAIN but the policy wants PLAIN LOGIN"));
  }
  UnixServer slow(dir / "s2", FakeDovecot("MECH\tPLAIN\tplaintext\n", &auth, 1500ms));
  const auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<BackendAnswer> a =
      CheckDovecotAuth(dir / "s2", {AuthMechanism::kPlain}, Credential(), "", 300ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_THAT(Message(a.status()), HasSubstr("no answer from the daemon in time"));
  EXPECT_THAT(auth, Not(HasSubstr("rip=")));
}

TEST(CheckDovecotAuthTest, MissingSocketAndStaleSocket) {
  TempDir dir;
  absl::StatusOr<BackendAnswer> a =
      CheckDovecotAuth(dir / "none", {AuthMechanism::kPlain}, Credential(), "127.0.0.1", 1s);
  ASSERT_TRUE(absl::IsUnavailable(a.status()));
  EXPECT_THAT(Message(a.status()), HasSubstr("no such file"));
  { UnixServer gone(dir / "stale", [](int) {}); }  // the socket file stays behind
  a = CheckDovecotAuth(dir / "stale", {AuthMechanism::kPlain}, Credential(), "127.0.0.1", 1s);
  ASSERT_TRUE(absl::IsUnavailable(a.status())) << a.status();
  EXPECT_THAT(Message(a.status()), HasSubstr("connection refused: is dovecot running?"));
}

std::function<void(int)> FakeSaslauthd(std::string* fields) {
  return [=](int fd) {
    std::string got;
    for (int i = 0; i < 4; ++i) {
      unsigned char len[2];
      if (read(fd, len, 2) != 2) return;
      std::string s(static_cast<size_t>(len[0] << 8 | len[1]), '\0');
      if (!s.empty() && read(fd, s.data(), s.size()) != static_cast<ssize_t>(s.size())) return;
      got += s + "|";
    }
    *fields = got;
    const bool good = got == std::string("smoke|") + kPassword + "|smtp|lab.test|";
    const std::string answer = good ? "OK \"Success.\"" : "NO \"authentication failed\"";
    UnixServer::Write(fd, std::string{static_cast<char>(0), static_cast<char>(answer.size())} +
                              answer);
  };
}

TEST(CheckSaslauthdTest, GoodAndWrongPassword) {
  TempDir dir;
  std::string fields;
  UnixServer server(dir / "mux", FakeSaslauthd(&fields));
  absl::StatusOr<BackendAnswer> a = CheckSaslauthd(dir / "mux", Credential(), 5s);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->credential_checked);
  EXPECT_EQ(fields, std::string("smoke|") + kPassword + "|smtp|lab.test|");
  a = CheckSaslauthd(dir / "mux", Credential("nope-pw"), 5s);
  ASSERT_TRUE(absl::IsFailedPrecondition(a.status()));
  EXPECT_THAT(Message(a.status()), HasSubstr("NO \"authentication failed\""));
  EXPECT_THAT(Message(a.status()), Not(HasSubstr("nope-pw")));
  EXPECT_TRUE(absl::IsUnavailable(CheckSaslauthd(dir / "gone", Credential(), 1s).status()));
}

AuthSettings Settings(SaslBackend backend, const std::string& path) {
  AuthSettings auth;
  auth.backend = backend;
  auth.path = path;
  auth.mechanisms = {AuthMechanism::kPlain};
  return auth;
}

TEST(CheckSaslBackendTest, PasswordFile) {
  TempDir dir;
  crypt_data data{};
  const std::string hash = crypt_r(kPassword, "$6$rgunit$", &data);
  WriteFile(dir / "passwd", "other:$6$x$y\nsmoke@lab.test:" + hash + "\n", 0640, 0,
            Gid("postfix"));
  const AuthSettings auth = Settings(SaslBackend::kPasswordFile, dir / "passwd");
  absl::StatusOr<BackendAnswer> a = CheckSaslBackend(auth, Credential(), {"postfix"}, 1s);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->credential_checked);
  a = CheckSaslBackend(auth, Credential("not-it"), {"postfix"}, 1s);
  EXPECT_THAT(Message(a.status()), HasSubstr("does not match"));
  EXPECT_THAT(Message(a.status()), Not(HasSubstr("not-it")));
  WriteFile(dir / "passwd", "other:$6$x$y\n", 0640, 0, Gid("postfix"));
  a = CheckSaslBackend(auth, Credential(), {"postfix"}, 1s);
  EXPECT_THAT(Message(a.status()), HasSubstr("no line for the smoke user smoke@lab.test"));
  EXPECT_THAT(Message(a.status()), HasSubstr(dir / "passwd"));
  EXPECT_THAT(Message(a.status()), Not(HasSubstr(kPassword)));
  WriteFile(dir / "passwd", "smoke@lab.test:" + hash + "\n", 0600);
  a = CheckSaslBackend(auth, Credential(), {"postfix"}, 1s);
  EXPECT_THAT(Message(a.status()), HasSubstr("user postfix"));
}

TEST(CheckSaslBackendTest, SasldbNeedsTheUsersKey) {
  TempDir dir;
  WriteFile(dir / "sasldb2", std::string("junk smoke\0lab.test\0userPassword junk", 37), 0640);
  const AuthSettings auth = Settings(SaslBackend::kSasldb, dir / "sasldb2");
  EXPECT_TRUE(CheckSaslBackend(auth, Credential(), {"root"}, 1s).ok());
  SmokeCredential other = Credential();
  other.username = "nobody@lab.test";
  EXPECT_THAT(Message(CheckSaslBackend(auth, other, {"root"}, 1s).status()),
              HasSubstr("no entry for the smoke user nobody@lab.test"));
  EXPECT_FALSE(CheckSaslBackend(Settings(SaslBackend::kSasldb, dir.path()), Credential(),
                                {"root"}, 1s)
                   .ok());
}

TEST(CheckSaslBackendTest, DovecotSocketMissingUnreadableAndWorking) {
  TempDir dir;
  AuthSettings auth = Settings(SaslBackend::kDovecot, dir / "auth-client");
  absl::StatusOr<BackendAnswer> a = CheckSaslBackend(auth, Credential(), {"postfix"}, 1s);
  ASSERT_TRUE(absl::IsUnavailable(a.status())) << a.status();
  EXPECT_THAT(Message(a.status()), HasSubstr("no such file"));
  std::string last;
  UnixServer server(dir / "auth-client", FakeDovecot("MECH\tPLAIN\tplaintext\n", &last));
  chown((dir / "auth-client").c_str(), Uid("nobody"), Gid("nogroup"));
  chmod((dir / "auth-client").c_str(), 0600);
  a = CheckSaslBackend(auth, Credential(), {"postfix"}, 1s);
  ASSERT_TRUE(absl::IsFailedPrecondition(a.status())) << a.status();
  EXPECT_THAT(Message(a.status()), HasSubstr("nobody:nogroup"));
  chown((dir / "auth-client").c_str(), 0, Gid("postfix"));
  chmod((dir / "auth-client").c_str(), 0660);
  a = CheckSaslBackend(auth, Credential(), {"postfix"}, 1s);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(last, HasSubstr("rip=127.0.0.1"));
}

}  // namespace
}  // namespace relayguard::agent
