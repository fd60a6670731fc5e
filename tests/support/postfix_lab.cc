#include "tests/support/postfix_lab.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>


namespace relayguard::testing {

std::string SourcePath(const std::string& relative) {
  return std::string(RG_SOURCE_DIR) + "/" + relative;
}
std::string AgentBinary() { return std::string(RG_BINARY_DIR) + "/agent/relayguard-agent"; }

std::vector<std::string> PausingAgentArgv(std::vector<std::string> agent_argv,
                                          const std::string& point) {
  agent_argv.at(0) = std::string(RG_BINARY_DIR) + "/tests/relayguard-agent-pausing";
  agent_argv.insert(agent_argv.begin() + 1, {"--pause-at", point});
  return agent_argv;
}

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    throw std::runtime_error("cannot bind a loopback port");
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

int RunCommand(const std::vector<std::string>& argv, std::string* output,
               const std::vector<std::string>& extra_env, long* max_rss_kib, bool keep_stderr) {
  int pipefd[2];
  if (pipe(pipefd) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], 1);
    if (keep_stderr) {
      dup2(pipefd[1], 2);
    } else {
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, 2);
    }
    close(pipefd[0]);
    close(pipefd[1]);
    for (const std::string& kv : extra_env) putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(pipefd[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof(buf))) > 0) out.append(buf, n);
  close(pipefd[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  if (max_rss_kib) *max_rss_kib = usage.ru_maxrss;
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFileOrDie(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << contents;
}

PostfixLab::PostfixLab(const std::string& mynetworks) {
  char tmpl[] = "/tmp/rg-test.XXXXXX";
  root_ = mkdtemp(tmpl);
  chmod(root_.c_str(), 0755);
  dir_ = root_ + "/mx";
  port_ = FreeLoopbackPort();
  std::string out;
  int rc = RunCommand({"/bin/bash", SourcePath("deploy/lab/postfix-instance.sh"), "create", dir_,
                       std::to_string(port_), mynetworks},
                      &out);
  if (rc != 0) throw std::runtime_error("lab create failed: " + out);
}

PostfixLab::~PostfixLab() {
  std::string out;
  RunCommand({"/bin/bash", SourcePath("deploy/lab/postfix-instance.sh"), "destroy", dir_}, &out);
  std::filesystem::remove_all(root_);
}

void PostfixLab::Start() {
  std::string out;
  int rc =
      RunCommand({"/bin/bash", SourcePath("deploy/lab/postfix-instance.sh"), "start", dir_}, &out);
  if (rc != 0) {
    throw std::runtime_error(
        "postfix lab instance did not start (is postfix installed? tests/run_all.sh installs "
        "it):\n" + out);
  }
}

void PostfixLab::Stop() {
  std::string out;
  RunCommand({"/bin/bash", SourcePath("deploy/lab/postfix-instance.sh"), "stop", dir_}, &out);
}

int PostfixLab::ReloadCount() const {
  std::ifstream in(dir_ + "/maillog");
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    if (line.find("reload -- version") != std::string::npos) ++count;
  }
  return count;
}

std::vector<std::string> PostfixLab::AgentArgv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {AgentBinary(), "--mta", "postfix", "--mta-config-dir",
                                   config_dir(), "--state-dir", state_dir()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

int PostfixLab::Agent(const std::vector<std::string>& args, std::string* output,
                      const std::vector<std::string>& extra_env) const {
  return RunCommand(AgentArgv(args), output, extra_env);
}

}  // namespace relayguard::testing
