#include "tests/support/monitor_lab.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/wait.h"

namespace relayguard::testing {
namespace {

std::string ReadIfExists(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t SizeOf(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
}

bool IsSocket(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

void Run(const std::vector<std::string>& argv, const std::string& what) {
  std::string out;
  const int rc = RunCommand(argv, &out);
  if (rc != 0) throw std::runtime_error(what + " failed (exit " + std::to_string(rc) + "): " + out);
}

// Replaces the line starting with `prefix` in `path` by `line`; throws when there is none.
void ReplaceLine(const std::string& path, const std::string& prefix, const std::string& line) {
  std::istringstream in(ReadFileOrDie(path));
  std::string text, l;
  bool found = false;
  while (std::getline(in, l)) {
    if (!found && l.rfind(prefix, 0) == 0) {
      l = line;
      found = true;
    }
    text += l + "\n";
  }
  if (!found) throw std::runtime_error(path + " has no line starting with \"" + prefix + "\"");
  WriteFileOrDie(path, text);
}

SmtpSession Swaks(int port, const std::string& client, std::vector<std::string> extra) {
  std::vector<std::string> argv = {"/usr/bin/swaks",     "--server",
                                   "127.0.0.1:" + std::to_string(port),
                                   "--local-interface",  client,
                                   "--ehlo",             "client.lab.test",
                                   "--from",             kProbeSender,
                                   "--to",               kVictimRecipient,
                                   "--timeout",          "15"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  SmtpSession session;
  session.exit_code = RunCommand(argv, &session.transcript);
  return session;
}

size_t CountInFile(const std::string& path, const std::string& what) {
  return CountOf(ReadIfExists(path), what);
}

}  // namespace

std::string SyslogSinkBinary() { return std::string(RG_BINARY_DIR) + "/tests/rg-syslog-sink"; }

SyslogSink::SyslogSink(const std::string& socket_path) : socket_path_(socket_path) {
  char tmpl[] = "/tmp/rg-syslog.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp /tmp/rg-syslog.XXXXXX failed");
  dir_ = tmpl;
  chmod(dir_.c_str(), 0755);
  const std::vector<std::string> argv = {SyslogSinkBinary(), "--socket", socket_path_, "--out",
                                         log_file(), "--traditional-out", traditional_log_file()};
  const std::string stderr_file = dir_ + "/sink.stderr";
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  if (pid_ < 0) throw std::runtime_error("fork for rg-syslog-sink failed");
  if (!WaitFor([this] { return IsSocket(socket_path_) || !Running(); }, std::chrono::seconds(5)) ||
      !IsSocket(socket_path_)) {
    const std::string err = ReadIfExists(stderr_file);
    this->~SyslogSink();
    throw std::runtime_error("rg-syslog-sink did not open " + socket_path_ + " within 5 s (in " +
                             "tests/support/mta_sandbox.sh? it gives the private /dev): " + err);
  }
}

SyslogSink::~SyslogSink() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    dir_.clear();
  }
}

bool SyslogSink::Running() const {
  return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0;
}

LogWatch::LogWatch(std::string path) : path_(std::move(path)), start_(SizeOf(path_)) {}

std::vector<std::string> LogWatch::NewLines() const {
  const std::string text = ReadIfExists(path_);
  std::vector<std::string> lines;
  if (text.size() <= start_) return lines;
  size_t at = start_;
  for (size_t nl = text.find('\n', at); nl != std::string::npos; nl = text.find('\n', at)) {
    lines.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  return lines;
}

std::optional<std::string> LogWatch::WaitForLine(const std::vector<std::string>& needles,
                                                 std::chrono::milliseconds limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    for (const std::string& line : NewLines()) {
      bool all = true;
      for (const std::string& needle : needles) {
        if (line.find(needle) == std::string::npos) {
          all = false;
          break;
        }
      }
      if (all) return line;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string EximLogFile(const MtaLab& exim) { return exim.dir() + "/log/mainlog"; }

SmtpSession SendRelayAttempt(int port, const std::string& client) {
  return Swaks(port, client, {"--quit-after", "RCPT"});
}

SmtpSession SendMessage(int port, const std::string& client) { return Swaks(port, client, {}); }

SmtpSession SendAuthenticated(int port, const std::string& user, const std::string& password,
                              bool then_message, const std::string& client) {
  std::vector<std::string> extra = {"--auth",          "PLAIN",   "--auth-user", user,
                                    "--auth-password", password, "--auth-hide-password"};
  if (!then_message) extra.insert(extra.end(), {"--quit-after", "AUTH"});
  return Swaks(port, client, extra);
}

void OpenRelayByHand(PostfixLab& postfix) {
  const std::string maillog = postfix.dir() + "/maillog";
  const size_t reloads = CountInFile(maillog, "reload -- version");
  Run({"/usr/sbin/postconf", "-c", postfix.config_dir(), "-e", "mynetworks = 0.0.0.0/0"},
      "postconf -e mynetworks = 0.0.0.0/0");
  Run({"/usr/sbin/postfix", "-c", postfix.config_dir(), "reload"}, "postfix reload");
  // With maillog_file the master logs the reload; through syslog there is no file to watch.
  if (std::filesystem::exists(maillog) &&
      !WaitFor([&] { return CountInFile(maillog, "reload -- version") > reloads; },
               std::chrono::seconds(5))) {
    throw std::runtime_error("postfix reload of " + postfix.config_dir() +
                             " not logged in 5 s");
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // old smtpd processes answer old policy
}

void OpenRelayByHand(EximLab& exim) {
  const std::string mainlog = EximLogFile(exim);
  const size_t starts = CountInFile(mainlog, "daemon started");
  ReplaceLine(exim.config_file(), "hostlist   relay_from_hosts =",
              "hostlist   relay_from_hosts = 0.0.0.0/0");
  const std::string pid = ReadFileOrDie(exim.dir() + "/run/exim.pid");
  if (kill(std::atoi(pid.c_str()), SIGHUP) != 0) {
    throw std::runtime_error("SIGHUP to exim (pid " + pid + "): " + std::strerror(errno));
  }
  // The re-executed daemon logs "daemon started" once it listens again.
  if (!WaitFor([&] { return CountInFile(mainlog, "daemon started") > starts; },
               std::chrono::seconds(5))) {
    throw std::runtime_error("exim did not restart within 5 s after SIGHUP; see " + mainlog);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
}

void OpenRelayByHand(SendmailLab& sendmail) {
  sendmail.AddAccessLines("Connect:127.0.0.9\tRELAY\n");
  // sendmail-instance.sh rebuild: makemap for the access map (the .cf comes out unchanged). The
  // daemon opens the map per session: no restart.
  sendmail.Rebuild();
}

void LogThroughSyslog(PostfixLab& postfix) {
  Run({"/usr/sbin/postconf", "-c", postfix.config_dir(), "-e", "maillog_file ="},
      "postconf -e maillog_file =");
}

void DeliverThroughSmartHost(SendmailLab& sendmail, PostfixLab& smart_host) {
  Run({"/usr/sbin/postconf", "-c", smart_host.config_dir(), "-e",
       "myhostname = smarthost.lab.test"},
      "postconf -e myhostname");
  ReplaceLine(sendmail.mc(), "define(`confDELIVERY_MODE'",
              "define(`confDELIVERY_MODE', `background')dnl");
  const std::string port = std::to_string(smart_host.port());
  sendmail.AddMcLines("define(`SMART_HOST', `[127.0.0.1]')dnl\n"
                      "define(`RELAY_MAILER_ARGS', `TCP $h " + port + "')dnl\n"
                      "define(`ESMTP_MAILER_ARGS', `TCP $h " + port + "')dnl\n");
  sendmail.Rebuild();
}

void EnableSaslAuth(PostfixLab& postfix, const std::string& dovecot_socket) {
  Run({"/usr/sbin/postconf", "-c", postfix.config_dir(), "-e", "smtpd_sasl_auth_enable = yes",
       "smtpd_sasl_type = dovecot", "smtpd_sasl_path = " + dovecot_socket},
      "postconf -e smtpd_sasl_*");
}

void EnableSaslAuth(EximLab& exim, const std::string& password_file) {
  const std::string conf = exim.config_file();
  ReplaceLine(conf, "  accept  hosts       = +relay_from_hosts",
              "  accept  hosts       = +relay_from_hosts\n  accept  authenticated = *");
  WriteFileOrDie(conf, ReadFileOrDie(conf) +
                           "\nbegin authenticators\n\n"
                           "plain_server:\n"
                           "  driver = plaintext\n"
                           "  public_name = PLAIN\n"
                           "  server_prompts = :\n"
                           "  server_condition = ${if crypteq{$auth3}{${extract{1}{:}{${lookup{"
                           "$auth2}lsearch{" + password_file + "}{$value}{*:*}}}}}}\n"
                           "  server_set_id = $auth2\n");
  Run({MtaRoot() + "/usr/sbin/exim4", "-C", conf, "-bV"}, "exim4 -bV of " + conf);
}

void EnableSaslAuth(SendmailLab& sendmail, const std::string& sasldb) {
  if (std::getenv("RELAYGUARD_IN_MTA_SANDBOX") == nullptr) {
    throw std::runtime_error("EnableSaslAuth(SendmailLab) writes /etc/sasl2: run inside "
                             "tests/support/mta_sandbox.sh");
  }
  std::filesystem::create_directories("/etc/sasl2");
  WriteFileOrDie("/etc/sasl2/Sendmail.conf",
                 "pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: " + sasldb +
                     "\nmech_list: PLAIN LOGIN\n");
  sendmail.AddMcLines("define(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl\n"
                      "TRUST_AUTH_MECH(`PLAIN LOGIN')dnl\n");
  sendmail.Rebuild();
}

}  // namespace relayguard::testing
