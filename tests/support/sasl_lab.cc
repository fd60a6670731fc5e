#include "tests/support/sasl_lab.h"

#include <crypt.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "agent/os/file_system.h"
#include "tests/support/postfix_lab.h"

namespace relayguard::testing {

std::string ReadProcFile(const std::string& path) {
  absl::StatusOr<std::string> contents = agent::RealFileSystem().ReadFile(path);
  return contents.ok() ? *contents : "";  // gone, or gone while read: as if never there
}

namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string RandomChars(size_t n, const std::string& alphabet) {
  std::random_device device;
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::string out;
  for (size_t i = 0; i < n; ++i) out += alphabet[pick(device)];
  return out;
}

std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + ".XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp " + tmpl + " failed");
  // The daemons drop privileges (dovecot, dovenull, postfix, Debian-exim) and must reach it.
  chmod(tmpl.c_str(), 0755);
  return tmpl;
}

// Writes PATH via a temp file and a rename, with MODE from the start (never briefly readable).
void WriteFileMode(const std::string& path, const std::string& contents, mode_t mode) {
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("cannot create " + tmp + ": " + std::strerror(errno));
  fchmod(fd, mode);  // the umask may have taken bits away
  const bool ok = write(fd, contents.data(), contents.size()) ==
                  static_cast<ssize_t>(contents.size());
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  }
}

void Chown(const std::string& path, const std::string& user, const std::string& group_name) {
  uid_t uid = 0;
  if (!user.empty()) {
    const passwd* pw = getpwnam(user.c_str());
    if (pw == nullptr) throw std::runtime_error("no user " + user + " (for " + path + ")");
    uid = pw->pw_uid;
  }
  const struct group* gr = getgrnam(group_name.c_str());
  if (gr == nullptr) throw std::runtime_error("no group " + group_name + " (for " + path + ")");
  if (chown(path.c_str(), uid, gr->gr_gid) != 0) {
    throw std::runtime_error("chown " + path + ": " + std::strerror(errno));
  }
}

