#include "router/http/model_request.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/http/multipart.hpp"

namespace switchyard::http {

namespace bhttp = boost::beast::http;

namespace {

// SAX events of the body, reduced to what routing needs: the top-level `model`, and the `type` of
// each part of messages[].content[]. Duplicate keys end as a document would: the last one wins.
class BodyScan : public nlohmann::json_sax<nlohmann::json> {
 public:
  enum class Model { missing, not_a_name, name };
  bool root_is_object = false;
  Model model = Model::missing;
  std::string model_name;
  std::vector<config::Input> message_inputs;

  bool start_object(std::size_t) override {
    if (frames_.empty()) root_is_object = true;
    value_at(Model::not_a_name);
    const Role parent = frames_.empty() ? Role::none : frames_.back().role;
    frames_.push_back({parent == Role::none       ? Role::root
                       : parent == Role::messages ? Role::message
                       : parent == Role::content  ? Role::part
                                                  : Role::other});
    return true;
  }
  bool start_array(std::size_t) override {
    const Frame* parent = frames_.empty() ? nullptr : &frames_.back();
    Role role = Role::other;
    if (parent && parent->role == Role::root && parent->key == Key::messages) role = Role::messages;
    if (parent && parent->role == Role::message && parent->key == Key::content) {
      role = Role::content;
    }
    if (parent) value_at(Model::not_a_name);
    frames_.push_back({role});
    return true;
  }
  bool end_object() override { return pop(); }
  bool end_array() override { return pop(); }
  bool key(string_t& name) override {
    Frame& frame = frames_.back();
    frame.key = name == "model"      ? Key::model
                : name == "messages" ? Key::messages
                : name == "content"  ? Key::content
                : name == "type"     ? Key::type
                                     : Key::other;
    return true;
  }
  bool string(string_t& value) override {
    if (frames_.empty()) return true;
    const Frame& frame = frames_.back();
    if (frame.role == Role::root && frame.key == Key::model) {
      model = value.empty() ? Model::not_a_name : Model::name;
      model_name = value;
    }
    if (frame.role == Role::part && frame.key == Key::type) {
      if (value == "image_url") message_inputs.push_back(config::Input::image);
      if (value == "input_audio") message_inputs.push_back(config::Input::audio);
    }
    return true;
  }
  bool null() override { return value_at(Model::not_a_name); }
  bool boolean(bool) override { return value_at(Model::not_a_name); }
  bool number_integer(number_integer_t) override { return value_at(Model::not_a_name); }
  bool number_unsigned(number_unsigned_t) override { return value_at(Model::not_a_name); }
  bool number_float(number_float_t, const string_t&) override {
    return value_at(Model::not_a_name);
  }
  bool binary(binary_t&) override { return value_at(Model::not_a_name); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  enum class Role { none, root, messages, message, content, part, other };
  enum class Key { none, model, messages, content, type, other };
  struct Frame {
    Role role;
    Key key = Key::none;
  };

  // A value other than a string: it matters only as the value of the top-level `model`.
  bool value_at(Model kind) {
    if (!frames_.empty() && frames_.back().role == Role::root && frames_.back().key == Key::model) {
      model = kind;
    }
    return true;
  }
  bool pop() {
    frames_.pop_back();
    return true;
  }

  std::vector<Frame> frames_;
};

}  // namespace

ModelRequest parse_model_request(const Request& request, const Route& route) {
  ModelRequest result;
  if (route.body == BodyKind::multipart) {
    std::string error;
    const auto parts =
        parse_multipart(request.body(), request[bhttp::field::content_type], &error);
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
  if (!nlohmann::json::sax_parse(request.body(), &scan)) {
    throw ApiError(ErrorKind::invalid_request,
                   request.body().empty() ? "the request body is empty; expected a JSON object"
                                          : "the request body is not valid JSON");
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
