// Test support: real SMTP AUTH (SASL) backends for the integration tests, as verified in
// ../shared/notes/sasl-lab (Dovecot 2.3 auth-only for Postfix and Exim, Cyrus SASL saslauthd and
// sasldb2 for Sendmail, Exim's own plaintext authenticator with a crypt password file).
//
// Where they come from: deploy/lab/sasl-root.sh unpacks dovecot-core, sasl2-bin and
// exim4-daemon-heavy (never installed: dovecot-core's postinst writes the real /etc) into
// RELAYGUARD_SASL_ROOT (default /var/cache/relayguard/sasl-root); the test command and the demo
// run it through deploy/install_deps.sh. tests/support/mta_sandbox.sh overlays them read-only onto
// /usr inside its private mount namespace, adds the users dovecot and dovenull to its private
// /etc, creates /etc/sasl2 there and sets RELAYGUARD_EXIM_HEAVY. So a test using this file is
// registered with SANDBOX in tests/CMakeLists.txt, e.g.
//
//   rg_test(my_auth_integration_test integration SANDBOX SOURCES my_auth_integration_test.cc
//           LIBS rg_test_support ...)
//
// and then, in the test (Postfix needs smtpd_sasl_path = auth.socket_path()):
//
//   const std::string password = RandomPassword();
//   DovecotAuth auth(kSmokeUser, password);    // socket postfix:Debian-exim 0660
//   auth.Start();
//   std::string credential = WriteSmokeCredentialFile(dir, kSmokeUser, password);
//   ...
//   auth.Stop();                               // the socket stays, stale: connect() is refused
//
// Everything is per instance (own temp dir, socket, Dovecot instance_name), so tests run in
// parallel (ctest -j2), and each sandboxed test case gets its own private /etc.
// The password is a secret in the project's sense: never put it in an assertion message (compare
// with EXPECT_TRUE(a == b), not EXPECT_EQ, where a failure would print it).
// Helpers throw std::runtime_error (with the tool's output) when the lab itself fails.
// Real behaviour to plan for (NOTES.md): Dovecot answers a failed AUTH after auth_failure_delay
// (2 s; Options::extra_config can change it) and then penalises that client address (rip=) for
// the next attempts, so failure tests use their own source address. Stop the MTAs before Dovecot:
// while an smtpd holds a connection to auth, Dovecot's children outlive the master (Stop() then
// waits up to 15 s and SIGKILLs them).
#ifndef RELAYGUARD_TESTS_SUPPORT_SASL_LAB_H_
#define RELAYGUARD_TESTS_SUPPORT_SASL_LAB_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace relayguard::testing {

// The lab's SMTP AUTH user (a Dovecot passwd-file user, a sasldb2 user in realm lab.test).
inline constexpr char kSmokeUser[] = "smoke@lab.test";
// The system user saslauthd -a shadow checks for kSmokeUser (it splits user@realm).
inline constexpr char kSmokeSystemUser[] = "smoke";

// Where deploy/lab/sasl-root.sh unpacked the backends (RELAYGUARD_SASL_ROOT or the default).
std::string SaslRoot();
// exim4-daemon-heavy's binary (RELAYGUARD_EXIM_HEAVY, set by mta_sandbox.sh); its -bV lists the
// dovecot authenticator, Debian's default light build (MtaRoot()/usr/sbin/exim4) does not.
std::string EximHeavyBinary();
// Throws unless this process runs inside mta_sandbox.sh with the SASL overlay on /usr (the
// message says how to get there). DovecotAuth, Saslauthd, MakeSasldb and AddSandboxSystemUser
// call it; the file writers work anywhere (MakeEximPasswordFile needs the group Debian-exim).
void RequireSaslSandbox();

