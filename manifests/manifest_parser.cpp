#include "manifests/manifest_parser.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <filesystem>
#include <functional>
#include <set>

#include "manifests/field_formats.h"
#include "manifests/suggestion.h"
#include "model/registry_host.h"
#include "model/suggestion.h"

namespace jlrec {

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kTopLevelKeys = {
    "version", "project", "include",      "defaults", "host_defaults", "hosts",
    "groups",  "units",   "max_per_host", "apply",    "registries",    "state"};
const std::vector<std::string> kLayerKeys = {
    "image", "command",    "network_mode", "volumes",     "restart",        "ports",       "labels",
    "env",   "secret_env", "template",     "healthcheck", "enable_monitor", "runtime_mode"};
const std::vector<std::string> kGroupOnlyKeys = {"max_unavailable"};
const std::vector<std::string> kUnitOnlyKeys = {"host", "dockers", "group", "core", "depends_on"};
const std::vector<std::string> kHostKeys = {"address",       "ssh_host",    "port",         "user",
                                            "identity_file", "known_hosts", "docker_socket"};
const std::vector<std::string> kHostDefaultKeys = {"port", "user", "identity_file", "known_hosts",
                                                   "docker_socket"};
const std::vector<std::string> kHealthcheckKeys = {"command", "timeout", "interval", "retries"};
const std::vector<std::string> kApplyKeys = {"max_per_host"};

// Variables jlrec derives itself; setting them in env would be silently overridden.
const std::map<std::string, std::string> kDerivedEnv = {
    {"MONITOR_ENABLED", "enable_monitor"},
    {"RUNTIME_MODE", "runtime_mode"},
    {"JL_ROLE", "core"},
    {"JL_MASTER_HOST", "the group's core units"},
    {"JL_GROUP", "group"},
    {"JL_CONTAINER", "dockers"},
    {"JL_HOST", "host"}};

std::vector<std::string> Concat(std::initializer_list<const std::vector<std::string>*> lists) {
  std::vector<std::string> out;
  for (const auto* l : lists) out.insert(out.end(), l->begin(), l->end());
  return out;
}

// An OpenSSH client configuration entry name, as `ssh NAME` would take it. libssh never hands
// it to a shell, but a leading "-" reads as an option to ssh, "@" as a user and spaces or
// wildcards as several patterns: keep it the one plain name the `Host` line matches.
std::optional<std::string> CheckSshHostName(const std::string& name) {
  if (name.empty()) return "ssh_host is empty";
  if (name.front() == '-') return "ssh_host must not start with \"-\"";
  bool ok = std::isalnum(static_cast<unsigned char>(name.front())) || name.front() == '_';
  for (char c : name) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
                c == ':');
  }
  if (ok && name.size() <= 255) return std::nullopt;
  return "ssh_host " + Quoted(name) +
         " is not a plain ssh config entry name ([A-Za-z0-9_][A-Za-z0-9_.:-]*)";
}

const char* KindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    default:
      return "nothing";
  }
}

// Reads one file's nodes into the declaration; keeps the file's name and folder at hand.
class FileParser {
 public:
  FileParser(const std::string& path, const EnvLookup& getenv, ManifestDecl* decl,
             DiagnosticSink& sink)
      : path_(path), getenv_(getenv), decl_(decl), sink_(sink) {
    base_dir_ = fs::path(path).parent_path();
  }

  void ParseRoot(const YAML::Node& root, const ManifestFileRole& role,
                 std::vector<Located<std::string>>* includes);

 private:
  using EntryFn = std::function<void(const std::string& key, const SourceLocation& key_at,
                                     const YAML::Node& value, const SourceLocation& value_at)>;

  SourceLocation At(const YAML::Node& node, const SourceLocation& fallback) const {
    const YAML::Mark mark = node.Mark();
    if (node.IsNull() || mark.is_null()) return fallback;
    return SourceLocation{path_, mark.line + 1, mark.column + 1};
  }

  void TypeError(const SourceLocation& at, const std::string& key, const char* expected,
                 const YAML::Node& got) {
    sink_.Error(at, "\"" + key + "\" must be " + expected + ", got " + KindName(got));
  }

  // Calls `fn` for each entry of `node`, reporting non-mappings, non-string keys, duplicate
  // keys and keys not in `allowed` (with a did-you-mean hint). `what` names the mapping.
  // `suggested`, if given, receives the known keys that unknown keys were taken for.
  bool ForEachEntry(const YAML::Node& node, const SourceLocation& at, const std::string& what,
                    const std::vector<std::string>* allowed, const EntryFn& fn,
                    std::set<std::string>* suggested = nullptr);

  std::optional<Located<std::string>> ReadString(const YAML::Node& value, const SourceLocation& at,
                                                 const std::string& key);
  std::optional<Located<bool>> ReadBool(const YAML::Node& value, const SourceLocation& at,
                                        const std::string& key);
  std::optional<Located<int>> ReadInt(const YAML::Node& value, const SourceLocation& at,
                                      const std::string& key, int min, int max);
  std::optional<std::vector<Located<std::string>>> ReadStringList(const YAML::Node& value,
                                                                  const SourceLocation& at,
                                                                  const std::string& key);
  std::optional<Located<std::vector<std::string>>> ReadCheckedList(
      const YAML::Node& value, const SourceLocation& at, const std::string& key,
      std::optional<std::string> (*check)(const std::string&), const char* item_name);
  std::optional<Located<std::string>> ReadPath(const YAML::Node& value, const SourceLocation& at,
                                               const std::string& key);

