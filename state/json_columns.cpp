#include "state/json_columns.h"

#include <nlohmann/json.hpp>

namespace jlrec {

namespace {

using nlohmann::json;

// Values come from Docker's JSON, so they are valid UTF-8; replacing (rather than throwing on)
// an invalid sequence keeps a stray byte from failing a whole refresh.
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

Status Malformed(const char* column, const std::string& why) {
  return Status::IoError(std::string("malformed ") + column + " in the state file: " + why);
}

Result<json> Parse(const std::string& text, const char* column) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return Malformed(column, "not JSON");
  return value;
}

Result<std::vector<std::string>> StringList(const json& value, const char* column) {
  if (!value.is_array()) return Malformed(column, "expected an array");
  std::vector<std::string> out;
  out.reserve(value.size());
  for (const json& item : value) {
    if (!item.is_string()) return Malformed(column, "expected an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace

std::string StringListToJson(const std::vector<std::string>& values) { return Dump(values); }

Result<std::vector<std::string>> StringListFromJson(const std::string& json_text,
                                                    const char* column) {
  Result<json> value = Parse(json_text, column);
  if (!value.ok()) return value.status();
  return StringList(*value, column);
}

std::string StringMapToJson(const std::map<std::string, std::string>& values) {
  return Dump(values);
}

Result<std::map<std::string, std::string>> StringMapFromJson(const std::string& json_text,
                                                             const char* column) {
  Result<json> value = Parse(json_text, column);
  if (!value.ok()) return value.status();
  if (!value->is_object()) return Malformed(column, "expected an object");
  std::map<std::string, std::string> out;
  for (const auto& [key, item] : value->items()) {
    if (!item.is_string()) return Malformed(column, "expected an object of strings");
    out.emplace(key, item.get<std::string>());
  }
  return out;
}

std::string SpecFieldsToJson(const ContainerSpec& spec) {
  return Dump(json{{"command", spec.command},
                   {"network_mode", spec.network_mode},
                   {"volumes", spec.volumes},
                   {"restart", spec.restart},
                   {"ports", spec.ports}});
}

Status SpecFieldsFromJson(const std::string& json_text, ContainerSpec& spec) {
  constexpr const char* kColumn = "containers.spec";
  Result<json> value = Parse(json_text, kColumn);
  if (!value.ok()) return value.status();
  if (!value->is_object()) return Malformed(kColumn, "expected an object");
  for (const char* key : {"command", "network_mode", "volumes", "restart", "ports"})
    if (!value->contains(key)) return Malformed(kColumn, std::string("missing ") + key);

  auto list = [&](const char* key, std::vector<std::string>& out) -> Status {
    Result<std::vector<std::string>> items = StringList((*value)[key], kColumn);
    if (!items.ok()) return items.status();
    out = std::move(*items);
    return Status::Ok();
  };
  auto text = [&](const char* key, std::string& out) -> Status {
    const json& item = (*value)[key];
    if (!item.is_string()) return Malformed(kColumn, std::string(key) + " is not a string");
    out = item.get<std::string>();
    return Status::Ok();
  };
  for (Status s :
       {list("command", spec.command), text("network_mode", spec.network_mode),
        list("volumes", spec.volumes), text("restart", spec.restart), list("ports", spec.ports)})
    if (!s.ok()) return s;
  return Status::Ok();
}

}  // namespace jlrec
