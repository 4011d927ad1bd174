#include "worker/audio/job_queue.hpp"

namespace switchyard::worker::audio {

void JobQueue::start() { thread_ = std::thread([this] { loop(); }); }

void JobQueue::post(std::shared_ptr<ResponseSink> sink, std::function<void()> run) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && jobs_.size() < limit_) {
      jobs_.push_back({std::move(sink), std::move(run)});
      wake_.notify_one();
      return;
    }
  }
  sink->reply_error(ApiError(ErrorKind::unavailable, stopping_ ? "the worker is shutting down"
                                                               : "too many requests queued"));
}

void JobQueue::stop() {
  std::deque<Job> dropped;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(jobs_);
    wake_.notify_all();
  }
  for (Job& job : dropped) {
    job.sink->reply_error(ApiError(ErrorKind::unavailable, "the worker is shutting down"));
  }
  if (thread_.joinable()) thread_.join();
}

void JobQueue::loop() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    if (job.sink->cancelled()) continue;  // the client left while it waited
    job.run();
  }
}

}  // namespace switchyard::worker::audio
