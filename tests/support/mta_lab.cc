#include "tests/support/mta_lab.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "tests/support/postfix_lab.h"

namespace relayguard::testing {

std::string MtaRoot() {
  const char* root = std::getenv("RELAYGUARD_MTA_ROOT");
  return root != nullptr && *root != '\0' ? root : "/var/cache/relayguard/mta-root";
}

MtaLab::MtaLab(std::string script, const std::string& verb,
               const std::vector<std::string>& extra)
    : script_(SourcePath(std::move(script))) {
  if (std::getenv("RELAYGUARD_IN_MTA_SANDBOX") == nullptr) {
    throw std::runtime_error(
        "Exim/Sendmail labs need the private /etc of tests/support/mta_sandbox.sh; run the "
        "test through it (ctest does)");
  }
  char tmpl[] = "/tmp/rg-mta.XXXXXX";
  root_ = mkdtemp(tmpl);
  chmod(root_.c_str(), 0755);  // the daemons drop privileges and must reach their dirs
  dir_ = root_ + "/mx";
  port_ = FreeLoopbackPort();
  std::vector<std::string> argv = {"/bin/bash", script_, verb, dir_, std::to_string(port_)};
  argv.insert(argv.end(), extra.begin(), extra.end());
  std::string out;
  if (RunCommand(argv, &out) != 0) throw std::runtime_error(script_ + " create failed: " + out);
}

MtaLab::~MtaLab() {
  std::string out;
  RunCommand({"/bin/bash", script_, "destroy", dir_}, &out);
  std::filesystem::remove_all(root_);
}

void MtaLab::Start(const std::string& config) {
  std::string out;
  std::vector<std::string> argv = {"/bin/bash", script_, "start", dir_};
  if (!config.empty()) argv.push_back(config);
  if (RunCommand(argv, &out) != 0) {
    throw std::runtime_error(kind() + " lab instance did not start:\n" + out);
  }
}

void MtaLab::Stop() {
  std::string out;
  RunCommand({"/bin/bash", script_, "stop", dir_}, &out);
}

bool MtaLab::Running() const {
  std::string out;
  return RunCommand({"/bin/bash", script_, "status", dir_}, &out) == 0;
}

int MtaLab::Agent(const std::vector<std::string>& args, std::string* output,
                  const std::vector<std::string>& extra_env) const {
  return RunCommand(AgentArgv(args), output, extra_env);
}

EximLab::EximLab(const std::string& relay_from)
    : MtaLab("deploy/lab/exim-instance.sh", "create", {relay_from}) {}

EximDebianLab::EximDebianLab(const std::string& relay_nets)
    : MtaLab("deploy/lab/exim-instance.sh", "create-debian", {relay_nets}) {}

std::vector<std::string> EximDebianLab::AgentArgv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {AgentBinary(),
                                   "--mta",
                                   "exim",
                                   "--mta-config-dir",
                                   "/etc/exim4",
                                   "--exim-generated",
                                   daemon_config(),
                                   "--mta-bin-dir",
                                   MtaRoot() + "/usr/sbin",
                                   "--state-dir",
                                   state_dir()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::vector<std::string> EximLab::AgentArgv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {AgentBinary(),  "--mta",         "exim",
                                   "--mta-config-dir", config_dir(), "--mta-bin-dir",
                                   MtaRoot() + "/usr/sbin", "--state-dir", state_dir()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

SendmailLab::SendmailLab(bool open)
    : MtaLab("deploy/lab/sendmail-instance.sh", "create", {open ? "open" : "closed"}) {}

SendmailLab::SendmailLab(const std::string& verb, const std::vector<std::string>& extra)
    : MtaLab("deploy/lab/sendmail-instance.sh", verb, extra) {}

int SendmailLab::AddDaemon(const std::string& options) {
  const int port = FreeLoopbackPort();
  std::string text = ReadFileOrDie(mc());
  const size_t last = text.rfind("\nDAEMON_OPTIONS(");
  if (last == std::string::npos) throw std::runtime_error(mc() + " has no DAEMON_OPTIONS line");
  const size_t end = text.find('\n', last + 1);
  text.insert(end + 1, "DAEMON_OPTIONS(`Port=" + std::to_string(port) + ", Addr=127.0.0.1, " +
                           options + "')dnl\n");
  WriteFileOrDie(mc(), text);
  return port;
}

void SendmailLab::AddMcLines(const std::string& lines) {
  std::string text = ReadFileOrDie(mc());
  const size_t at = text.find("MAILER(`local')");
  if (at == std::string::npos) throw std::runtime_error(mc() + " has no MAILER(`local')");
  text.insert(at, lines);
  WriteFileOrDie(mc(), text);
}

void SendmailLab::AddAccessLines(const std::string& lines) {
  WriteFileOrDie(access(), ReadFileOrDie(access()) + lines);
}

void SendmailLab::AddHostsLines(const std::string& lines) {
  WriteFileOrDie(hosts(), ReadFileOrDie(hosts()) + lines);
}

void SendmailLab::Rebuild() {
  std::string out;
  if (RunCommand({"/bin/bash", script_, "rebuild", dir_}, &out) != 0) {
    throw std::runtime_error("sendmail-instance.sh rebuild failed: " + out);
  }
}

int SendmailDebianLab::FreeSubmissionPort() { return FreeLoopbackPort(); }

SendmailDebianLab::SendmailDebianLab(int submission_port)
    : SendmailLab("create-debian", {std::to_string(submission_port)}),
      submission_port_(submission_port) {}

std::vector<std::string> SendmailLab::AgentArgv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {AgentBinary(),
                                   "--mta",
                                   "sendmail",
                                   "--mta-config-dir",
                                   config_dir(),
                                   "--mta-bin-dir",
                                   MtaRoot() + "/usr/libexec/sendmail",
                                   "--sendmail-cf-dir",
                                   MtaRoot() + "/usr/share/sendmail/cf",
                                   "--state-dir",
                                   state_dir()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::map<std::string, std::string> ManagedFiles(const MtaLab& lab) {
  std::map<std::string, std::string> files;
  for (const std::string& path : lab.managed_files()) files[path] = ReadFileOrDie(path);
  return files;
}

}  // namespace relayguard::testing
