#include "providers/docker_container_json.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <stdexcept>

namespace jlrec {

namespace {

using nlohmann::json;

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

// A port number 1..65535 in canonical decimal.
bool ParsePortNumber(std::string_view s, int* out) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 1 || v > 65535) return false;
  *out = v;
  return true;
}

// "N" or "N-M" (N <= M).
bool ParsePortRange(std::string_view s, int* first, int* last) {
  auto dash = s.find('-');
  if (dash == std::string_view::npos) {
    if (!ParsePortNumber(s, first)) return false;
    *last = *first;
    return true;
  }
  return ParsePortNumber(s.substr(0, dash), first) && ParsePortNumber(s.substr(dash + 1), last) &&
         *first <= *last;
}

}  // namespace

std::string PortBinding::ToString() const {
  std::string out;
  if (!host_ip.empty()) {
    out += host_ip.find(':') != std::string::npos ? "[" + host_ip + "]" : host_ip;
    out += ':';
  }
  if (!host_ip.empty() || !host_port.empty()) {
    out += host_port;
    out += ':';
  }
  out += container_port;
  out += '/';
  out += protocol;
  return out;
}

Result<std::vector<PortBinding>> ParsePortSpec(std::string_view spec) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("port '" + std::string(spec) + "': " + why);
  };
  std::string_view rest = spec;
  std::string protocol = "tcp";
  if (auto slash = rest.rfind('/'); slash != std::string_view::npos) {
    protocol = std::string(rest.substr(slash + 1));
    rest = rest.substr(0, slash);
    if (protocol != "tcp" && protocol != "udp" && protocol != "sctp")
      return bad("protocol must be tcp, udp or sctp");
  }
  std::string host_ip;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      return bad("expected [IPv6]:HOSTPORT:CONTAINERPORT");
    host_ip = std::string(rest.substr(1, close - 1));
    if (host_ip.empty()) return bad("empty IPv6 address");
    rest = rest.substr(close + 2);
    if (std::count(rest.begin(), rest.end(), ':') != 1)
      return bad("expected [IPv6]:HOSTPORT:CONTAINERPORT");
  }
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    auto colon = rest.find(':', start);
    parts.push_back(rest.substr(start, colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  std::string_view host_part, container_part;
  if (parts.size() == 1) {
    container_part = parts[0];
  } else if (parts.size() == 2) {
    host_part = parts[0];
    container_part = parts[1];
  } else if (parts.size() == 3 && host_ip.empty()) {
    host_ip = std::string(parts[0]);
    if (host_ip.empty()) return bad("empty host address");
    host_part = parts[1];
    container_part = parts[2];
  } else {
    return bad("expected [[IP:]HOSTPORT:]CONTAINERPORT[/PROTO] (IPv6 addresses in brackets)");
  }

  int c_first = 0, c_last = 0;
  if (!ParsePortRange(container_part, &c_first, &c_last))
    return bad("container port must be 1-65535 or a range N-M");
  int h_first = 0, h_last = 0;
  bool has_host_port = !host_part.empty();
  if (has_host_port) {
    if (!ParsePortRange(host_part, &h_first, &h_last))
      return bad("host port must be 1-65535 or a range N-M");
    if (h_last - h_first != c_last - c_first)
      return bad("host and container port ranges differ in length");
  }
  std::vector<PortBinding> out;
  for (int i = 0; i <= c_last - c_first; ++i) {
    PortBinding b;
    b.host_ip = host_ip;
    b.host_port = has_host_port ? std::to_string(h_first + i) : "";
    b.container_port = std::to_string(c_first + i);
    b.protocol = protocol;
    out.push_back(std::move(b));
  }
  return out;
}

Result<std::vector<std::string>> CanonicalPorts(const std::vector<std::string>& ports) {
  std::vector<std::string> out;
  for (const auto& spec : ports) {
    auto bindings = ParsePortSpec(spec);
    if (!bindings.ok()) return bindings.status();
    for (const auto& b : *bindings) out.push_back(b.ToString());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<RestartPolicy> ParseRestartPolicy(std::string_view restart) {
  RestartPolicy policy;
  if (restart.empty() || restart == "no") return policy;
  if (restart == "always" || restart == "unless-stopped") {
    policy.name = std::string(restart);
    return policy;
  }
  if (StartsWith(restart, "on-failure")) {
    policy.name = "on-failure";
    auto rest = restart.substr(std::string_view("on-failure").size());
    if (rest.empty()) return policy;
    int count = 0;
    auto digits = rest.substr(1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (rest[0] == ':' && ec == std::errc() && end == digits.data() + digits.size() && count >= 0 &&
        !digits.empty()) {
      policy.maximum_retry_count = count;
      return policy;
    }
  }
  return Status::InvalidArgument("restart policy '" + std::string(restart) +
                                 "': expected no, always, unless-stopped or on-failure[:N]");
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
