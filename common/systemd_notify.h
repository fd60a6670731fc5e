// The systemd service notification protocol (Type=notify) for the two daemons: READY=1 once
// they serve, WATCHDOG=1 while they live, RELOADING=1 / READY=1 around a SIGHUP reload,
// STOPPING=1 on the way out. Outside systemd (no NOTIFY_SOCKET) every call does nothing.
#ifndef RELAYGUARD_COMMON_SYSTEMD_NOTIFY_H_
#define RELAYGUARD_COMMON_SYSTEMD_NOTIFY_H_

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace relayguard {

class SystemdNotifier {
 public:
  SystemdNotifier() = default;
  // Stops the watchdog thread (sends nothing more).
  ~SystemdNotifier();
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  // READY=1 with a STATUS= line: call once the daemon's listeners (or streams) are up.
  void Ready(const std::string& status);
  // RELOADING=1: call when a reload (SIGHUP) starts; Ready() again when it is done.
  void Reloading();
  // STOPPING=1: call when the daemon starts shutting down.
  void Stopping();
  // When systemd set WATCHDOG_USEC for this process (WatchdogSec=), starts a thread that sends
  // WATCHDOG=1 every half of it until this object dies. Otherwise does nothing.
  void StartWatchdog();

 private:
  void Send(const std::string& state);

  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread watchdog_;
};

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_SYSTEMD_NOTIFY_H_
