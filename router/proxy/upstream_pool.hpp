// Keep-alive connections to workers, per model. A model's pool is emptied whenever its worker
// is replaced (a new generation), so a request never reaches a dead worker's port. A connection
// that received anything at rest, bytes past the worker's last answer or its end of stream, is
// dropped rather than handed out, as nginx's keepalive does: the bytes would be read as the
// answer to the next request, another client's.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/http/deadline.hpp"
#include "router/proxy/upstream_parser.hpp"

namespace switchyard::proxy {

struct UpstreamConnection {
  explicit UpstreamConnection(boost::beast::tcp_stream s) : stream(std::move(s)) {}
  boost::beast::tcp_stream stream;
  http::Deadline deadline{stream.socket()};
  boost::beast::flat_buffer buffer;
  // The parser of the response being read, made anew for each. It lives here rather than in the
  // relay's coroutine frame, which it would push past the size Asio recycles.
  std::optional<UpstreamParser> parser;
  // What the parser passes on of each response's fields; its capacity serves the next response.
  PassedFields passed_fields;
  bool reused = false;
};
using UpstreamConnectionPtr = std::unique_ptr<UpstreamConnection>;

struct UpstreamKey {
  std::string model;
  std::uint64_t generation = 0;
  std::string host;
  std::uint16_t port = 0;
};

class UpstreamPool {
 public:
  // As many as the busiest client load keeps in flight: a connection dropped on release is a
  // connect (and an accept in the worker) on some later request.
  static constexpr std::size_t kMaxIdlePerModel = 1024;
  static constexpr std::chrono::seconds kConnectTimeout{5};

  // An idle connection when one is left, else a new one. Throws boost::system::system_error
  // when the worker cannot be reached.
  boost::asio::awaitable<UpstreamConnectionPtr> acquire(const UpstreamKey& key);
  // Gives back a connection whose last response completed with keep-alive. It is handed out
  // again only if nothing came to it after the read that emptied it.
  void release(const UpstreamKey& key, UpstreamConnectionPtr connection);
  void forget(const std::string& model) { idle_.erase(model); }
  std::size_t idle_count() const;

 private:
  struct ModelPool {
    std::uint64_t generation = 0;
    std::vector<UpstreamConnectionPtr> idle;
  };
  std::map<std::string, ModelPool, std::less<>> idle_;
};

}  // namespace switchyard::proxy
