// The OpenAI-compatible listener: auth, model lookup, type check, waiting for the model, then
// the relay to its worker.
#pragma once

#include "router/context.hpp"
#include "router/http/handler.hpp"

namespace switchyard::http {

class ApiHandler : public Handler {
 public:
  explicit ApiHandler(RouterContext& context) : context_(context) {}
  ReadLimits read_limits() const override;
  bool origin_accepted(const Request& request) const override;
  boost::asio::awaitable<bool> handle(Request& request, Connection& connection) override;

 private:
  RouterContext& context_;
};

}  // namespace switchyard::http
