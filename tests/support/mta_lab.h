// Test support: sandboxed real Exim and Sendmail instances on a loopback port chosen at run time
// (deploy/lab/exim-instance.sh, sendmail-instance.sh), and relayguard-agent run against them.
// They need the private /etc of tests/support/mta_sandbox.sh: tests using them run under it
// (tests/CMakeLists.txt sets it as the test launcher).
#ifndef RELAYGUARD_TESTS_SUPPORT_MTA_LAB_H_
#define RELAYGUARD_TESTS_SUPPORT_MTA_LAB_H_

#include <map>
#include <string>
#include <vector>

namespace relayguard::testing {

// Where the unpacked Exim and Sendmail packages are (RELAYGUARD_MTA_ROOT).
std::string MtaRoot();

class MtaLab {
 public:
  virtual ~MtaLab();
  MtaLab(const MtaLab&) = delete;
  MtaLab& operator=(const MtaLab&) = delete;

  // Starts the daemon, from `config` instead of the instance's own file when given.
  void Start(const std::string& config = "");
  void Stop();
  bool Running() const;
  std::string dir() const { return dir_; }
  std::string config_dir() const { return dir_ + "/etc"; }
  std::string state_dir() const { return dir_ + "/state"; }
  int port() const { return port_; }
  virtual std::string kind() const = 0;
  // The files relayguard manages (what must come back byte for byte after a rollback).
  virtual std::vector<std::string> managed_files() const = 0;
  // The file the daemon runs from.
  virtual std::string daemon_config() const = 0;

  // relayguard-agent with this instance's MTA flags and --state-dir, then `args`.
  virtual std::vector<std::string> AgentArgv(const std::vector<std::string>& args) const = 0;
  int Agent(const std::vector<std::string>& args, std::string* output,
            const std::vector<std::string>& extra_env = {}) const;

 protected:
  // Creates the instance with `script VERB DIR PORT extra...`.
  MtaLab(std::string script, const std::string& verb, const std::vector<std::string>& extra);
  std::string script_;
  std::string root_;
  std::string dir_;
  int port_ = 0;
};

// The contents of `lab`'s managed files by path (to compare before and after).
std::map<std::string, std::string> ManagedFiles(const MtaLab& lab);

// `relay_from` is the hostlist relay_from_hosts the instance starts with (0.0.0.0/0: open).
class EximLab : public MtaLab {
 public:
  explicit EximLab(const std::string& relay_from = "0.0.0.0/0");
  std::string kind() const override { return "exim"; }
  std::string config_file() const { return config_dir() + "/exim4.conf"; }
  std::vector<std::string> managed_files() const override { return {config_file()}; }
  std::string daemon_config() const override { return config_file(); }
  std::vector<std::string> AgentArgv(const std::vector<std::string>& args) const override;
};

// Debian's split configuration: /etc/exim4/update-exim4.conf.conf (of the private /etc) with
// dc_relay_nets = `relay_nets`; the daemon runs the file update-exim4.conf generates from it.
// One per sandbox (there is one /etc/exim4).
class EximDebianLab : public MtaLab {
 public:
  explicit EximDebianLab(const std::string& relay_nets = "0.0.0.0/0");
  std::string kind() const override { return "exim"; }
  std::vector<std::string> managed_files() const override {
    return {"/etc/exim4/update-exim4.conf.conf"};
  }
  std::string daemon_config() const override { return config_dir() + "/exim4.generated"; }
  std::vector<std::string> AgentArgv(const std::vector<std::string>& args) const override;
};

// `open`: the .mc starts with FEATURE(`promiscuous_relay').
class SendmailLab : public MtaLab {
 public:
  explicit SendmailLab(bool open = true);
  std::string kind() const override { return "sendmail"; }
  std::string mc() const { return config_dir() + "/sendmail.mc"; }
  std::string cf() const { return config_dir() + "/sendmail.cf"; }
  std::string access() const { return config_dir() + "/access"; }
  std::string relay_domains() const { return config_dir() + "/relay-domains"; }
  std::string hosts() const { return config_dir() + "/hosts"; }
  std::vector<std::string> managed_files() const override { return {mc(), cf(), access()}; }
  std::string daemon_config() const override { return cf(); }
  std::vector<std::string> AgentArgv(const std::vector<std::string>& args) const override;

  // Shapes of real configurations, set up before Start(); Rebuild() makes them take effect
  // (the instance is unchanged without them).
  // Adds DAEMON_OPTIONS(`Port=P, Addr=127.0.0.1, OPTIONS') after the last DAEMON_OPTIONS line
  // of sendmail.mc, P a free port; returns P.
  int AddDaemon(const std::string& options);
  // Inserts m4 lines (each ending in a newline) before MAILER(`local') in sendmail.mc.
  void AddMcLines(const std::string& lines);
  // Appends lines to the access map source, the hosts file the daemon resolves with.
  void AddAccessLines(const std::string& lines);
  void AddHostsLines(const std::string& lines);
  // sendmail.cf from sendmail.mc again, and the access map (sendmail-instance.sh rebuild).
  void Rebuild();

 protected:
  SendmailLab(const std::string& verb, const std::vector<std::string>& extra);
};

// Debian's packaged sendmail.mc and access file, adapted to the lab's paths
// (sendmail-instance.sh create-debian): MTA-v4 on port(), MSP-v4 (M=Ea) on submission_port().
class SendmailDebianLab : public SendmailLab {
 public:
  SendmailDebianLab() : SendmailDebianLab(FreeSubmissionPort()) {}
  int submission_port() const { return submission_port_; }

 private:
  static int FreeSubmissionPort();
  explicit SendmailDebianLab(int submission_port);
  int submission_port_;
};

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_SUPPORT_MTA_LAB_H_
