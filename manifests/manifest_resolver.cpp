#include "manifests/manifest_resolver.h"

#include "model/port_spec.h"
#include "model/registry_host.h"

#include <algorithm>
#include <memory>
#include <set>
#include <unordered_map>

#include "manifests/manifest_digest.h"
#include "manifests/script_template.h"
#include "manifests/suggestion.h"
#include "model/container_spec.h"
#include "model/digest.h"
#include "model/strings.h"

namespace jlrec {

namespace {

std::string Where(const SourceLocation& at) {
  return at.file + ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
}

// A unit's settings after layering defaults < groups < unit.
struct EffectiveSettings {
  const Located<std::string>* image = nullptr;
  const Located<std::vector<std::string>>* command = nullptr;
  const Located<std::string>* network_mode = nullptr;
  const Located<std::vector<std::string>>* volumes = nullptr;
  const Located<std::string>* restart = nullptr;
  const Located<std::vector<std::string>>* ports = nullptr;
  const Located<std::string>* template_path = nullptr;
  const Located<Healthcheck>* healthcheck = nullptr;
  const Located<bool>* enable_monitor = nullptr;
  const Located<std::string>* runtime_mode = nullptr;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> env;
  std::map<std::string, SourceLocation> secret_env;
};

// Layers one unit's settings, reporting keys on which its groups disagree.
class Layering {
 public:
  Layering(const SettingsLayer& defaults, const std::vector<const GroupDecl*>& groups,
           const UnitDecl& unit, DiagnosticSink& sink)
      : defaults_(defaults), groups_(groups), unit_(unit), sink_(sink) {}

  /// True when some layer of this unit wrote `key` with a value already reported invalid.
  bool HadInvalid(const std::string& key) const {
    for (const SettingsLayer* layer : Layers()) {
      if (layer->invalid_keys.count(key)) return true;
    }
    return false;
  }

  EffectiveSettings Resolve() {
    EffectiveSettings out;
    out.image = Pick(&SettingsLayer::image, "image");
    out.command = Pick(&SettingsLayer::command, "command");
    out.network_mode = Pick(&SettingsLayer::network_mode, "network_mode");
    out.volumes = Pick(&SettingsLayer::volumes, "volumes");
    out.restart = Pick(&SettingsLayer::restart, "restart");
    out.ports = Pick(&SettingsLayer::ports, "ports");
    out.template_path = Pick(&SettingsLayer::template_path, "template");
    out.healthcheck = Pick(&SettingsLayer::healthcheck, "healthcheck");
    out.enable_monitor = Pick(&SettingsLayer::enable_monitor, "enable_monitor");
    out.runtime_mode = Pick(&SettingsLayer::runtime_mode, "runtime_mode");
    out.labels = PickMap(&SettingsLayer::labels, "labels");
    out.env = PickMap(&SettingsLayer::env, "env");
    for (const SettingsLayer* layer : Layers()) {
      for (const auto& [name, at] : layer->secret_env) out.secret_env.emplace(name, at);
    }
    return out;
  }

 private:
  std::vector<const SettingsLayer*> Layers() const {
    std::vector<const SettingsLayer*> layers{&defaults_};
    for (const GroupDecl* g : groups_) layers.push_back(&g->settings);
    layers.push_back(&unit_.settings);
    return layers;
  }

  void Conflict(const std::string& key, const GroupDecl& a, const SourceLocation& a_at,
                const GroupDecl& b, const SourceLocation& b_at) {
    const SourceLocation at = unit_.groups_where.value_or(unit_.where);
    sink_.Error(at, "groups " + Quoted(a.name) + " and " + Quoted(b.name) + " disagree on " +
                        Quoted(key) + " (" + Where(a_at) + " vs " + Where(b_at) +
                        "): set it on the unit to choose");
  }