// Like RunCommand, with INPUT on the child's stdin (saslpasswd2 -p reads the password there, so
// it never shows in a process listing).
int RunWithInput(const std::vector<std::string>& argv, const std::string& input,
                 std::string* output) {
  int in[2];
  int out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(out[1], 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  (void)!write(in[1], input.data(), input.size());
  close(in[1]);
  output->clear();
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) output->append(buf, n);
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs a daemon's start command (it forks and its first process exits) with stdin from /dev/null
// and stdout+stderr appended to LOG: not into a pipe, which the daemonised process would keep open
// forever. Returns the first process's exit code; kills it after 10 s (-1).
int RunDaemonStart(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_RDONLY);
    const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (null < 0 || out < 0) _exit(126);
    dup2(null, 0);
    dup2(out, 1);
    dup2(out, 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A process counts as gone when it has exited, zombie included: a daemonised process is the
// child of whatever reaps orphans here, and that may be slow to reap.
bool Alive(pid_t pid) {
  if (pid <= 0) return false;
  const std::string stat = ReadProcFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  if (stat.empty() || paren == std::string::npos || paren + 2 >= stat.size()) return false;
  const char state = stat[paren + 2];
  return state != 'Z' && state != 'X';
}

pid_t ParentOf(pid_t pid) {
  const std::string stat = ReadProcFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream rest(stat.substr(paren + 2));
  char state;
  pid_t ppid = -1;
  rest >> state >> ppid;
  return ppid;
}

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (ParentOf(pid) == parent) children.push_back(pid);
  }
  return children;
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// TERMs PIDS' first entry, waits for all of them, KILLs what is left after LIMIT.
void TerminateAll(const std::vector<pid_t>& pids, std::chrono::milliseconds limit) {
  if (pids.empty()) return;
  kill(pids.front(), SIGTERM);
  auto all_gone = [&pids] {
    for (pid_t pid : pids) {
      if (Alive(pid)) return false;
    }
    return true;
  };
  if (WaitUntil(all_gone, limit)) return;
  for (pid_t pid : pids) {
    if (Alive(pid)) kill(pid, SIGKILL);
  }
  WaitUntil(all_gone, std::chrono::seconds(5));
}

pid_t ReadPidFile(const std::string& path) {
  std::ifstream in(path);
  pid_t pid = -1;
  if (!(in >> pid)) return -1;
  return pid;
}

std::string Tail(const std::string& text, size_t lines) {
  size_t at = text.size();
  for (size_t n = 0; n <= lines && at != std::string::npos && at > 0; ++n) {
    at = text.rfind('\n', at - 1);
  }
  return at == std::string::npos ? text : text.substr(at + 1);
}

std::string ReadIfExists(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

std::string SaslRoot() {
  const std::string root = Env("RELAYGUARD_SASL_ROOT");
  return root.empty() ? "/var/cache/relayguard/sasl-root" : root;
}

std::string EximHeavyBinary() {
  const std::string binary = Env("RELAYGUARD_EXIM_HEAVY");
  return binary.empty() ? SaslRoot() + "/exim-heavy/usr/sbin/exim4" : binary;
}

void RequireSaslSandbox() {
  if (Env("RELAYGUARD_IN_MTA_SANDBOX") != "1") {
    throw std::runtime_error(
        "the SASL lab needs the private /etc and /usr overlay of tests/support/mta_sandbox.sh; "
        "register the test with SANDBOX in tests/CMakeLists.txt (ctest then runs it there)");
  }
  if (Env("RELAYGUARD_SASL_ROOT").empty() || access("/usr/sbin/dovecot", X_OK) != 0) {
    throw std::runtime_error("no SASL backends in this sandbox (/usr/sbin/dovecot is missing); run "
                             "bash deploy/lab/sasl-root.sh (deploy/install_deps.sh does) and "
                             "start the test through mta_sandbox.sh again");
  }
}

LabTempDir::LabTempDir() : path_(MakeTempDir("rg-sasl")) {}

LabTempDir::~LabTempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string RandomPassword() {
  return RandomChars(24, "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789");
}

std::string Sha512Crypt(const std::string& password) {
  const std::string salt =
      "$6$" + RandomChars(16, "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
  crypt_data data{};
  const char* hash = crypt_r(password.c_str(), salt.c_str(), &data);
  if (hash == nullptr || hash[0] != '$') throw std::runtime_error("crypt(3) SHA512 failed");
  return hash;
}

std::string WriteSmokeCredentialFile(const std::string& dir, const std::string& user,
                                     const std::string& password) {
  const std::string path = dir + "/smoke-credential";
  WriteFileMode(path, user + ":" + password + "\n", 0600);
  if (chown(path.c_str(), 0, 0) != 0) throw std::runtime_error("chown root " + path);
  return path;
}

void MakeEximPasswordFile(const std::string& path, const std::string& user,
                          const std::string& password) {
  WriteFileMode(path, user + ":" + Sha512Crypt(password) + "\n", 0640);
  Chown(path, "root", "Debian-exim");
}

void MakeSasldb(const std::string& path, const std::string& user, const std::string& realm,
                const std::string& password) {
  RequireSaslSandbox();
  std::string out;
  if (RunWithInput({"saslpasswd2", "-f", path, "-p", "-c", "-u", realm, user}, password, &out) !=
      0) {
    throw std::runtime_error("saslpasswd2 -f " + path + " -c -u " + realm + " " + user +
                             " failed: " + out);
  }
}

void AddSandboxSystemUser(const std::string& name, const std::string& password) {
  RequireSaslSandbox();
  const std::string hash = Sha512Crypt(password);
  std::string passwd = ReadFileOrDie("/etc/passwd");
  std::string group = ReadFileOrDie("/etc/group");
  std::string shadow = ReadFileOrDie("/etc/shadow");
  auto has = [&name](const std::string& file) {
    return file.rfind(name + ":", 0) == 0 || file.find("\n" + name + ":") != std::string::npos;
  };
  if (!has(passwd)) {
    uid_t id = 2999;
    while (getpwuid(id) != nullptr || getgrgid(id) != nullptr) ++id;
    const std::string ids = std::to_string(id);
    passwd += name + ":x:" + ids + ":" + ids + ":relayguard lab user:/nonexistent:" +
              "/usr/sbin/nologin\n";
    if (!has(group)) group += name + ":x:" + ids + ":\n";
  }
  // Drop any old shadow line for NAME, then add the new one.
  std::istringstream lines(shadow);
  std::string kept;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name + ":", 0) != 0) kept += line + "\n";
  }
  kept += name + ":" + hash + ":19000:0:99999:7:::\n";
  // Rewritten in place: the mode and owner of the copies stay what they were.
  WriteFileOrDie("/etc/passwd", passwd);
  WriteFileOrDie("/etc/group", group);
  WriteFileOrDie("/etc/shadow", kept);
}

