// cpp-httplib's task queue, bounded: `threads` workers and at most `max_queued` accepted
// connections waiting for one. When the queue is full, enqueue() waits, so the accepting thread
// stops accepting and the kernel's listen backlog holds further connections (rather than each
// taking a file descriptor and memory here, as httplib's own ThreadPool's unbounded list does).
#ifndef RELAYGUARD_CONTROLLER_WEB_BOUNDED_TASK_QUEUE_H_
#define RELAYGUARD_CONTROLLER_WEB_BOUNDED_TASK_QUEUE_H_

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace relayguard::controller {

class BoundedTaskQueue final : public httplib::TaskQueue {
 public:
  BoundedTaskQueue(size_t threads, size_t max_queued);
  ~BoundedTaskQueue() override = default;

  void enqueue(std::function<void()> job) override;  // waits while max_queued are waiting
  void shutdown() override;                          // runs what is queued, then joins the workers

 private:
  void Work();

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable jobs_ready_;   // a job was queued, or shutdown
  std::condition_variable space_ready_;  // a job was taken
  std::deque<std::function<void()>> jobs_;
  bool shutting_down_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_WEB_BOUNDED_TASK_QUEUE_H_