  template <typename T>
  const Located<T>* Pick(std::optional<Located<T>> SettingsLayer::*field, const char* key) {
    if (const auto& own = unit_.settings.*field) return &*own;
    const Located<T>* chosen = nullptr;
    const GroupDecl* chosen_group = nullptr;
    for (const GroupDecl* g : groups_) {
      const auto& value = g->settings.*field;
      if (!value) continue;
      if (!chosen) {
        chosen = &*value;
        chosen_group = g;
      } else if (!(chosen->value == value->value)) {
        Conflict(key, *chosen_group, chosen->where, *g, value->where);
        break;
      }
    }
    if (chosen) return chosen;
    const auto& fallback = defaults_.*field;
    return fallback ? &*fallback : nullptr;
  }

  std::map<std::string, std::string> PickMap(
      std::map<std::string, Located<std::string>> SettingsLayer::*field, const char* key) {
    std::map<std::string, std::string> out;
    for (const auto& [name, v] : defaults_.*field) out[name] = v.value;
    std::map<std::string, std::pair<const GroupDecl*, const Located<std::string>*>> from_groups;
    std::set<std::string> conflicted;
    for (const GroupDecl* g : groups_) {
      for (const auto& [name, v] : g->settings.*field) {
        if ((unit_.settings.*field).count(name)) continue;
        auto [it, inserted] = from_groups.emplace(name, std::make_pair(g, &v));
        if (!inserted && it->second.second->value != v.value && conflicted.insert(name).second) {
          Conflict(std::string(key) + "." + name, *it->second.first, it->second.second->where, *g,
                   v.where);
        }
      }
    }
    for (const auto& [name, gv] : from_groups) out[name] = gv.second->value;
    for (const auto& [name, v] : unit_.settings.*field) out[name] = v.value;
    return out;
  }

  const SettingsLayer& defaults_;
  const std::vector<const GroupDecl*>& groups_;
  const UnitDecl& unit_;
  DiagnosticSink& sink_;
};

// Loads each template file once; a missing or broken file is reported once.
class TemplateCache {
 public:
  TemplateCache(DiagnosticSink& sink, ManifestInputs* inputs, const SourceFiles& files)
      : sink_(sink), inputs_(inputs), files_(files) {}

  std::shared_ptr<const ScriptTemplate> Get(const Located<std::string>& path) {
    auto it = cache_.find(path.value);
    if (it != cache_.end()) return it->second;
    std::shared_ptr<const ScriptTemplate> parsed;
    Result<std::string> text = files_.Read(path.value);
    if (!text.ok()) {
      sink_.Error(path.where, "cannot read template " + text.status().message());
    } else {
      if (inputs_) inputs_->AddFile(path.value, *text);
      parsed = ScriptTemplate::Parse(*text, path.value, sink_);
    }
    cache_.emplace(path.value, parsed);
    return parsed;
  }

 private:
  DiagnosticSink& sink_;
  ManifestInputs* inputs_;
  const SourceFiles& files_;
  std::map<std::string, std::shared_ptr<const ScriptTemplate>> cache_;
};

class Resolver {
 public:
  Resolver(const ManifestDecl& decl, DiagnosticSink& sink, ManifestInputs* inputs,
           const SourceFiles& files, std::string script_key)
      : decl_(decl),
        sink_(sink),
        templates_(sink, inputs, files),
        script_key_(std::move(script_key)) {}

  std::optional<DesiredState> Run();

 private:
  void ResolveHosts();
  bool ResolveUnitHost(const UnitDecl& unit);
  std::vector<const GroupDecl*> UnitGroups(const UnitDecl& unit);
  void CheckGroups();
  void CheckDuplicateContainers();
  void PreloadTemplates();
  void BuildContainers();
  void ResolveDependencies();
  void ResolveRegistries();
  HostConnection Connection(const std::string& key, const HostSettings* entry) const;