// A fresh directory /tmp/rg-sasl.XXXXXX for a test's backend files (sasldb2, Exim password file,
// smoke credential), mode 0755 so that the daemons' users reach what is in it; removed with its
// contents on destruction.
class LabTempDir {
 public:
  LabTempDir();
  ~LabTempDir();
  LabTempDir(const LabTempDir&) = delete;
  LabTempDir& operator=(const LabTempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A fresh random password, 24 letters and digits (no ':' so it fits a USER:PASSWORD line).
std::string RandomPassword();
// "$6$<16 random salt chars>$..." (SHA512-CRYPT, crypt(3)): what Dovecot's passwd-file (scheme
// SHA512-CRYPT), /etc/shadow and Exim's crypteq all accept.
std::string Sha512Crypt(const std::string& password);

// Writes DIR/smoke-credential with the line "USER:PASSWORD\n", owner root, mode 0600 (what
// agent/auth/smoke_credential.h ReadSmokeCredential accepts); returns its path.
std::string WriteSmokeCredentialFile(const std::string& dir, const std::string& user,
                                     const std::string& password);
// Exim's password file for the plaintext authenticator (lsearch + crypteq, see NOTES.md): one line
// "USER:$6$...", owner root, group Debian-exim, mode 0640 (Exim's receiving process runs as
// Debian-exim). Overwrites PATH.
void MakeEximPasswordFile(const std::string& path, const std::string& user,
                          const std::string& password);
// A Cyrus sasldb2 file with USER in REALM: `saslpasswd2 -f PATH -p -c -u REALM USER` with the
// password on stdin. Sendmail then authenticates "USER@REALM". The file is root:root 0640
// (saslpasswd2's own choice; Sendmail reads it as root). Adds to PATH when it exists.
void MakeSasldb(const std::string& path, const std::string& user, const std::string& realm,
                const std::string& password);
// Adds system user NAME (or replaces its password) in the sandbox's private /etc/passwd, /etc/group
// and /etc/shadow with a SHA512-CRYPT hash of PASSWORD, for saslauthd -a shadow. Refuses (throws)
// outside mta_sandbox.sh: there /etc is the machine's own.
void AddSandboxSystemUser(const std::string& name, const std::string& password);

// An auth-only Dovecot 2.3 (`protocols =`, no TCP listener) with one passwd-file user, serving
// the auth-client protocol Postfix (smtpd_sasl_type = dovecot) and Exim's dovecot driver speak on
// one unix socket. Its files live in a fresh temp dir: dovecot.conf, users, base/ (master.pid),
// state/, dovecot.log.
class DovecotAuth {
 public:
  struct Options {
    // The listener socket; "" is DIR/auth-client.
    std::string socket_path;
    // Who may use it: Postfix's smtpd runs as postfix, Exim's receiver as Debian-exim.
    std::string socket_user = "postfix";
    std::string socket_group = "Debian-exim";
    mode_t socket_mode = 0660;
    std::string mechanisms = "plain login";
    // Lines appended to dovecot.conf (e.g. "auth_failure_delay = 0\n").
    std::string extra_config;
  };

  // Writes the configuration and the users file; does not start Dovecot.
  DovecotAuth(const std::string& user, const std::string& password);
  DovecotAuth(const std::string& user, const std::string& password, Options options);
  ~DovecotAuth();  // Stop(), then removes the temp dir (and the socket with it)
  DovecotAuth(const DovecotAuth&) = delete;
  DovecotAuth& operator=(const DovecotAuth&) = delete;

  // `dovecot -c dovecot.conf` (it daemonises) and waits until the socket accepts connections;
  // throws with the log's tail if it does not within 10 s. Again after Stop() is fine.
  void Start();
  // SIGTERM to the master, then waits until the master and all its children are gone (about 2 s:
  // the master lingers; SIGKILL after 15 s). The socket file stays behind, as it does for real: a
  // stale socket that refuses connections. Nothing happens when it is not running.
  void Stop();
  // A crash instead: SIGKILL to the master and its children at once (no 2 s wait). The socket
  // stays stale, as after Stop().
  void Kill();
  bool Running() const;
  // The master's pid (from base/master.pid), -1 when not running.
  pid_t master_pid() const;

  // The ways a backend breaks under a running MTA, besides Stop(): the socket made root-only
  // (dovecot:dovecot 0600, Dovecot's own default; Postfix's smtpd then gets "Permission denied")
  // and the socket file removed (Dovecot keeps running; connects get "No such file").
  void MakeSocketInaccessible();
  void RemoveSocket();

  // Adds another passwd-file user (Dovecot re-reads the file when it changes).
  void AddUser(const std::string& user, const std::string& password);

  // `doveadm -c dovecot.conf auth test -a SOCKET USER PASSWORD`: 0 when it succeeded (a wrong
  // password takes ~2 s: auth_failure_delay); output in *output.
  int AuthTest(const std::string& user, const std::string& password, std::string* output) const;

  const std::string& socket_path() const { return socket_path_; }
  const std::string& dir() const { return dir_; }
  std::string config_file() const { return dir_ + "/dovecot.conf"; }
  std::string users_file() const { return dir_ + "/users"; }
  std::string log_file() const { return dir_ + "/dovecot.log"; }
  std::string Log() const;  // the log's text ("" before the first start)

 private:
  std::string dir_;
  std::string socket_path_;
  std::vector<pid_t> processes_;  // master and children, collected at Start()
};

// Cyrus saslauthd with the shadow mechanism: `saslauthd -a shadow -m DIR -n 1` (it daemonises;
// DIR/mux is the socket, DIR/saslauthd.pid). The users are system users of the private /etc
// (AddSandboxSystemUser); "smoke@lab.test" is checked as user smoke, realm lab.test.
class Saslauthd {
 public:
  Saslauthd();  // makes the temp dir; does not start
  ~Saslauthd();  // Stop(), removes the temp dir
  Saslauthd(const Saslauthd&) = delete;
  Saslauthd& operator=(const Saslauthd&) = delete;

  // Starts it and waits for the socket (throws after 10 s). Refuses outside the sandbox.
  void Start();
  // SIGTERM, waits until it is gone; saslauthd removes its mux socket itself.
  void Stop();
  bool Running() const;
  pid_t pid() const;  // -1 when not running

  // `testsaslauthd -f MUX -u USER -p PASSWORD [-r REALM]`: 0 and `0: OK "Success."` when good.
  int Test(const std::string& user, const std::string& password, const std::string& realm,
           std::string* output) const;

  const std::string& dir() const { return dir_; }
  std::string mux_path() const { return dir_ + "/mux"; }

 private:
  std::string dir_;
};

// True when something accepts a connection on the unix socket PATH (a stale socket refuses).
bool UnixSocketAccepts(const std::string& path);
// errno of connecting to the unix socket PATH as system user USER ("" for this process's own):
// 0 when accepted, EACCES when USER may not, ECONNREFUSED when stale, ENOENT when missing. A
// forked child drops to USER's uid and groups for the connect.
int UnixSocketConnectErrno(const std::string& path, const std::string& user = "");

// The contents of a /proc file such as /proc/PID/stat; "" when it cannot be read. A process may
// exit between the open and the read (the read then fails with ESRCH), which an ifstream
// reports by throwing; agent::RealFileSystem::ReadFile returns it as an error.
std::string ReadProcFile(const std::string& path);

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_SUPPORT_SASL_LAB_H_