  // Returns true when `key` is a SettingsLayer key (and reads it into `layer`).
  bool ReadLayerKey(const std::string& key, const SourceLocation& key_at, const YAML::Node& value,
                    const SourceLocation& value_at, SettingsLayer* layer);
  bool ReadLayerValue(const std::string& key, const YAML::Node& value,
                      const SourceLocation& value_at, SettingsLayer* layer);
  void ReadEnv(const YAML::Node& value, const SourceLocation& at, SettingsLayer* layer);
  void ReadLabels(const YAML::Node& value, const SourceLocation& at, SettingsLayer* layer);
  void ReadHealthcheck(const YAML::Node& value, const SourceLocation& at, SettingsLayer* layer);

  void ParseDefaults(const YAML::Node& node, const SourceLocation& key_at,
                     const SourceLocation& at);
  // `one_host`: a `hosts:` entry (may set address and ssh_host), else host_defaults.
  // `written` receives every key written, valid or not, and those misspelt keys were taken
  // for: a key already reported is not reported missing too.
  void ParseHostSettings(const YAML::Node& node, const SourceLocation& at, const std::string& what,
                         bool one_host, HostSettings* out, std::set<std::string>* written);
  void ParseHosts(const YAML::Node& node, const SourceLocation& at);
  void ParseGroups(const YAML::Node& node, const SourceLocation& at);
  void ParseUnits(const YAML::Node& node, const SourceLocation& at);
  void ParseUnit(const YAML::Node& node, const SourceLocation& at);
  void SetMaxPerHost(const YAML::Node& value, const SourceLocation& at);
  void ParseState(const SourceLocation& key_at, const YAML::Node& v, const SourceLocation& v_at,
                  const ManifestFileRole& role);
  void ParseRegistries(const YAML::Node& node, const SourceLocation& at);
  void ParseRegistry(const std::string& registry, const YAML::Node& node, const SourceLocation& at,
                     RegistryDecl* out);

  std::string path_;
  fs::path base_dir_;
  const EnvLookup& getenv_;
  ManifestDecl* decl_;
  DiagnosticSink& sink_;
};

bool FileParser::ForEachEntry(const YAML::Node& node, const SourceLocation& at,
                              const std::string& what, const std::vector<std::string>* allowed,
                              const EntryFn& fn, std::set<std::string>* suggested) {
  if (!node.IsMap()) {
    sink_.Error(at, what + " must be a mapping, got " + KindName(node));
    return false;
  }
  std::map<std::string, SourceLocation> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key_node = it->first;  // a copy: the iterator yields a temporary pair
    const SourceLocation key_at = At(key_node, at);
    if (!key_node.IsScalar()) {
      sink_.Error(key_at, "keys in " + what + " must be strings, got " + KindName(key_node));
      continue;
    }
    const std::string& key = key_node.Scalar();
    auto [previous, inserted] = seen.emplace(key, key_at);
    if (!inserted) {
      sink_.Error(key_at, "duplicate key " + Quoted(key) + " in " + what + " (first at line " +
                              std::to_string(previous->second.line) + ")");
      continue;
    }
    if (allowed && std::find(allowed->begin(), allowed->end(), key) == allowed->end()) {
      sink_.Error(key_at, "unknown key " + Quoted(key) + " in " + what + DidYouMean(key, *allowed));
      if (auto nearest = NearestName(key, *allowed); nearest && suggested) {
        suggested->insert(*nearest);
      }
      continue;
    }
    const YAML::Node value = it->second;
    fn(key, key_at, value, At(value, key_at));
  }
  return true;
}

std::optional<Located<std::string>> FileParser::ReadString(const YAML::Node& value,
                                                           const SourceLocation& at,
                                                           const std::string& key) {
  if (!value.IsScalar()) {
    TypeError(at, key, "a string", value);
    return std::nullopt;
  }
  return Located<std::string>{value.Scalar(), at};
}

std::optional<Located<bool>> FileParser::ReadBool(const YAML::Node& value, const SourceLocation& at,
                                                  const std::string& key) {
  if (value.IsScalar()) {
    const std::string& s = value.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return Located<bool>{true, at};
    if (s == "false" || s == "False" || s == "FALSE") return Located<bool>{false, at};
    sink_.Error(at, "\"" + key + "\" must be true or false, got " + Quoted(s));
    return std::nullopt;
  }
  TypeError(at, key, "true or false", value);
  return std::nullopt;
}

