#include "router/http/model_request.hpp"

#include <algorithm>
#include <array>

#include "common/http/multipart.hpp"
#include "router/http/json_scan.hpp"

namespace switchyard::http {


namespace {

// The body's tokens, reduced to what routing needs: the top-level `model`, and the `type` of each
// part of messages[].content[]. Duplicate keys end as a document would: the last one wins.
class BodyScan : public JsonEvents {
 public:
  enum class Model { missing, not_a_name, name };
  bool root_is_object = false;
  Model model = Model::missing;
  std::string model_name;
  std::vector<config::Input> message_inputs;

  void start_object() override {
    if (depth_ == 0) root_is_object = true;
    value_at(Model::not_a_name);
    const Role parent = depth_ == 0          ? Role::none
                        : depth_ <= kFrames ? frames_[depth_ - 1].role
                                            : Role::other;
    push(parent == Role::none       ? Role::root
         : parent == Role::messages ? Role::message
         : parent == Role::content  ? Role::part
                                    : Role::other);
  }
  void start_array() override {
    Role role = Role::other;
    if (depth_ > 0 && depth_ <= kFrames) {
      const Frame& parent = frames_[depth_ - 1];
      if (parent.role == Role::root && parent.key == Key::messages) role = Role::messages;
      if (parent.role == Role::message && parent.key == Key::content) role = Role::content;
    }
    value_at(Model::not_a_name);
    push(role);
  }
  void end_object() override { --depth_; }
  void end_array() override { --depth_; }
  void key(const JsonString& name) override {
    if (depth_ > kFrames) return;
    frames_[depth_ - 1].key = name.equals("model")      ? Key::model
                              : name.equals("messages") ? Key::messages
                              : name.equals("content")  ? Key::content
                              : name.equals("type")     ? Key::type
                                                        : Key::other;
  }
  void string(const JsonString& value) override {
    if (at(Role::root, Key::model)) {
      model = value.raw.empty() ? Model::not_a_name : Model::name;
      model_name = value.decode();
    }
    if (at(Role::part, Key::type)) {
      if (value.equals("image_url")) message_inputs.push_back(config::Input::image);
      if (value.equals("input_audio")) message_inputs.push_back(config::Input::audio);
    }
  }
  void scalar() override { value_at(Model::not_a_name); }

 private:
  enum class Role { none, root, messages, message, content, part, other };
  enum class Key { none, model, messages, content, type, other };
  struct Frame {
    Role role;
    Key key = Key::none;
  };
  // Roles that matter end at messages[].content[] parts: deeper levels are only counted.
  static constexpr std::size_t kFrames = 5;

  void push(Role role) {
    if (depth_ < kFrames) frames_[depth_] = {role};
    ++depth_;
  }
  bool at(Role role, Key key) const {
    return depth_ > 0 && depth_ <= kFrames && frames_[depth_ - 1].role == role &&
           frames_[depth_ - 1].key == key;
  }
  // A value other than a string: it matters only as the value of the top-level `model`.
  void value_at(Model kind) {
    if (at(Role::root, Key::model)) model = kind;
  }

  std::array<Frame, kFrames> frames_{};
  std::size_t depth_ = 0;
};

}  // namespace

ModelRequest parse_model_request(const Request& request, const Route& route) {
  ModelRequest result;
  if (route.body == BodyKind::multipart) {
    std::string error;
    const auto parts =
        parse_multipart(request.body(), request[FieldName::content_type], &error);
    if (!parts) throw ApiError(ErrorKind::invalid_request, "malformed multipart body: " + error);
    const MultipartPart* model = find_part(*parts, "model");
    if (!model || model->data.empty()) {
      throw ApiError(ErrorKind::invalid_request, "the multipart form has no 'model' field",
                     "model");
    }
    result.model = std::string(model->data);
    return result;
  }
  BodyScan scan;
  switch (scan_json(request.body(), scan)) {
    case JsonScanError::none:
      break;
    case JsonScanError::syntax:
      throw ApiError(ErrorKind::invalid_request,
                     request.body().empty() ? "the request body is empty; expected a JSON object"
                                            : "the request body is not valid JSON");
    case JsonScanError::too_deep:
      throw ApiError(ErrorKind::invalid_request, "the request body nests JSON deeper than " +
                                                     std::to_string(kMaxJsonDepth) + " levels");
  }
  if (!scan.root_is_object) {
    throw ApiError(ErrorKind::invalid_request, "the request body must be a JSON object");
  }
  if (scan.model == BodyScan::Model::missing) {
    throw ApiError(ErrorKind::invalid_request, "missing required parameter 'model'", "model");
  }
  if (scan.model == BodyScan::Model::not_a_name) {
    throw ApiError(ErrorKind::invalid_request, "'model' must be a non-empty string", "model");
  }
  result.model = std::move(scan.model_name);
  result.message_inputs = std::move(scan.message_inputs);
  return result;
}

std::optional<ApiError> check_chat_inputs(const config::ModelConfig& model,
                                          const std::vector<config::Input>& message_inputs) {
  const auto accepts = [&](config::Input input) {
    return std::find(model.inputs.begin(), model.inputs.end(), input) != model.inputs.end();
  };
  for (const config::Input needs : message_inputs) {
    if (accepts(needs)) continue;
    std::string accepted;
    for (auto input : model.inputs) {
      accepted += (accepted.empty() ? "" : ", ") + std::string(config::to_string(input));
    }
    return ApiError(ErrorKind::invalid_request,
                    "model '" + model.name + "' does not accept " +
                        std::string(config::to_string(needs)) + " input; it accepts: " + accepted,
                    "messages", "unsupported_input");
  }
  return std::nullopt;
}

}  // namespace switchyard::http
