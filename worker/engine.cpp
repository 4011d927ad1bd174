#include "worker/engine.hpp"

namespace switchyard::worker {

void ResponseSink::reply_json(const nlohmann::json& body, int status) {
  reply(status, "application/json",
        body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void ResponseSink::reply_error(const ApiError& error) {
  reply(error.status(), "application/json", error.body());
}

}  // namespace switchyard::worker
