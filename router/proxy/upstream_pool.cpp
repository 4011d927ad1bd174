#include "router/proxy/upstream_pool.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/http/drained_read.hpp"

namespace switchyard::proxy {

namespace asio = boost::asio;

asio::awaitable<UpstreamConnectionPtr> UpstreamPool::acquire(const UpstreamKey& key) {
  if (auto it = idle_.find(key.model); it != idle_.end()) {
    ModelPool& pool = it->second;
    if (pool.generation != key.generation) {
      idle_.erase(it);
    } else {
      while (!pool.idle.empty()) {
        UpstreamConnectionPtr connection = std::move(pool.idle.back());
        pool.idle.pop_back();
        if (http::unread_since_drained(connection->stream.socket())) {
          spdlog::debug("model {}: dropped an idle worker connection that received something",
                        key.model);
          continue;
        }
        connection->reused = true;
        co_return connection;
      }
    }
  }
  auto executor = co_await asio::this_coro::executor;
  boost::beast::tcp_stream stream(executor);
  stream.expires_after(kConnectTimeout);
  boost::system::error_code not_literal;
  const auto address = asio::ip::make_address(key.host, not_literal);
  if (!not_literal) {
    // Spawned workers listen on an address literal: getaddrinfo would cost a thread hop.
    const asio::ip::tcp::endpoint endpoint(address, key.port);
    // Non-blocking from the start, as the relay's writes need it (http::write_now): set later,
    // it would cost a second system call on every new connection.
    stream.socket().open(endpoint.protocol());
    stream.socket().non_blocking(true);
    co_await stream.async_connect(endpoint, asio::use_awaitable);
  } else {
    asio::ip::tcp::resolver resolver(executor);
    const auto endpoints =
        co_await resolver.async_resolve(key.host, std::to_string(key.port), asio::use_awaitable);
    co_await stream.async_connect(endpoints, asio::use_awaitable);
  }
  stream.expires_never();
  boost::system::error_code ignored;
  stream.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  http::report_bytes_left(stream.socket(), ignored);  // see common/http/drained_read.hpp
  co_return std::make_unique<UpstreamConnection>(std::move(stream));
}

void UpstreamPool::release(const UpstreamKey& key, UpstreamConnectionPtr connection) {
  ModelPool& pool = idle_[key.model];
  if (pool.generation != key.generation) {
    pool.idle.clear();
    pool.generation = key.generation;
  }
  if (pool.idle.size() < kMaxIdlePerModel) pool.idle.push_back(std::move(connection));
}

std::size_t UpstreamPool::idle_count() const {
  std::size_t count = 0;
  for (const auto& [model, pool] : idle_) count += pool.idle.size();
  return count;
}

}  // namespace switchyard::proxy
