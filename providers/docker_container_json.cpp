#include "providers/docker_container_json.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <stdexcept>

#include "model/spec_fields.h"

namespace jlrec {

namespace {

using nlohmann::json;

// The translation is written field by field, not driven by the spec's field list
// (model/spec_fields.h): each field has its own place and shape in Docker's JSON (Cmd left
// out for the image's, a restart policy object parsed from "on-failure:N", port bindings
// keyed by container port, labels merged with jlrec's and filtered against the image's, a
// health check Test with nanosecond durations) and its own read-back normalisation. The
// list still makes a forgotten translation a build error:
static_assert(FieldCount<ContainerSpec>() == 8 && FieldCount<Healthcheck>() == 4,
              "a spec field was added: translate it in ContainerCreateBody and "
              "LiveContainerFromInspect (and the header's normalisation notes), then update "
              "these counts");

// Docker writes "0001-01-01T00:00:00Z" (Go's zero time) for "never".
constexpr std::string_view kZeroTime = "0001-01-01T00:00:00Z";

std::string StringField(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return it->get<std::string>();
}

const json& ObjectField(const json& object, const char* key) {
  static const json kEmpty = json::object();
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return kEmpty;
  if (!it->is_object()) throw std::invalid_argument(std::string(key) + " is not an object");
  return *it;
}

std::vector<std::string> StringArrayField(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return {};
  return it->get<std::vector<std::string>>();
}

std::map<std::string, std::string> StringMapField(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return {};
  return it->get<std::map<std::string, std::string>>();
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// An integer field; 0 when absent or null (Go omits zero values or writes them as 0).
std::int64_t IntField(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return 0;
  if (!it->is_number_integer())
    throw std::invalid_argument(std::string(key) + " is not an integer");
  return it->get<std::int64_t>();
}

constexpr std::int64_t kNanosPerMilli = 1000000;

// Config.Healthcheck of a container or an image, read as a spec's healthcheck; nullopt for
// none, disabled ("NONE") or an empty Test (Docker's "inherit", which left nothing to inherit).
std::optional<Healthcheck> HealthcheckFromConfig(const json& config) {
  auto it = config.find("Healthcheck");
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) throw std::invalid_argument("Healthcheck is not an object");
  const std::vector<std::string> test = StringArrayField(*it, "Test");
  if (test.empty() || test[0] == "NONE") return std::nullopt;
  Healthcheck check;
  if (test[0] == "CMD") {
    check.command.assign(test.begin() + 1, test.end());
  } else if (test[0] == "CMD-SHELL" && test.size() == 2) {
    // What Docker itself runs for the shell form.
    check.command = {"/bin/sh", "-c", test[1]};
  } else {
    throw std::invalid_argument("Healthcheck.Test starts with '" + test[0] +
                                "', expected CMD, CMD-SHELL or NONE");
  }
  check.interval = std::chrono::milliseconds(IntField(*it, "Interval") / kNanosPerMilli);
  check.timeout = std::chrono::milliseconds(IntField(*it, "Timeout") / kNanosPerMilli);
  check.retries = static_cast<int>(IntField(*it, "Retries"));
  return check;
}

}  // namespace

// The selections name every member the readers below look up: a member read but not
// selected would read as absent.
const JsonSelection& ImageInspectSelection() {
  static const JsonSelection kSelection = {
      {"RepoDigests", {}},
      {"Config", {{"Cmd", {}}, {"Labels", {}}, {"Healthcheck", {}}}},
  };
  return kSelection;
}

const JsonSelection& ContainerInspectSelection() {
  static const JsonSelection kSelection = {
      {"Id", {}},
      {"Name", {}},
      {"Image", {}},
      {"Created", {}},
      {"RestartCount", {}},
      {"Config", {{"Image", {}}, {"Cmd", {}}, {"Labels", {}}, {"Healthcheck", {}}}},
      {"HostConfig",
       {{"NetworkMode", {}}, {"Binds", {}}, {"RestartPolicy", {}}, {"PortBindings", {}}}},
      {"State",
       {{"Status", {}},
        {"Health", {{"Status", {}}}},
        {"ExitCode", {}},
        {"StartedAt", {}},
        {"FinishedAt", {}}}},
  };
  return kSelection;
}

Result<ImageDefaults> ImageDefaultsFromInspect(const json& image) {
  try {
    if (!image.is_object()) return Status::RemoteError("image inspect is not an object");
    ImageDefaults defaults;
    const json& config = ObjectField(image, "Config");
    defaults.cmd = StringArrayField(config, "Cmd");
    defaults.labels = StringMapField(config, "Labels");
    defaults.healthcheck = HealthcheckFromConfig(config);
    return defaults;
  } catch (const std::exception& e) {
    return Status::RemoteError(std::string("unexpected image inspect JSON: ") + e.what());
  }
}

Result<LiveContainer> LiveContainerFromInspect(const json& inspect, const ImageDefaults* image) {
  try {
    if (!inspect.is_object()) return Status::RemoteError("container inspect is not an object");
    LiveContainer c;
    c.id = StringField(inspect, "Id");
    c.name = StringField(inspect, "Name");
    if (!c.name.empty() && c.name.front() == '/') c.name.erase(0, 1);
    c.image_id = StringField(inspect, "Image");
    c.created = StringField(inspect, "Created");
    if (c.id.empty()) return Status::RemoteError("container inspect without an Id");

    const json& config = ObjectField(inspect, "Config");
    const json& host_config = ObjectField(inspect, "HostConfig");
    const json& state = ObjectField(inspect, "State");

    c.spec.image = StringField(config, "Image");
    c.spec.command = StringArrayField(config, "Cmd");
    if (image != nullptr && c.spec.command == image->cmd) c.spec.command.clear();

    c.spec.network_mode = StringField(host_config, "NetworkMode");
    if (c.spec.network_mode == "default") c.spec.network_mode.clear();
    c.spec.volumes = StringArrayField(host_config, "Binds");

    const json& restart = ObjectField(host_config, "RestartPolicy");
    RestartPolicy policy;
    policy.name = StringField(restart, "Name");
    if (policy.name.empty()) policy.name = "no";
    c.spec.restart = policy.name;
    if (auto it = restart.find("MaximumRetryCount"); policy.name == "on-failure" &&
                                                     it != restart.end() &&
                                                     it->is_number_integer() && it->get<int>() > 0)
      c.spec.restart += ":" + std::to_string(it->get<int>());

    const json& bindings = ObjectField(host_config, "PortBindings");
    for (const auto& [port_proto, list] : bindings.items()) {
      auto slash = port_proto.find('/');
      std::string port = port_proto.substr(0, slash);
      std::string proto = slash == std::string::npos ? "tcp" : port_proto.substr(slash + 1);
      if (list.is_null()) continue;
      for (const auto& b : list) {
        PortBinding binding{StringField(b, "HostIp"), StringField(b, "HostPort"), port, proto};
        c.spec.ports.push_back(binding.ToString());
      }
    }
    std::sort(c.spec.ports.begin(), c.spec.ports.end());

    for (auto& [key, value] : StringMapField(config, "Labels")) {
      if (StartsWith(key, labels::kPrefix)) {
        c.jlrec_labels.emplace(key, std::move(value));
        continue;
      }
      if (image != nullptr) {
        auto inherited = image->labels.find(key);
        if (inherited != image->labels.end() && inherited->second == value) continue;
      }
      c.spec.labels.emplace(key, std::move(value));
    }

    c.spec.healthcheck = HealthcheckFromConfig(config);
    if (image != nullptr && c.spec.healthcheck == image->healthcheck) c.spec.healthcheck.reset();

    c.state = StringField(state, "Status");
    c.health = StringField(ObjectField(state, "Health"), "Status");
    c.restart_count = static_cast<int>(IntField(inspect, "RestartCount"));
    c.exit_code = static_cast<int>(IntField(state, "ExitCode"));
    c.started_at = StringField(state, "StartedAt");
    if (c.started_at == kZeroTime) c.started_at.clear();
    c.finished_at = StringField(state, "FinishedAt");
    if (c.finished_at == kZeroTime) c.finished_at.clear();
    return c;
  } catch (const std::exception& e) {
    return Status::RemoteError(std::string("unexpected container inspect JSON: ") + e.what());
  }
}

Result<json> ContainerCreateBody(const CreateContainerRequest& request) {
  const ContainerSpec& spec = request.spec;
  if (spec.image.empty())
    return Status::InvalidArgument("container " + request.name + ": no image");
  json labels = json::object();
  for (const auto& [key, value] : spec.labels) {
    if (StartsWith(key, labels::kPrefix))
      return Status::InvalidArgument("label '" + key + "' uses jlrec's reserved prefix");
    labels[key] = value;
  }
  for (const auto& [key, value] : request.jlrec_labels) {
    if (!StartsWith(key, labels::kPrefix))
      return Status::InvalidArgument("bookkeeping label '" + key + "' lacks the jlrec. prefix");
    labels[key] = value;
  }
  auto policy = ParseRestartPolicy(spec.restart);
  if (!policy.ok()) return policy.status();

  json exposed = json::object();
  json port_bindings = json::object();
  for (const auto& spec_port : spec.ports) {
    auto bindings = ParsePortSpec(spec_port);
    if (!bindings.ok()) return bindings.status();
    for (const auto& b : *bindings) {
      std::string key = b.container_port + "/" + b.protocol;
      exposed[key] = json::object();
      port_bindings[key].push_back({{"HostIp", b.host_ip}, {"HostPort", b.host_port}});
    }
  }

  json host_config = {
      {"Binds", spec.volumes},
      {"RestartPolicy",
       {{"Name", policy->name}, {"MaximumRetryCount", policy->maximum_retry_count}}},
      {"PortBindings", port_bindings},
  };
  if (!spec.network_mode.empty()) host_config["NetworkMode"] = spec.network_mode;

  json body = {
      {"Image", spec.image},
      {"Labels", labels},
      {"ExposedPorts", exposed},
      {"HostConfig", host_config},
  };
  // No Cmd means the image's default, which is what an empty command asks for.
  if (!spec.command.empty()) body["Cmd"] = spec.command;
  if (spec.healthcheck) {
    const Healthcheck& check = *spec.healthcheck;
    if (check.command.empty())
      return Status::InvalidArgument("container " + request.name +
                                     ": healthcheck without a command");
    if (check.interval.count() < 0 || check.timeout.count() < 0 || check.retries < 0)
      return Status::InvalidArgument("container " + request.name +
                                     ": healthcheck interval, timeout and retries must not be "
                                     "negative");
    json test = json::array({"CMD"});
    for (const auto& arg : check.command) test.push_back(arg);
    // Docker wants nanoseconds, each 0 (its default) or at least 1 ms: whole milliseconds
    // are. StartPeriod is the timeout as well: failed probes before then do not count, so
    // the container has as long to become healthy as jlrec's own apply gate gives it.
    body["Healthcheck"] = {
        {"Test", test},
        {"Interval", static_cast<std::int64_t>(check.interval.count()) * kNanosPerMilli},
        {"Timeout", static_cast<std::int64_t>(check.timeout.count()) * kNanosPerMilli},
        {"StartPeriod", static_cast<std::int64_t>(check.timeout.count()) * kNanosPerMilli},
        {"Retries", check.retries},
    };
  }
  return body;
}

}  // namespace jlrec