  const ManifestDecl& decl_;
  DiagnosticSink& sink_;
  TemplateCache templates_;
  const std::string script_key_;  // keys the script and manifest digests (LoadOptions)
  DesiredState state_;
  // Master addresses of each group, in unit order, without repeats.
  std::map<std::string, std::vector<std::string>> masters_;
  std::set<std::string> used_groups_;
  // For dependency resolution: the declaration each container came from.
  std::vector<const UnitDecl*> container_units_;
  std::set<std::pair<std::string, size_t>> reported_template_uses_;
  std::set<std::pair<std::string, int>> reported_locations_;
};

HostConnection Resolver::Connection(const std::string& key, const HostSettings* entry) const {
  HostConnection conn;
  conn.key = key;
  conn.address = key;
  auto apply = [&conn](const HostSettings& s) {
    if (s.address) conn.address = s.address->value;
    if (s.ssh_host) conn.ssh_host = s.ssh_host->value;  // the parser wants an address with it
    if (s.port) conn.port = s.port->value;
    if (s.user) conn.user = s.user->value;
    if (s.identity_file) conn.identity_file = s.identity_file->value;
    if (s.known_hosts) conn.known_hosts = s.known_hosts->value;
    if (s.docker_socket) conn.docker_socket = s.docker_socket->value;
  };
  if (decl_.host_defaults) apply(*decl_.host_defaults);
  if (entry) apply(*entry);
  return conn;
}

void Resolver::ResolveHosts() {
  for (const auto& [key, settings] : decl_.hosts) {
    // A key without address is its own address: CheckHostKey admits only address syntax.
    // With ssh_host the address is only what containers are told, never connected to.
    state_.hosts.emplace(key, Connection(key, &settings));
  }
}

bool Resolver::ResolveUnitHost(const UnitDecl& unit) {
  if (!unit.host) return false;
  const std::string& key = unit.host->value;
  if (state_.hosts.count(key)) return true;
  if (decl_.host_defaults) {
    state_.hosts.emplace(key, Connection(key, nullptr));
    return true;
  }
  std::vector<std::string> known;
  for (const auto& [k, h] : decl_.hosts) known.push_back(k);
  sink_.Error(unit.host->where, "host " + Quoted(key) +
                                    " has no connection settings: declare it under hosts: or "
                                    "set host_defaults:" +
                                    DidYouMean(key, known));
  return false;
}

std::vector<const GroupDecl*> Resolver::UnitGroups(const UnitDecl& unit) {
  std::vector<const GroupDecl*> out;
  for (const auto& g : unit.groups) {
    auto it = decl_.groups.find(g.value);
    if (it == decl_.groups.end()) {
      std::vector<std::string> names;
      for (const auto& [name, decl] : decl_.groups) names.push_back(name);
      sink_.Error(g.where, "group " + Quoted(g.value) +
                               " is not declared under groups:" + DidYouMean(g.value, names));
      continue;
    }
    out.push_back(&it->second);
    used_groups_.insert(g.value);
  }
  std::sort(out.begin(), out.end(),
            [](const GroupDecl* a, const GroupDecl* b) { return a->name < b->name; });
  return out;
}

void Resolver::CheckGroups() {
  for (const auto& [name, g] : decl_.groups) {
    GroupSettings settings;
    settings.name = name;
    const auto& monitor =
        g.settings.enable_monitor ? g.settings.enable_monitor : decl_.defaults.enable_monitor;
    settings.enable_monitor = monitor ? monitor->value : false;
    const auto& mode =
        g.settings.runtime_mode ? g.settings.runtime_mode : decl_.defaults.runtime_mode;
    settings.runtime_mode = mode ? mode->value : "";
    settings.max_unavailable = g.max_unavailable ? g.max_unavailable->value : "";
    state_.groups.emplace(name, settings);
    if (!used_groups_.count(name)) {
      sink_.Warning(g.where, "group " + Quoted(name) + " is used by no unit");
      continue;
    }
    if (masters_[name].empty()) {
      sink_.Warning(g.where, "group " + Quoted(name) +
                                 " has no core unit: nothing is ordered first (set core: true "
                                 "on its master unit)");
    }
    if (!mode) {
      sink_.Warning(g.where, "group " + Quoted(name) +
                                 " sets no runtime_mode (nor do defaults): RUNTIME_MODE will be "
                                 "empty unless each unit sets it");
    }
  }
}

void Resolver::CheckDuplicateContainers() {
  std::map<std::pair<std::string, std::string>, SourceLocation> seen;
  for (const auto& unit : decl_.units) {
    if (!unit.host) continue;
    for (const auto& name : unit.dockers) {
      auto [it, inserted] = seen.emplace(std::make_pair(unit.host->value, name.value), name.where);
      if (!inserted) {
        sink_.Error(name.where, "container " + Quoted(name.value) + " is declared twice on host " +
                                    Quoted(unit.host->value) + " (first at " + Where(it->second) +
                                    ")");
      }
    }
  }
}

void Resolver::PreloadTemplates() {
  // Every template named anywhere is checked, even one no unit ends up using.
  auto load = [&](const SettingsLayer& layer) {
    if (layer.template_path) templates_.Get(*layer.template_path);
  };
  load(decl_.defaults);
  for (const auto& [name, g] : decl_.groups) load(g.settings);
  for (const auto& unit : decl_.units) load(unit.settings);
}

void Resolver::BuildContainers() {
  std::set<std::pair<std::string, std::string>> emitted;
  for (const auto& unit : decl_.units) {
    std::vector<const GroupDecl*> groups = UnitGroups(unit);
    const bool host_ok = ResolveUnitHost(unit);
    if (!host_ok || groups.size() != unit.groups.size() || unit.dockers.empty()) continue;
    Layering layering(decl_.defaults, groups, unit, sink_);
    EffectiveSettings eff = layering.Resolve();
    if (!eff.image && !layering.HadInvalid("image")) {
      sink_.Error(unit.where,
                  "no image for this unit: set \"image\" in defaults, its group or "
                  "the unit");
    }
    if (!eff.template_path && !layering.HadInvalid("template")) {
      sink_.Error(unit.where,
                  "no startup-script template for this unit: set \"template\" in "
                  "defaults, its group or the unit");
    }
    std::shared_ptr<const ScriptTemplate> tmpl =
        eff.template_path ? templates_.Get(*eff.template_path) : nullptr;
    if (!eff.image || !tmpl) continue;

    if (eff.ports && !eff.ports->value.empty() && eff.network_mode &&
        eff.network_mode->value == "host" &&
        reported_locations_.insert({Where(eff.ports->where), 0}).second) {
      sink_.Warning(eff.ports->where, "ports are ignored with network_mode host");
    }

    const HostConnection& conn = state_.hosts.at(unit.host->value);
    std::vector<std::string> group_names;
    std::vector<std::string> master_addresses;
    for (const GroupDecl* g : groups) {
      group_names.push_back(g->name);
      for (const auto& address : masters_[g->name]) {
        if (std::find(master_addresses.begin(), master_addresses.end(), address) ==
            master_addresses.end()) {
          master_addresses.push_back(address);
        }
      }
    }
    const bool enable_monitor = eff.enable_monitor && eff.enable_monitor->value;
    const std::string runtime_mode = eff.runtime_mode ? eff.runtime_mode->value : "";

    ContainerSpec spec;
    spec.image = eff.image->value;
    if (eff.command) spec.command = eff.command->value;
    if (eff.network_mode) spec.network_mode = eff.network_mode->value;
    if (eff.volumes) spec.volumes = eff.volumes->value;
    if (eff.restart) spec.restart = eff.restart->value;
    if (eff.ports) {
      // Canonical form ("8080:80/tcp", one per port, sorted): what Docker reads back, so an
      // unchanged port never shows as a change.
      auto canonical = CanonicalPorts(eff.ports->value);
      spec.ports = canonical.ok() ? *canonical : eff.ports->value;
    }
    spec.labels = eff.labels;
    if (eff.healthcheck) spec.healthcheck = eff.healthcheck->value;
    const std::string spec_digest = SpecDigest(spec);

    std::map<std::string, std::string> env = eff.env;
    env["MONITOR_ENABLED"] = enable_monitor ? "true" : "false";
    env["RUNTIME_MODE"] = runtime_mode;
    env["JL_ROLE"] = unit.core ? "master" : "worker";
    env["JL_MASTER_HOST"] = Join(master_addresses, ",");
    env["JL_GROUP"] = Join(group_names, ",");
    env["JL_HOST"] = conn.address;
    std::set<std::string> secrets;
    for (const auto& [name, at] : eff.secret_env) secrets.insert(name);

    for (const auto& docker : unit.dockers) {
      if (!emitted.insert({unit.host->value, docker.value}).second) continue;  // reported
      DesiredContainer c;
      c.host = unit.host->value;
      c.name = docker.value;
      c.groups = group_names;
      c.core = unit.core;
      c.unit_index = unit.index;
      c.spec = spec;
      c.spec_digest = spec_digest;
      c.env = env;
      c.env["JL_CONTAINER"] = docker.value;
      c.secret_env = secrets;

      ScriptContext context;
      context.project = decl_.project ? decl_.project->value : "";
      context.container = c.name;
      context.host = c.host;
      context.address = conn.address;
      context.group = c.env["JL_GROUP"];
      context.runtime_mode = runtime_mode;
      context.master_host = c.env["JL_MASTER_HOST"];
      context.core = c.core;
      context.enable_monitor = enable_monitor;
      context.env = &c.env;
      for (const auto& [index, message] : UndefinedTemplateVariables(*tmpl, context)) {
        if (reported_template_uses_.insert({tmpl->path(), index}).second) {
          sink_.Error(tmpl->variables()[index].where, message);
        }
      }
      for (const auto& [name, at] : eff.secret_env) {
        if (!c.env.count(name) && reported_locations_.insert({Where(at), 1}).second) {
          std::vector<std::string> names;
          for (const auto& [env_name, value] : c.env) names.push_back(env_name);
          sink_.Warning(at, "secret_env lists " + Quoted(name) + ", but no env entry of that " +
                                "name reaches " + c.Ref() + DidYouMean(name, names));
        }
      }
      c.script = RenderStartupScript(*tmpl, context);
      c.script_digest = ScriptDigest(script_key_, c.script);
      state_.containers.push_back(std::move(c));
      container_units_.push_back(&unit);
    }
  }
}

void Resolver::ResolveDependencies() {
  std::set<std::string> declared;  // includes containers left out because of errors
  for (const auto& unit : decl_.units) {
    if (!unit.host) continue;
    for (const auto& d : unit.dockers) declared.insert(unit.host->value + "/" + d.value);
  }
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < state_.containers.size(); ++i) {
    index.emplace(state_.containers[i].Ref(), i);
  }
  // edges[i] = (target, where the dependency was written)
  std::vector<std::vector<std::pair<size_t, SourceLocation>>> edges(state_.containers.size());
  for (size_t i = 0; i < state_.containers.size(); ++i) {
    DesiredContainer& c = state_.containers[i];
    for (const auto& dep : container_units_[i]->depends_on) {
      const std::string ref =
          dep.value.find('/') == std::string::npos ? c.host + "/" + dep.value : dep.value;
      auto it = index.find(ref);
      if (it == index.end()) {
        if (!declared.count(ref) && reported_locations_.insert({Where(dep.where), 2}).second) {
          std::vector<std::string> refs;
          for (const auto& other : state_.containers) refs.push_back(other.Ref());
          sink_.Error(dep.where, "depends_on names " + Quoted(ref) +
                                     ", which is not a declared container" + DidYouMean(ref, refs));
        }
        continue;
      }
      if (std::find(c.depends_on.begin(), c.depends_on.end(), ref) == c.depends_on.end()) {
        c.depends_on.push_back(ref);
        edges[i].emplace_back(it->second, dep.where);
      }
    }
  }
  // Iterative depth-first search; a grey target closes a cycle, reported once per node set.
  enum Colour : char { kWhite, kGrey, kBlack };
  std::vector<Colour> colour(edges.size(), kWhite);
  std::set<std::vector<size_t>> reported;
  for (size_t start = 0; start < edges.size(); ++start) {
    if (colour[start] != kWhite) continue;
    std::vector<std::pair<size_t, size_t>> stack{{start, 0}};  // node, next edge
    colour[start] = kGrey;
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next == edges[node].size()) {
        colour[node] = kBlack;
        stack.pop_back();
        continue;
      }
      const auto& [target, where] = edges[node][next++];
      if (colour[target] == kWhite) {
        colour[target] = kGrey;
        stack.push_back({target, 0});
      } else if (colour[target] == kGrey) {
        size_t from = 0;
        while (stack[from].first != target) ++from;
        std::vector<std::string> path;
        std::vector<size_t> members;
        for (size_t k = from; k < stack.size(); ++k) {
          path.push_back(state_.containers[stack[k].first].Ref());
          members.push_back(stack[k].first);
        }
        path.push_back(state_.containers[target].Ref());
        std::sort(members.begin(), members.end());
        if (reported.insert(members).second) {
          sink_.Error(where, members.size() == 1 && path.size() == 2
                                 ? "dependency cycle: " + path.front() + " depends on itself"
                                 : "dependency cycle: " + Join(path, " -> "));
        }
      }
    }
  }
}

