// bench_sse_client: opens S concurrent SSE streams at once and measures, for every event, the
// delay from the upstream's write (the "t_us" it puts in the event, CLOCK_MONOTONIC µs) to this
// client's read (CLOCK_MONOTONIC µs when the bytes came back from the socket), and each stream's
// time to first byte. One thread, Asio on epoll.
//
//   bench_sse_client --port N [--host 127.0.0.1] --streams S [--path /v1/chat/completions]
//                    [--model bench] [--pids PID,PID...] [--timeout-s 60]
//
// --pids: processes whose resident memory (VmRSS and RssAnon from /proc/PID/status, summed) is
// sampled every 20 ms during the run; the peak and the value when every stream had its first
// event are reported. Prints one JSON object.
#include <boost/asio.hpp>
#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Options {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  int streams = 1;
  std::string path = "/v1/chat/completions";
  std::string model = "bench";
  std::vector<int> pids;
  int timeout_s = 60;
};

struct Memory {
  long rss_kib = 0;
  long anon_kib = 0;
};

Memory sample_memory(const std::vector<int>& pids) {
  Memory total;
  for (int pid : pids) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("VmRSS:", 0) == 0) total.rss_kib += std::atol(line.c_str() + 6);
      if (line.rfind("RssAnon:", 0) == 0) total.anon_kib += std::atol(line.c_str() + 8);
    }
  }
  return total;
}

struct Results {
  std::vector<std::int64_t> delays_us;
  std::vector<std::int64_t> ttfb_us;
  int completed = 0;
  int failed = 0;
  int with_first_event = 0;
  std::string first_error;
};

class Stream : public std::enable_shared_from_this<Stream> {
 public:
  Stream(asio::io_context& io, const Options& options, Results& results,
         std::function<void()> on_first_event, std::function<void()> on_end)
      : socket_(io), options_(options), results_(results),
        on_first_event_(std::move(on_first_event)), on_end_(std::move(on_end)) {}

  void start(const tcp::endpoint& endpoint) {
    const std::string body = R"({"model":")" + options_.model +
                             R"(","stream":true,"messages":[{"role":"user","content":"hi"}]})";
    request_ = "POST " + options_.path + " HTTP/1.1\r\nHost: " + options_.host +
               "\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\n"
               "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    socket_.async_connect(endpoint, [self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return self->fail("connect: " + ec.message());
      self->socket_.set_option(tcp::no_delay(true), ec);
      self->sent_us_ = now_us();
      asio::async_write(self->socket_, asio::buffer(self->request_),
                        [self](boost::system::error_code ec, std::size_t) {
                          if (ec) return self->fail("write: " + ec.message());
                          self->read();
                        });
    });
  }

 private:
  void read() {
    socket_.async_read_some(
        asio::buffer(chunk_), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
          const std::int64_t at = now_us();
          if (ec) return self->fail(self->seen_done_ ? "" : "read: " + ec.message());
          self->on_bytes(at, n);
        });
  }

  void on_bytes(std::int64_t at, std::size_t n) {
    if (!got_bytes_) {
      got_bytes_ = true;
      results_.ttfb_us.push_back(at - sent_us_);
    }
    pending_.append(chunk_.data(), n);
    if (!checked_status_ && pending_.size() >= 12) {
      checked_status_ = true;
      if (pending_.compare(0, 12, "HTTP/1.1 200") != 0) {
        return fail("status: " + pending_.substr(0, pending_.find('\r')));
      }
    }
    static const std::string kMarker = "\"t_us\":";
    std::size_t keep_from = std::string::npos;
    std::size_t pos = 0;
    for (;;) {
      const std::size_t p = pending_.find(kMarker, pos);
      if (p == std::string::npos) break;
      std::size_t end = p + kMarker.size();
      while (end < pending_.size() && std::isdigit(static_cast<unsigned char>(pending_[end]))) {
        ++end;
      }
      if (end == pending_.size()) {  // the number may go on in the next read
        keep_from = p;
        break;
      }
      const long long t_us = std::atoll(pending_.c_str() + p + kMarker.size());
      results_.delays_us.push_back(at - t_us);
      if (++events_ == 1) {
        ++results_.with_first_event;
        on_first_event_();
      }
      pos = end;
    }
    if (pending_.find("[DONE]", pos) != std::string::npos) {
      seen_done_ = true;
      ++results_.completed;
      boost::system::error_code ignored;
      socket_.close(ignored);
      return on_end_();
    }
    if (keep_from == std::string::npos) {
      keep_from = std::max(pos, pending_.size() > 8 ? pending_.size() - 8 : 0);
    }
    pending_.erase(0, keep_from);
    read();
  }

  void fail(const std::string& what) {
    if (!what.empty()) {
      ++results_.failed;
      if (results_.first_error.empty()) {
        results_.first_error = what;
        std::replace(results_.first_error.begin(), results_.first_error.end(), '"', '\'');
      }
    }
    boost::system::error_code ignored;
    socket_.close(ignored);
    on_end_();
  }

  tcp::socket socket_;
  const Options& options_;
  Results& results_;
  std::function<void()> on_first_event_;
  std::function<void()> on_end_;
  std::string request_;
  std::array<char, 16384> chunk_{};
  std::string pending_;
  std::int64_t sent_us_ = 0;
  bool got_bytes_ = false;
  bool checked_status_ = false;
  bool seen_done_ = false;
  int events_ = 0;
};

