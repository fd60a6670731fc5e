// An eventfd that one thread signals to end another thread's poll() (a follower's Wait).
#ifndef RELAYGUARD_AGENT_MONITOR_WAKE_FD_H_
#define RELAYGUARD_AGENT_MONITOR_WAKE_FD_H_

namespace relayguard::agent {

class WakeFd {
 public:
  WakeFd();  // crashes with a message when the kernel refuses an eventfd (out of descriptors)
  ~WakeFd();
  WakeFd(const WakeFd&) = delete;
  WakeFd& operator=(const WakeFd&) = delete;

  int fd() const { return fd_; }  // readable (POLLIN) after Signal(), until Clear()
  void Signal();                  // async-signal-safe, from any thread
  void Clear();                   // non-blocking

 private:
  int fd_ = -1;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MONITOR_WAKE_FD_H_
