// The seam between the worker's HTTP front and an inference engine. The server owns sockets and
// HTTP; an engine owns its threads and model. An engine is handed each request for one of its
// endpoints and answers through a ResponseSink from whichever thread it likes: either one whole
// reply, or a stream of chunks. The sink also carries cancellation (client gone, shutdown).
//
//   server (network thread)                 engine (its own threads)
//   ----------------------                  ------------------------
//   read request ── submit(request, sink) ─> parse, queue, compute
//   wait on sink  <── reply() | chunk()* end() ──┘
//   client EOF ──── sink.cancelled() = true ─> stop within one step, free resources
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/openai_error.hpp"

namespace switchyard::worker {

struct Endpoint {
  std::string method;  // "POST" or "GET"
  std::string path;    // "/v1/chat/completions"
};

struct EngineRequest {
  std::string path;
  std::string content_type;
  std::string body;
};

// Thread-safe. A request is answered by exactly one reply(), or by chunk()... end(); an error
// may only be replied before the first chunk (a stream commits to its content type with its first
// chunk, so an early error is still a plain JSON response).
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void reply(int status, std::string content_type, std::string body) = 0;
  virtual void chunk(std::string content_type, std::string data) = 0;
  virtual void end() = 0;
  // True once the client went away or the worker is shutting down.
  virtual bool cancelled() const = 0;

  void reply_json(const nlohmann::json& body, int status = 200);
  void reply_error(const ApiError& error);
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string_view name() const = 0;
  // What this model can do: the endpoints it serves besides /health and /v1/models.
  virtual std::vector<Endpoint> endpoints() const = 0;
  // Loads the model; blocking, runs on a loader thread, throws std::exception on failure.
  virtual void load() = 0;
  // Takes one request; returns at once and never throws (errors go to the sink).
  virtual void submit(EngineRequest request, std::shared_ptr<ResponseSink> sink) = 0;
  // Cancels everything in flight (aborting a load in progress), releases every sink and joins
  // the engine's threads. Called once, from the main thread, at shutdown.
  virtual void stop() = 0;
};

}  // namespace switchyard::worker
