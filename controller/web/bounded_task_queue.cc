#include "controller/web/bounded_task_queue.h"

namespace relayguard::controller {

BoundedTaskQueue::BoundedTaskQueue(size_t threads, size_t max_queued) : max_queued_(max_queued) {
  for (size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
}

void BoundedTaskQueue::enqueue(std::function<void()> job) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    space_ready_.wait(lock, [&] { return jobs_.size() < max_queued_ || shutting_down_; });
    jobs_.push_back(std::move(job));
  }
  jobs_ready_.notify_one();
}

void BoundedTaskQueue::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
  }
  jobs_ready_.notify_all();
  space_ready_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void BoundedTaskQueue::Work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      jobs_ready_.wait(lock, [&] { return !jobs_.empty() || shutting_down_; });
      // Queued connections are still served (each closes its socket) before the workers end.
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    space_ready_.notify_one();
    job();
  }
}

}  // namespace relayguard::controller
