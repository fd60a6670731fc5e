// Test support: a background process with its output appended to a log file, SIGKILLed (and
// reaped) on Kill() or destruction.
#ifndef RELAYGUARD_TESTS_SUPPORT_DAEMON_H_
#define RELAYGUARD_TESTS_SUPPORT_DAEMON_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace relayguard::testing {

class Daemon {
 public:
  Daemon(std::vector<std::string> argv, std::string log);
  ~Daemon() { Kill(); }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  void Kill();
  pid_t pid() const { return pid_; }
  std::string Log() const;  // "" until the process has written something

 private:
  pid_t pid_ = -1;
  std::string log_;
};

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_SUPPORT_DAEMON_H_
