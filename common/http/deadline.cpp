#include "common/http/deadline.hpp"

#include <boost/asio/io_context.hpp>
#include <stdexcept>

namespace switchyard::http {

namespace asio = boost::asio;

namespace {

// Owns the io_context's sweeper. Made with its timer inside the constructor so that the timer's
// own service is older, and so outlives this one when the io_context shuts down.
class SweeperService : public asio::execution_context::service {
 public:
  using key_type = SweeperService;
  static inline asio::execution_context::id id;

  explicit SweeperService(asio::io_context& io) : service(io), sweeper(io.get_executor()) {}
  void shutdown() override {}

  DeadlineSweeper sweeper;
};

}  // namespace

DeadlineSweeper& DeadlineSweeper::of(const asio::any_io_executor& executor) {
  const auto* io_executor = executor.target<asio::io_context::executor_type>();
  if (io_executor == nullptr) throw std::logic_error("Deadline needs an io_context's socket");
  return asio::use_service<SweeperService>(io_executor->context()).sweeper;
}

std::list<Deadline*>::iterator DeadlineSweeper::add(Deadline* deadline) {
  return deadlines_.insert(deadlines_.end(), deadline);
}

void DeadlineSweeper::remove(std::list<Deadline*>::iterator entry) { deadlines_.erase(entry); }

void DeadlineSweeper::armed() {
  if (sweeping_) return;
  sweeping_ = true;
  timer_.expires_after(Deadline::kSweepInterval);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    sweeping_ = false;
    if (!ec) sweep();
  });
}

void DeadlineSweeper::sweep() {
  const auto now = Deadline::Clock::now();
  bool any_armed = false;
  for (Deadline* deadline : deadlines_) {
    if (deadline->at_ == Deadline::Clock::time_point::max()) continue;
    if (deadline->at_ > now) {
      any_armed = true;
      continue;
    }
    deadline->at_ = Deadline::Clock::time_point::max();
    deadline->expired_ = true;
    boost::system::error_code ignored;
    deadline->socket_.cancel(ignored);
  }
  if (any_armed) armed();
}

Deadline::Deadline(asio::ip::tcp::socket& socket)
    : socket_(socket), sweeper_(DeadlineSweeper::of(socket.get_executor())) {
  entry_ = sweeper_.add(this);
}

Deadline::~Deadline() { sweeper_.remove(entry_); }

void Deadline::expires_after(Clock::duration timeout) {
  at_ = Clock::now() + timeout;
  expired_ = false;
  sweeper_.armed();
}

}  // namespace switchyard::http
