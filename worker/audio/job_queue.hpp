// One engine thread running jobs in order, with a bounded queue: a full queue answers 503, and
// stop() answers every job still waiting with 503 before it joins the thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "worker/engine.hpp"

namespace switchyard::worker::audio {

class JobQueue {
 public:
  explicit JobQueue(std::size_t limit = 64) : limit_(limit) {}
  ~JobQueue() { stop(); }
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  void start();
  // Queues `run`; answers `sink` with 503 when the queue is full or stopped.
  void post(std::shared_ptr<ResponseSink> sink, std::function<void()> run);
  void stop();

 private:
  struct Job {
    std::shared_ptr<ResponseSink> sink;
    std::function<void()> run;
  };
  void loop();

  std::size_t limit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace switchyard::worker::audio