void Resolver::ResolveRegistries() {
  std::set<std::string> pulled_from;
  for (const auto& c : state_.containers) pulled_from.insert(RegistryHostOf(c.spec.image));
  for (const auto& [registry, entry] : decl_.registries) {
    // An incomplete entry has been reported; the rest of the manifest still resolves.
    if (!entry.username || !entry.password) continue;
    state_.registries.emplace(
        registry, RegistryLogin{registry, entry.username->value, entry.password->value});
    if (!pulled_from.count(registry)) {
      std::vector<std::string> used(pulled_from.begin(), pulled_from.end());
      sink_.Warning(entry.where, "registry " + Quoted(registry) +
                                     " is the registry of no image in the manifest" +
                                     DidYouMean(registry, used));
    }
  }
}

std::optional<DesiredState> Resolver::Run() {
  size_t total = 0;
  for (const auto& unit : decl_.units) total += unit.dockers.size();
  if (total > kMaxManifestContainers) {
    sink_.Error(SourceLocation{decl_.path, 0, 0},
                "the manifest declares " + std::to_string(total) + " containers, more than the " +
                    std::to_string(kMaxManifestContainers) + " jlrec accepts");
    return std::nullopt;
  }
  state_.project = decl_.project ? decl_.project->value : "";
  state_.manifest_path = decl_.path;
  if (decl_.max_per_host) state_.max_per_host = decl_.max_per_host->value;
  ResolveHosts();
  for (const auto& unit : decl_.units) {
    if (!unit.core || !unit.host) continue;
    auto host = decl_.hosts.find(unit.host->value);
    std::string address = unit.host->value;
    if (host != decl_.hosts.end() && host->second.address) address = host->second.address->value;
    for (const auto& g : unit.groups) {
      auto& list = masters_[g.value];
      if (std::find(list.begin(), list.end(), address) == list.end()) list.push_back(address);
    }
  }
  CheckDuplicateContainers();
  PreloadTemplates();
  BuildContainers();
  CheckGroups();
  ResolveDependencies();
  ResolveRegistries();
  if (sink_.has_errors()) return std::nullopt;
  state_.manifest_digest = ManifestDigest(state_, script_key_);
  return std::move(state_);
}

}  // namespace

std::optional<DesiredState> ResolveManifest(const ManifestDecl& decl, DiagnosticSink& sink,
                                            ManifestInputs* inputs, const SourceFiles* files,
                                            const std::string& script_key) {
  try {
    return Resolver(decl, sink, inputs, files ? *files : DiskSourceFiles(), script_key).Run();
  } catch (const std::exception& e) {
    sink.Error(SourceLocation{decl.path, 0, 0}, std::string("internal error: ") + e.what());
    return std::nullopt;
  }
}

}  // namespace jlrec
