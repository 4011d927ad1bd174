// The operators' listener: liveness and readiness, per-model status and control, worker logs,
// metrics and reload. Kept on its own (loopback by default) address with its own keys.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "router/config/reload_plan.hpp"
#include "router/context.hpp"
#include "router/http/handler.hpp"
#include "router/http/response.hpp"

namespace switchyard::admin {

struct ReloadOutcome {
  std::vector<std::string> errors;  // non-empty: nothing changed
  std::vector<std::string> warnings;
  config::ReloadPlan plan;
};
using ReloadFunction = std::function<boost::asio::awaitable<ReloadOutcome>()>;

class AdminHandler : public http::Handler {
 public:
  AdminHandler(RouterContext& context, ReloadFunction reload)
      : context_(context), reload_(std::move(reload)) {}
  http::ReadLimits read_limits() const override;
  bool origin_accepted(const http::Request& request) const override;
  boost::asio::awaitable<bool> handle(http::Request& request,
                                      http::Connection& connection) override;

 private:
  boost::asio::awaitable<bool> follow_logs(registry::SupervisorPtr model, std::size_t tail,
                                           http::Connection& connection, http::HeaderList fields);

  RouterContext& context_;
  ReloadFunction reload_;
};

}  // namespace switchyard::admin