std::optional<Located<int>> FileParser::ReadInt(const YAML::Node& value, const SourceLocation& at,
                                                const std::string& key, int min, int max) {
  if (!value.IsScalar()) {
    TypeError(at, key, "an integer", value);
    return std::nullopt;
  }
  const std::string& s = value.Scalar();
  int n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || n < min || n > max) {
    sink_.Error(at, "\"" + key + "\" must be an integer from " + std::to_string(min) + " to " +
                        std::to_string(max) + ", got " + Quoted(s));
    return std::nullopt;
  }
  return Located<int>{n, at};
}

std::optional<std::vector<Located<std::string>>> FileParser::ReadStringList(
    const YAML::Node& value, const SourceLocation& at, const std::string& key) {
  if (!value.IsSequence()) {
    TypeError(at, key, "a list", value);
    return std::nullopt;
  }
  std::vector<Located<std::string>> out;
  bool ok = true;
  for (const auto& item : value) {
    const SourceLocation item_at = At(item, at);
    if (!item.IsScalar()) {
      sink_.Error(item_at, "items of \"" + key + "\" must be strings, got " + KindName(item));
      ok = false;
      continue;
    }
    out.push_back({item.Scalar(), item_at});
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<Located<std::vector<std::string>>> FileParser::ReadCheckedList(
    const YAML::Node& value, const SourceLocation& at, const std::string& key,
    std::optional<std::string> (*check)(const std::string&), const char* item_name) {
  auto items = ReadStringList(value, at, key);
  if (!items) return std::nullopt;
  Located<std::vector<std::string>> out{{}, at};
  bool ok = true;
  for (const auto& item : *items) {
    if (check) {
      if (auto problem = check(item.value)) {
        sink_.Error(item.where, std::string("malformed ") + item_name + " " + Quoted(item.value) +
                                    ": " + *problem);
        ok = false;
      }
    }
    out.value.push_back(item.value);
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<Located<std::string>> FileParser::ReadPath(const YAML::Node& value,
                                                         const SourceLocation& at,
                                                         const std::string& key) {
  auto raw = ReadString(value, at, key);
  if (!raw) return std::nullopt;
  std::string path = raw->value;
  if (path.empty()) {
    sink_.Error(at, "\"" + key + "\" is empty");
    return std::nullopt;
  }
  if (path[0] == '~') {
    if (path.size() > 1 && path[1] != '/') {
      sink_.Error(at, "\"" + key + "\": only ~ and ~/... are expanded, not ~user");
      return std::nullopt;
    }
    auto home = getenv_ ? getenv_("HOME") : std::nullopt;
    if (!home || home->empty()) {
      sink_.Error(at, "\"" + key + "\": cannot expand ~ because HOME is not set");
      return std::nullopt;
    }
    path = *home + path.substr(1);
  }
  fs::path p(path);
  if (p.is_relative()) p = base_dir_ / p;
  std::error_code ec;
  fs::path absolute = fs::absolute(p, ec);
  return Located<std::string>{(ec ? p : absolute).lexically_normal().string(), at};
}

void FileParser::ReadEnv(const YAML::Node& value, const SourceLocation& at, SettingsLayer* layer) {
  ForEachEntry(
      value, at, "env", nullptr,
      [&](const std::string& name, const SourceLocation& key_at, const YAML::Node& v,
          const SourceLocation& v_at) {
        if (!IsEnvName(name)) {
          sink_.Error(key_at, "env name " + Quoted(name) +
                                  " is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)");
          return;
        }
        if (auto derived = kDerivedEnv.find(name); derived != kDerivedEnv.end()) {
          sink_.Error(key_at,
                      name + " is set by jlrec from " + derived->second + "; do not set it in env");
          return;
        }
        if (!v.IsScalar()) {
          // The value is not quoted here on purpose: it may be a secret.
          sink_.Error(v_at, "env " + name + " must be a string, got " + KindName(v) +
                                " (write \"\" for an empty value)");
          return;
        }
        if (v.Scalar().find('\0') != std::string::npos) {
          sink_.Error(v_at, "env " + name + " contains a NUL byte, which sh cannot hold");
          return;
        }
        EnvExpansion expanded = ExpandEnvReferences(v.Scalar(), getenv_);
        for (const auto& problem : expanded.problems) sink_.Error(v_at, problem);
        if (expanded.problems.empty()) {
          layer->env[name] = Located<std::string>{std::move(expanded.value), v_at};
        }
      });
}

void FileParser::ReadLabels(const YAML::Node& value, const SourceLocation& at,
                            SettingsLayer* layer) {
  ForEachEntry(value, at, "labels", nullptr,
               [&](const std::string& key, const SourceLocation& key_at, const YAML::Node& v,
                   const SourceLocation& v_at) {
                 if (key.empty()) {
                   sink_.Error(key_at, "empty label key");
                 } else if (key.rfind(labels::kPrefix, 0) == 0) {
                   sink_.Error(key_at, "label " + Quoted(key) + " uses the prefix \"" +
                                           labels::kPrefix + "\", which jlrec reserves");
                 } else if (auto s = ReadString(v, v_at, "labels." + key)) {
                   layer->labels[key] = *s;
                 }
               });
}

void FileParser::ReadHealthcheck(const YAML::Node& value, const SourceLocation& at,
                                 SettingsLayer* layer) {
  Located<Healthcheck> check{{}, at};
  bool ok = true, has_command = false;
  const bool is_map = ForEachEntry(value, at, "healthcheck", &kHealthcheckKeys,
                                   [&](const std::string& key, const SourceLocation&,
                                       const YAML::Node& v, const SourceLocation& v_at) {
                                     if (key == "command") {
                                       auto argv = ReadStringList(v, v_at, "healthcheck.command");
                                       if (!argv) {
                                         ok = false;
                                       } else if (argv->empty()) {
                                         sink_.Error(v_at, "healthcheck.command is empty");
                                         ok = false;
                                       } else {
                                         has_command = true;
                                         for (const auto& a : *argv)
                                           check.value.command.push_back(a.value);
                                       }
                                       return;
                                     }
                                     if (key == "retries") {
                                       auto n = ReadInt(v, v_at, "healthcheck.retries", 1, 1000);
                                       if (n)
                                         check.value.retries = n->value;
                                       else
                                         ok = false;
                                       return;
                                     }
                                     auto text = ReadString(v, v_at, "healthcheck." + key);
                                     std::string problem;
                                     auto duration =
                                         text ? ParseDuration(text->value, &problem) : std::nullopt;
                                     if (!duration) {
                                       if (text)
                                         sink_.Error(v_at, "healthcheck." + key + ": " + problem);
                                       ok = false;
                                     } else if (key == "timeout") {
                                       check.value.timeout = *duration;
                                     } else {
                                       check.value.interval = *duration;
                                     }
                                   });
  if (!is_map) return;
  if (!has_command && ok) {
    sink_.Error(at, "healthcheck has no \"command\" (the argv to run in the container)");
    ok = false;
  }
  if (ok) layer->healthcheck = check;
}

bool FileParser::ReadLayerKey(const std::string& key, const SourceLocation& key_at,
                              const YAML::Node& value, const SourceLocation& value_at,
                              SettingsLayer* layer) {
  const int errors_before = sink_.error_count();
  const bool known = ReadLayerValue(key, value, value_at, layer);
  (void)key_at;
  if (known && sink_.error_count() > errors_before) layer->invalid_keys.insert(key);
  return known;
}

bool FileParser::ReadLayerValue(const std::string& key, const YAML::Node& value,
                                const SourceLocation& value_at, SettingsLayer* layer) {
  auto checked_string = [&](std::optional<std::string> (*check)(const std::string&),
                            std::optional<Located<std::string>>* out) {
    auto s = ReadString(value, value_at, key);
    if (!s) return;
    if (auto problem = check(s->value)) {
      sink_.Error(value_at, "malformed " + key + " " + Quoted(s->value) + ": " + *problem);
      return;
    }
    *out = s;
  };
  if (key == "image") {
    checked_string(CheckImageReference, &layer->image);
  } else if (key == "command") {
    if (auto argv = ReadCheckedList(value, value_at, key, nullptr, "command")) {
      layer->command = *argv;
    }
  } else if (key == "network_mode") {
    checked_string(CheckNetworkMode, &layer->network_mode);
  } else if (key == "volumes") {
    if (auto v = ReadCheckedList(value, value_at, key, CheckVolumeSpec, "volume")) {
      std::set<std::string> destinations;
      for (const auto& spec : v->value) {
        const size_t first = spec.find(':');
        const std::string dst = spec.substr(first + 1, spec.find(':', first + 1) - first - 1);
        if (!destinations.insert(dst).second) {
          sink_.Error(value_at, "two volumes mount at " + Quoted(dst));
        }
      }
      layer->volumes = *v;
    }
  } else if (key == "restart") {
    checked_string(CheckRestartPolicy, &layer->restart);
  } else if (key == "ports") {
    if (auto p = ReadCheckedList(value, value_at, key, CheckPortSpec, "port")) layer->ports = *p;
  } else if (key == "labels") {
    ReadLabels(value, value_at, layer);
  } else if (key == "env") {
    ReadEnv(value, value_at, layer);
  } else if (key == "secret_env") {
    if (auto names = ReadStringList(value, value_at, key)) {
      for (const auto& name : *names) {
        if (!IsEnvName(name.value)) {
          sink_.Error(name.where, "secret_env name " + Quoted(name.value) +
                                      " is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)");
        } else {
          layer->secret_env.emplace(name.value, name.where);
        }
      }
    }
  } else if (key == "template") {
    if (auto s = ReadString(value, value_at, key)) {
      if (s->value.empty()) {
        sink_.Error(value_at, "\"template\" is empty");
      } else {
        fs::path p(s->value);
        if (p.is_relative()) p = base_dir_ / p;
        layer->template_path = Located<std::string>{p.lexically_normal().string(), value_at};
      }
    }
  } else if (key == "healthcheck") {
    ReadHealthcheck(value, value_at, layer);
  } else if (key == "enable_monitor") {
    layer->enable_monitor = ReadBool(value, value_at, key);
  } else if (key == "runtime_mode") {
    checked_string(CheckRuntimeMode, &layer->runtime_mode);
  } else {
    return false;
  }
  return true;
}

void FileParser::ParseDefaults(const YAML::Node& node, const SourceLocation& key_at,
                               const SourceLocation& at) {
  if (decl_->defaults_at) {
    sink_.Error(key_at, "\"defaults\" is already declared at " + decl_->defaults_at->file + ":" +
                            std::to_string(decl_->defaults_at->line));
    return;
  }
  decl_->defaults_at = key_at;
  decl_->defaults.where = at;
  if (node.IsNull()) return;
  ForEachEntry(
      node, at, "defaults", &kLayerKeys,
      [&](const std::string& key, const SourceLocation& k_at, const YAML::Node& v,
          const SourceLocation& v_at) { ReadLayerKey(key, k_at, v, v_at, &decl_->defaults); });
}

void FileParser::ParseHostSettings(const YAML::Node& node, const SourceLocation& at,
                                   const std::string& what, bool one_host, HostSettings* out,
                                   std::set<std::string>* written) {
  // ssh_host is known to host_defaults only to say where it belongs.
  static const std::vector<std::string> kHostDefaultKeysAndSshHost = [] {
    std::vector<std::string> keys = kHostDefaultKeys;
    keys.push_back("ssh_host");
    return keys;
  }();
  out->where = at;
  if (node.IsNull()) return;
  const std::vector<std::string>* keys = one_host ? &kHostKeys : &kHostDefaultKeysAndSshHost;
  ForEachEntry(
      node, at, what, keys,
      [&](const std::string& key, const SourceLocation& k_at, const YAML::Node& v,
          const SourceLocation& v_at) {
        written->insert(key);
        if (key == "ssh_host" && !one_host) {
          sink_.Error(k_at,
                      "\"ssh_host\" names the ssh config entry of one host: set it in "
                      "that host's entry under hosts:, not in host_defaults");
          return;
        }
        if (key == "port") {
          out->port = ReadInt(v, v_at, key, 1, 65535);
        } else if (key == "identity_file") {
          out->identity_file = ReadPath(v, v_at, key);
        } else if (key == "known_hosts") {
          out->known_hosts = ReadPath(v, v_at, key);
        } else {
          auto s = ReadString(v, v_at, key);
          if (!s) return;
          std::optional<std::string> problem;
          if (key == "address") problem = CheckHostAddress(s->value);
          if (key == "ssh_host") problem = CheckSshHostName(s->value);
          if (key == "user") problem = CheckUserName(s->value);
          if (key == "docker_socket" && (s->value.empty() || s->value[0] != '/')) {
            problem = "docker_socket must be an absolute path on the host";
          }
          if (problem) {
            sink_.Error(v_at, *problem);
            return;
          }
          if (key == "address") out->address = s;
          if (key == "ssh_host") out->ssh_host = s;
          if (key == "user") out->user = s;
          if (key == "docker_socket") out->docker_socket = s;
        }
      },
      written);
}

void FileParser::ParseHosts(const YAML::Node& node, const SourceLocation& at) {
  if (node.IsNull()) return;
  ForEachEntry(node, at, "hosts", nullptr,
               [&](const std::string& key, const SourceLocation& key_at, const YAML::Node& v,
                   const SourceLocation& v_at) {
                 if (auto problem = CheckHostKey(key)) {
                   sink_.Error(key_at, *problem);
                   return;
                 }
                 if (auto existing = decl_->hosts.find(key); existing != decl_->hosts.end()) {
                   sink_.Error(key_at, "host " + Quoted(key) + " is already declared at " +
                                           existing->second.where.file + ":" +
                                           std::to_string(existing->second.where.line));
                   return;
                 }
                 HostSettings settings;
                 std::set<std::string> written;
                 ParseHostSettings(v, v_at, "host " + Quoted(key), /*one_host=*/true, &settings,
                                   &written);
                 settings.where = key_at;
                 // JL_HOST cannot come from the ssh config (HostName is libssh's to read, and
                 // may be a jump host's view): the containers' address is always written.
                 if (settings.ssh_host && !written.count("address")) {
                   sink_.Error(settings.ssh_host->where,
                               "host " + Quoted(key) + " sets ssh_host but no address: add " +
                                   "\"address\", the name or IP its containers are told " +
                                   "(JL_HOST, JL_MASTER_HOST)");
                 }
                 decl_->hosts.emplace(key, std::move(settings));
               });
}

void FileParser::ParseGroups(const YAML::Node& node, const SourceLocation& at) {
  if (node.IsNull()) return;
  static const std::vector<std::string> kGroupKeys = Concat({&kLayerKeys, &kGroupOnlyKeys});
  ForEachEntry(node, at, "groups", nullptr,
               [&](const std::string& name, const SourceLocation& key_at, const YAML::Node& v,
                   const SourceLocation& v_at) {
                 if (!IsValidSimpleName(name)) {
                   sink_.Error(key_at, "group name " + Quoted(name) +
                                           " is not valid ([a-zA-Z0-9][a-zA-Z0-9_.-]*)");
                   return;
                 }
                 if (auto existing = decl_->groups.find(name); existing != decl_->groups.end()) {
                   sink_.Error(key_at, "group " + Quoted(name) + " is already declared at " +
                                           existing->second.where.file + ":" +
                                           std::to_string(existing->second.where.line));
                   return;
                 }
                 GroupDecl group;
                 group.name = name;
                 group.where = key_at;
                 group.settings.where = key_at;
                 if (!v.IsNull()) {
                   ForEachEntry(v, v_at, "group " + Quoted(name), &kGroupKeys,
                                [&](const std::string& key, const SourceLocation& k_at,
                                    const YAML::Node& value, const SourceLocation& value_at) {
                                  if (ReadLayerKey(key, k_at, value, value_at, &group.settings))
                                    return;
                                  auto s = ReadString(value, value_at, key);  // max_unavailable
                                  if (!s) return;
                                  if (auto problem = CheckMaxUnavailable(s->value)) {
                                    sink_.Error(value_at, *problem);
                                    return;
                                  }
                                  group.max_unavailable = s;
                                });
                 }
                 decl_->groups.emplace(name, std::move(group));
               });
}

void FileParser::ParseUnit(const YAML::Node& node, const SourceLocation& at) {
  static const std::vector<std::string> kUnitKeys = Concat({&kUnitOnlyKeys, &kLayerKeys});
  UnitDecl unit;
  bool host_present = false;
  std::set<std::string> misspelt;
  unit.where = at;
  unit.index = static_cast<int>(decl_->units.size());
  unit.settings.where = at;
  const bool is_map = ForEachEntry(
      node, at, "unit", &kUnitKeys,
      [&](const std::string& key, const SourceLocation& k_at, const YAML::Node& v,
          const SourceLocation& v_at) {
        if (ReadLayerKey(key, k_at, v, v_at, &unit.settings)) return;
        if (key == "host") {
          host_present = true;
          auto host = ReadString(v, v_at, key);
          if (!host) return;
          if (auto problem = CheckHostKey(host->value)) {
            sink_.Error(v_at, *problem);
            return;
          }
          unit.host = host;
        } else if (key == "core") {
          if (auto core = ReadBool(v, v_at, key)) unit.core = core->value;
        } else {
          auto items = ReadStringList(v, v_at, key);
          if (!items) {
            // Keep the key's presence so that "missing" is not reported on top.
            if (key == "dockers") unit.dockers_where = v_at;
            if (key == "group") unit.groups_where = v_at;
            return;
          }
          if (key == "dockers") {
            unit.dockers_where = v_at;
            for (const auto& name : *items) {
              if (!IsValidContainerName(name.value)) {
                sink_.Error(name.where,
                            "container name " + Quoted(name.value) +
                                " is not valid for Docker ([a-zA-Z0-9][a-zA-Z0-9_.-]+)");
              } else {
                unit.dockers.push_back(name);
              }
            }
            if (items->empty())
              sink_.Error(v_at, "\"dockers\" is empty: list the unit's containers");
          } else if (key == "group") {
            unit.groups_where = v_at;
            std::set<std::string> seen;
            for (const auto& name : *items) {
              if (!seen.insert(name.value).second) {
                sink_.Error(name.where, "group " + Quoted(name.value) + " is listed twice");
              } else {
                unit.groups.push_back(name);
              }
            }
            if (items->empty()) {
              sink_.Error(v_at, "unit has no groups: list at least one in \"group\"");
            }
          } else {  // depends_on
            for (const auto& ref : *items) {
              const size_t slash = ref.value.find('/');
              const std::string name =
                  slash == std::string::npos ? ref.value : ref.value.substr(slash + 1);
              const bool host_ok = slash == std::string::npos ||
                                   !CheckHostKey(ref.value.substr(0, slash)).has_value();
              if (!host_ok || !IsValidContainerName(name)) {
                sink_.Error(ref.where, "depends_on entry " + Quoted(ref.value) +
                                           " must be \"HOST/CONTAINER\" or \"CONTAINER\"");
              } else {
                unit.depends_on.push_back(ref);
              }
            }
          }
        }
      },
      &misspelt);
  if (!is_map) return;
  // A key already reported as misspelt ("docker" for "dockers") is not reported missing too.
  if (!host_present && !misspelt.count("host")) {
    sink_.Error(at, "unit has no \"host\" (the host key its containers run on)");
  }
  if (!unit.dockers_where && !misspelt.count("dockers")) {
    sink_.Error(at, "unit has no \"dockers\" (the containers to run on its host)");
  }
  if (!unit.groups_where && !misspelt.count("group")) {
    sink_.Error(at, "unit has no groups: add \"group: [NAME]\"");
  }
  decl_->units.push_back(std::move(unit));
}

void FileParser::ParseUnits(const YAML::Node& node, const SourceLocation& at) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    sink_.Error(at, "\"units\" must be a list, got " + std::string(KindName(node)));
    return;
  }
  for (const auto& unit : node) ParseUnit(unit, At(unit, at));
}

void FileParser::SetMaxPerHost(const YAML::Node& value, const SourceLocation& at) {
  auto n = ReadInt(value, at, "max_per_host", 1, 1000);
  if (!n) return;
  if (decl_->max_per_host) {
    sink_.Error(at, "max_per_host is already set at " + decl_->max_per_host->where.file + ":" +
                        std::to_string(decl_->max_per_host->where.line));
    return;
  }
  decl_->max_per_host = n;
}

void FileParser::ParseRegistries(const YAML::Node& node, const SourceLocation& at) {
  if (node.IsNull()) return;
  ForEachEntry(node, at, "registries", nullptr,
               [&](const std::string& registry, const SourceLocation& key_at, const YAML::Node& v,
                   const SourceLocation& v_at) {
                 if (auto problem = CheckRegistryHost(registry)) {
                   sink_.Error(key_at, "registry " + Quoted(registry) + ": " + *problem);
                   return;
                 }
                 if (auto existing = decl_->registries.find(registry);
                     existing != decl_->registries.end()) {
                   sink_.Error(key_at, "registry " + Quoted(registry) + " is already declared at " +
                                           existing->second.where.file + ":" +
                                           std::to_string(existing->second.where.line));
                   return;
                 }
                 RegistryDecl entry;
                 entry.registry = registry;
                 entry.where = key_at;
                 ParseRegistry(registry, v, v_at, &entry);
                 decl_->registries.emplace(registry, std::move(entry));
               });
}

void FileParser::ParseRegistry(const std::string& registry, const YAML::Node& node,
                               const SourceLocation& at, RegistryDecl* out) {
  static const std::vector<std::string> kRegistryKeys = {"username", "password"};
  const std::string what = "registry " + Quoted(registry);
  bool has_username = false, has_password = false;
  std::set<std::string> misspelt;
  const bool is_map = ForEachEntry(
      node, at, what, &kRegistryKeys,
      [&](const std::string& key, const SourceLocation&, const YAML::Node& v,
          const SourceLocation& v_at) {
        if (key == "username") {
          has_username = true;
          auto s = ReadString(v, v_at, key);
          if (!s) return;
          EnvExpansion expanded = ExpandEnvReferences(s->value, getenv_);
          for (const auto& problem : expanded.problems) sink_.Error(v_at, problem);
          if (!expanded.problems.empty()) return;
          if (expanded.value.empty()) {
            sink_.Error(v_at, "the username of " + what + " is empty");
            return;
          }
          out->username = Located<std::string>{std::move(expanded.value), v_at};
          return;
        }
        has_password = true;
        // Only a reference: a password written here would live wherever the manifest does
        // (version control, backups). The text is never quoted back: it may be that password.
        const std::string& text = v.IsScalar() ? v.Scalar() : std::string();
        const bool reference = text.size() > 3 && text.compare(0, 2, "${") == 0 &&
                               text.back() == '}' && IsEnvName(text.substr(2, text.size() - 3));
        if (!reference) {
          sink_.Error(v_at, "the password of " + what +
                                " must be a ${VAR} reference to an environment variable of this "
                                "machine, e.g. \"${REGISTRY_PASSWORD}\" (a password written in "
                                "the manifest is not accepted)");
          return;
        }
        EnvExpansion expanded = ExpandEnvReferences(text, getenv_);
        for (const auto& problem : expanded.problems) sink_.Error(v_at, problem);
        if (!expanded.problems.empty()) return;
        if (expanded.value.empty()) {
          sink_.Error(v_at, "the password of " + what + " is empty (" + text + " is set to \"\")");
          return;
        }
        out->password = Located<std::string>{std::move(expanded.value), v_at};
      },
      &misspelt);
  if (!is_map) return;
  // A key already reported as misspelt is not reported missing too.
  if (!has_username && !misspelt.count("username")) sink_.Error(at, what + " has no \"username\"");
  if (!has_password && !misspelt.count("password"))
    sink_.Error(at, what + " has no \"password\" (a ${VAR} reference)");
}

void FileParser::ParseState(const SourceLocation& key_at, const YAML::Node& v,
                            const SourceLocation& v_at, const ManifestFileRole& role) {
  // Where the state lives decides the key the load's digests are made under, so it is read
  // before the load, from the files a load starts from: never from an included one.
  if (role.is_included) {
    sink_.Error(key_at,
                "\"state\" is only allowed in the top manifest file (or a file of a manifest "
                "folder)");
    return;
  }
  if (!v.IsScalar()) {
    TypeError(v_at, "state", "a string (an SQLite file or a postgresql:// URL)", v);
    return;
  }
  if (v.Scalar().empty()) {
    sink_.Error(v_at, "\"state\" is empty");
    return;
  }
  // The CLI refuses a password in a state URL with libpq's parser; this catches the usual
  // forms for `jlrec validate`, which opens no state. Never quoted back: it holds a secret.
  const std::string& url = v.Scalar();
  const bool postgres = url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
  if (postgres) {
    const std::size_t authority = url.find("://") + 3;
    const std::size_t end = url.find_first_of("/?", authority);
    const std::string userinfo_host = url.substr(authority, end - authority);
    const std::size_t at_sign = userinfo_host.rfind('@');
    const bool in_userinfo = at_sign != std::string::npos &&
                             userinfo_host.substr(0, at_sign).find(':') != std::string::npos;
    if (in_userinfo || url.find("password=") != std::string::npos) {
      sink_.Error(v_at,
                  "the state URL holds a password: leave it out of the manifest and give it as "
                  "for every PostgreSQL client: PGPASSWORD, ~/.pgpass or PGPASSFILE");
      return;
    }
  }
  if (decl_->state) {
    sink_.Error(v_at, "state is already set at " + decl_->state->where.file + ":" +
                          std::to_string(decl_->state->where.line));
    return;
  }
  decl_->state = Located<std::string>{v.Scalar(), v_at};
}

void FileParser::ParseRoot(const YAML::Node& root, const ManifestFileRole& role,
                           std::vector<Located<std::string>>* includes) {
  const SourceLocation file_at{path_, 1, 1};
  if (root.IsNull()) {
    sink_.Error(file_at, "the manifest is empty");
    return;
  }
  ForEachEntry(
      root, At(root, file_at), "the manifest", &kTopLevelKeys,
      [&](const std::string& key, const SourceLocation& key_at, const YAML::Node& v,
          const SourceLocation& v_at) {
        if (key == "version") {
          auto version = ReadInt(v, v_at, key, 0, 1000000);
          if (version && version->value != 1) {
            sink_.Error(v_at, "unsupported manifest version " + std::to_string(version->value) +
                                  " (this jlrec reads version 1)");
          }
        } else if (key == "project") {
          auto project = ReadString(v, v_at, key);
          if (!project) return;
          if (!IsValidSimpleName(project->value)) {
            sink_.Error(v_at, "project " + Quoted(project->value) +
                                  " is not valid ([a-zA-Z0-9][a-zA-Z0-9_.-]*)");
          } else if (decl_->project) {
            sink_.Error(v_at, "project is already set at " + decl_->project->where.file + ":" +
                                  std::to_string(decl_->project->where.line));
          } else {
            decl_->project = project;
          }
        } else if (key == "include") {
          if (!role.is_root) {
            sink_.Error(key_at, "\"include\" is only allowed in the top manifest file");
            return;
          }
          auto paths = ReadStringList(v, v_at, key);
          if (!paths) return;
          for (auto& p : *paths) {
            fs::path resolved(p.value);
            if (resolved.is_relative()) resolved = base_dir_ / resolved;
            includes->push_back({resolved.lexically_normal().string(), p.where});
          }
        } else if (key == "defaults") {
          ParseDefaults(v, key_at, v_at);
        } else if (key == "host_defaults") {
          if (decl_->host_defaults) {
            sink_.Error(key_at, "\"host_defaults\" is already declared at " +
                                    decl_->host_defaults->where.file + ":" +
                                    std::to_string(decl_->host_defaults->where.line));
            return;
          }
          HostSettings settings;
          std::set<std::string> written;
          ParseHostSettings(v, v_at, "host_defaults", /*one_host=*/false, &settings, &written);
          settings.where = key_at;
          decl_->host_defaults = std::move(settings);
        } else if (key == "hosts") {
          ParseHosts(v, v_at);
        } else if (key == "groups") {
          ParseGroups(v, v_at);
        } else if (key == "units") {
          ParseUnits(v, v_at);
        } else if (key == "max_per_host") {
          SetMaxPerHost(v, v_at);
        } else if (key == "apply") {
          ForEachEntry(v, v_at, "apply", &kApplyKeys,
                       [&](const std::string&, const SourceLocation&, const YAML::Node& value,
                           const SourceLocation& value_at) { SetMaxPerHost(value, value_at); });
        } else if (key == "registries") {
          ParseRegistries(v, v_at);
        } else if (key == "state") {
          ParseState(key_at, v, v_at, role);
        }
      });
}

}  // namespace

const std::vector<std::string>& TopLevelManifestKeys() { return kTopLevelKeys; }

bool ParseManifestFile(const std::string& yaml, const std::string& path,
                       const ManifestFileRole& role, const EnvLookup& getenv, ManifestDecl* decl,
                       std::vector<Located<std::string>>* includes, DiagnosticSink& sink) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    // ParserException and DeepRecursion carry the parser's position.
    const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    const int column = e.mark.is_null() ? 0 : e.mark.column + 1;
    sink.Error(SourceLocation{path, line, column}, "YAML syntax error: " + e.msg);
    return false;
  }
  try {
    FileParser(path, getenv, decl, sink).ParseRoot(root, role, includes);
  } catch (const std::exception& e) {
    // yaml-cpp may throw on pathological documents (e.g. bad aliases); stay a value.
    sink.Error(SourceLocation{path, 0, 0}, std::string("cannot read the manifest: ") + e.what());
  }
  return true;
}

void FinishManifestDecl(const std::string& root, ManifestDecl* decl, DiagnosticSink& sink) {
  if (!decl->project) {
    sink.Error(SourceLocation{root, 1, 1},
               "missing required key \"project\" (the name every managed container is "
               "labelled with)");
  }
}

}  // namespace jlrec