bool UnixSocketAccepts(const std::string& path) { return UnixSocketConnectErrno(path) == 0; }

int UnixSocketConnectErrno(const std::string& path, const std::string& user) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return ENAMETOOLONG;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  auto attempt = [&addr] {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    const int err = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 ? 0 : errno;
    close(fd);
    return err;
  };
  if (user.empty()) return attempt();
  const passwd* pw = getpwnam(user.c_str());
  if (pw == nullptr) throw std::runtime_error("no user " + user);
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  const std::string name = user;
  const pid_t pid = fork();
  if (pid == 0) {
    if (initgroups(name.c_str(), gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(255);
    _exit(attempt());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) == 255) {
    throw std::runtime_error("cannot become " + user + " to connect to " + path);
  }
  return WEXITSTATUS(status);
}

// ---- DovecotAuth ---------------------------------------------------------------------------

DovecotAuth::DovecotAuth(const std::string& user, const std::string& password)
    : DovecotAuth(user, password, Options()) {}

DovecotAuth::DovecotAuth(const std::string& user, const std::string& password, Options options) {
  RequireSaslSandbox();
  dir_ = MakeTempDir("rg-dovecot");
  socket_path_ = options.socket_path.empty() ? dir_ + "/auth-client" : options.socket_path;
  std::filesystem::create_directories(dir_ + "/state");
  // instance_name names the processes (dovecot-rg-XXXXXX/auth): several side by side, findable.
  const std::string instance = "rg-" + dir_.substr(dir_.rfind('.') + 1);
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(options.socket_mode));
  const std::string config =
      "# Written by tests/support/sasl_lab.cc: Dovecot as an auth-only SASL server.\n"
      "protocols =\n"
      "base_dir = " + dir_ + "/base\n"
      "state_dir = " + dir_ + "/state\n"
      "log_path = " + log_file() + "\n"
      "instance_name = " + instance + "\n"
      "ssl = no\n"
      "default_internal_user = dovecot\n"
      "default_login_user = dovenull\n"
      "auth_mechanisms = " + options.mechanisms + "\n"
      "auth_verbose = yes\n"
      "passdb {\n"
      "  driver = passwd-file\n"
      "  args = scheme=SHA512-CRYPT username_format=%u " + users_file() + "\n"
      "}\n"
      "service auth {\n"
      "  unix_listener " + socket_path_ + " {\n"
      "    mode = " + mode + "\n"
      "    user = " + options.socket_user + "\n"
      "    group = " + options.socket_group + "\n"
      "  }\n"
      "}\n" + options.extra_config;
  WriteFileMode(config_file(), config, 0644);
  WriteFileMode(users_file(), "", 0640);
  Chown(users_file(), "root", "dovecot");
  AddUser(user, password);
}