std::int64_t percentile(std::vector<std::int64_t>& values, double p) {
  if (values.empty()) return -1;
  const std::size_t i = std::min(values.size() - 1,
                                 static_cast<std::size_t>(p / 100.0 * values.size()));
  std::nth_element(values.begin(), values.begin() + i, values.end());
  return values[i];
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--host") options.host = value;
    else if (flag == "--port") options.port = static_cast<unsigned short>(std::stoi(value));
    else if (flag == "--streams") options.streams = std::stoi(value);
    else if (flag == "--path") options.path = value;
    else if (flag == "--model") options.model = value;
    else if (flag == "--timeout-s") options.timeout_s = std::stoi(value);
    else if (flag == "--pids") {
      std::stringstream list(value);
      std::string pid;
      while (std::getline(list, pid, ',')) {
        if (!pid.empty()) options.pids.push_back(std::stoi(pid));
      }
    } else {
      std::cerr << "bench_sse_client: unknown flag " << flag << "\n";
      return 2;
    }
  }

  asio::io_context io(1);
  Results results;
  results.delays_us.reserve(static_cast<std::size_t>(options.streams) * 64);
  const Memory before = sample_memory(options.pids);
  Memory peak = before;
  Memory at_all_open;
  int ended = 0;
  asio::steady_timer sampler(io);
  asio::steady_timer deadline(io, std::chrono::seconds(options.timeout_s));
  bool timed_out = false;
  bool finished = false;  // a sampler wait that completed before cancel() must not re-arm

  std::function<void()> sample = [&] {
    const Memory now = sample_memory(options.pids);
    peak.rss_kib = std::max(peak.rss_kib, now.rss_kib);
    peak.anon_kib = std::max(peak.anon_kib, now.anon_kib);
    sampler.expires_after(std::chrono::milliseconds(20));
    sampler.async_wait([&](boost::system::error_code ec) {
      if (!ec && !finished) sample();
    });
  };
  const auto on_first_event = [&] {
    if (results.with_first_event == options.streams) {
      at_all_open = sample_memory(options.pids);
      peak.rss_kib = std::max(peak.rss_kib, at_all_open.rss_kib);
      peak.anon_kib = std::max(peak.anon_kib, at_all_open.anon_kib);
    }
  };
  const auto on_end = [&] {
    if (++ended == options.streams) {
      finished = true;
      sampler.cancel();
      deadline.cancel();
    }
  };
  deadline.async_wait([&](boost::system::error_code ec) {
    if (ec) return;
    timed_out = true;
    io.stop();
  });
  if (!options.pids.empty()) sample();

  const tcp::endpoint endpoint(asio::ip::make_address(options.host), options.port);
  const std::int64_t started = now_us();
  for (int i = 0; i < options.streams; ++i) {
    std::make_shared<Stream>(io, options, results, on_first_event, on_end)->start(endpoint);
  }
  io.run();
  const std::int64_t elapsed = now_us() - started;

  const std::size_t events = results.delays_us.size();
  std::printf(
      "{\"streams\":%d,\"completed\":%d,\"failed\":%d,\"timed_out\":%s,\"events\":%zu,"
      "\"elapsed_us\":%lld,\"delay_p50_us\":%lld,\"delay_p99_us\":%lld,\"delay_max_us\":%lld,"
      "\"ttfb_p50_us\":%lld,\"ttfb_p99_us\":%lld,"
      "\"rss_before_kib\":%ld,\"anon_before_kib\":%ld,\"rss_peak_kib\":%ld,\"anon_peak_kib\":%ld,"
      "\"rss_all_open_kib\":%ld,\"anon_all_open_kib\":%ld,\"first_error\":\"%s\"}\n",
      options.streams, results.completed, results.failed, timed_out ? "true" : "false", events,
      static_cast<long long>(elapsed), static_cast<long long>(percentile(results.delays_us, 50)),
      static_cast<long long>(percentile(results.delays_us, 99)),
      static_cast<long long>(percentile(results.delays_us, 100)),
      static_cast<long long>(percentile(results.ttfb_us, 50)),
      static_cast<long long>(percentile(results.ttfb_us, 99)), before.rss_kib, before.anon_kib,
      peak.rss_kib, peak.anon_kib, at_all_open.rss_kib, at_all_open.anon_kib,
      results.first_error.c_str());
  return results.failed == 0 && !timed_out ? 0 : 1;
}
