// Test support: a sandboxed real Postfix instance (deploy/lab/postfix-instance.sh) on a loopback
// port chosen at run time, and running relayguard-agent as a real process.
#ifndef RELAYGUARD_TESTS_SUPPORT_POSTFIX_LAB_H_
#define RELAYGUARD_TESTS_SUPPORT_POSTFIX_LAB_H_

#include <string>
#include <vector>

namespace relayguard::testing {

// A free TCP port on 127.0.0.1 (bind port 0, read it back, close).
int FreeLoopbackPort();

// Runs `argv` (no shell) and returns its exit code; stdout+stderr go to *output (stderr is
// dropped when `keep_stderr` is false); the child's peak RSS in KiB to *max_rss_kib if given.
int RunCommand(const std::vector<std::string>& argv, std::string* output,
               const std::vector<std::string>& extra_env = {}, long* max_rss_kib = nullptr,
               bool keep_stderr = true);

std::string ReadFileOrDie(const std::string& path);
void WriteFileOrDie(const std::string& path, const std::string& contents);

class PostfixLab {
 public:
  // Creates (not starts) an instance under a fresh temp dir, listening on a free port.
  explicit PostfixLab(const std::string& mynetworks = "0.0.0.0/0");
  ~PostfixLab();  // stops it and removes the temp dir

  void Start();
  void Stop();
  std::string dir() const { return dir_; }
  std::string config_dir() const { return dir_ + "/etc"; }
  std::string main_cf() const { return config_dir() + "/main.cf"; }
  std::string master_cf() const { return config_dir() + "/master.cf"; }
  std::string state_dir() const { return dir_ + "/state"; }
  int port() const { return port_; }
  // Number of "reload" events in the instance's maillog.
  int ReloadCount() const;

  // relayguard-agent with this instance's --mta-config-dir and --state-dir, then `args`.
  int Agent(const std::vector<std::string>& args, std::string* output,
            const std::vector<std::string>& extra_env = {}) const;
  std::vector<std::string> AgentArgv(const std::vector<std::string>& args) const;

 private:
  std::string root_;
  std::string dir_;
  int port_ = 0;
};

std::string AgentBinary();
// `agent_argv` (an AgentArgv) run by relayguard-agent-pausing instead, paused at fault point
// `point` ("after-activate", ...) so that the test can kill it there.
std::vector<std::string> PausingAgentArgv(std::vector<std::string> agent_argv,
                                          const std::string& point);
std::string SourcePath(const std::string& relative);

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_SUPPORT_POSTFIX_LAB_H_