DovecotAuth::~DovecotAuth() {
  try {
    Stop();
  } catch (...) {
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void DovecotAuth::MakeSocketInaccessible() {
  Chown(socket_path_, "dovecot", "dovecot");
  if (chmod(socket_path_.c_str(), 0600) != 0) {
    throw std::runtime_error("chmod 0600 " + socket_path_ + ": " + std::strerror(errno));
  }
}

void DovecotAuth::RemoveSocket() {
  if (unlink(socket_path_.c_str()) != 0 && errno != ENOENT) {
    throw std::runtime_error("unlink " + socket_path_ + ": " + std::strerror(errno));
  }
}

void DovecotAuth::AddUser(const std::string& user, const std::string& password) {
  // Appended in place, so the mode and owner stay (Dovecot stats the file for changes).
  std::ofstream out(users_file(), std::ios::app);
  out << user << ":{SHA512-CRYPT}" << Sha512Crypt(password) << "\n";
  if (!out.flush()) throw std::runtime_error("cannot append to " + users_file());
}

void DovecotAuth::Start() {
  if (Running()) return;
  const std::string start_log = dir_ + "/start.log";
  if (RunDaemonStart({"/usr/sbin/dovecot", "-c", config_file()}, start_log) != 0) {
    throw std::runtime_error("dovecot -c " + config_file() + " failed: " +
                             ReadIfExists(start_log) + Tail(Log(), 10));
  }
  const bool up = WaitUntil(
      [this] { return master_pid() > 0 && UnixSocketAccepts(socket_path_); },
      std::chrono::seconds(10));
  if (!up) {
    throw std::runtime_error("dovecot (" + config_file() + ") did not open " + socket_path_ +
                             " within 10 s; log:\n" + Tail(Log(), 10));
  }
  const pid_t master = master_pid();
  processes_ = {master};
  for (pid_t child : ChildrenOf(master)) processes_.push_back(child);
}

void DovecotAuth::Stop() {
  std::vector<pid_t> pids = processes_;
  const pid_t master = master_pid();
  if (master > 0 && (pids.empty() || pids.front() != master)) pids.insert(pids.begin(), master);
  // Children started since Start() (auth workers) go with the master too.
  if (master > 0) {
    for (pid_t child : ChildrenOf(master)) pids.push_back(child);
  }
  std::erase_if(pids, [](pid_t pid) { return !Alive(pid); });
  if (!pids.empty() && pids.front() == master) {
    TerminateAll(pids, std::chrono::seconds(15));
  } else {
    for (pid_t pid : pids) kill(pid, SIGTERM);
    WaitUntil([&pids] { return std::none_of(pids.begin(), pids.end(), Alive); },
              std::chrono::seconds(5));
  }
  processes_.clear();
}

void DovecotAuth::Kill() {
  std::vector<pid_t> pids = processes_;
  const pid_t master = master_pid();
  if (master > 0) {
    pids.push_back(master);
    for (pid_t child : ChildrenOf(master)) pids.push_back(child);
  }
  for (pid_t pid : pids) {
    if (Alive(pid)) kill(pid, SIGKILL);
  }
  WaitUntil([&pids] { return std::none_of(pids.begin(), pids.end(), Alive); },
            std::chrono::seconds(5));
  processes_.clear();
}

bool DovecotAuth::Running() const { return master_pid() > 0; }

pid_t DovecotAuth::master_pid() const {
  const pid_t pid = ReadPidFile(dir_ + "/base/master.pid");
  return Alive(pid) ? pid : -1;
}

int DovecotAuth::AuthTest(const std::string& user, const std::string& password,
                          std::string* output) const {
  return RunCommand(
      {"/usr/bin/doveadm", "-c", config_file(), "auth", "test", "-a", socket_path_, user, password},
      output);
}

std::string DovecotAuth::Log() const { return ReadIfExists(log_file()); }

// ---- Saslauthd -----------------------------------------------------------------------------

Saslauthd::Saslauthd() {
  RequireSaslSandbox();
  dir_ = MakeTempDir("rg-saslauthd");
}

Saslauthd::~Saslauthd() {
  try {
    Stop();
  } catch (...) {
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void Saslauthd::Start() {
  RequireSaslSandbox();
  if (Running()) return;
  const std::string start_log = dir_ + "/start.log";
  if (RunDaemonStart({"/usr/sbin/saslauthd", "-a", "shadow", "-m", dir_, "-n", "1"},
                     start_log) != 0) {
    throw std::runtime_error("saslauthd -a shadow -m " + dir_ + " failed: " +
                             ReadIfExists(start_log));
  }
  if (!WaitUntil([this] { return pid() > 0 && UnixSocketAccepts(mux_path()); },
                 std::chrono::seconds(10))) {
    throw std::runtime_error("saslauthd did not open " + mux_path() + " within 10 s: " +
                             ReadIfExists(start_log));
  }
}

void Saslauthd::Stop() {
  const pid_t main = pid();
  if (main <= 0) return;
  std::vector<pid_t> pids = {main};
  for (pid_t child : ChildrenOf(main)) pids.push_back(child);
  TerminateAll(pids, std::chrono::seconds(10));
}

bool Saslauthd::Running() const { return pid() > 0; }

pid_t Saslauthd::pid() const {
  const pid_t pid = ReadPidFile(dir_ + "/saslauthd.pid");
  return Alive(pid) ? pid : -1;
}

int Saslauthd::Test(const std::string& user, const std::string& password,
                    const std::string& realm, std::string* output) const {
  std::vector<std::string> argv = {"/usr/sbin/testsaslauthd", "-f", mux_path(), "-u", user,
                                   "-p", password};
  if (!realm.empty()) {
    argv.push_back("-r");
    argv.push_back(realm);
  }
  return RunCommand(argv, output);
}

}  // namespace relayguard::testing
