#include "manifests/manifest_digest.h"

#include "model/container_spec.h"
#include "model/digest.h"

namespace jlrec {

namespace {

// Every field is length-prefixed or counted, so no two models serialise alike.
class Canonical {
 public:
  void Str(const std::string& s) {
    out_ += std::to_string(s.size());
    out_ += ':';
    out_ += s;
  }
  void Int(long long n) { Str(std::to_string(n)); }
  void List(const std::vector<std::string>& v) {
    out_ += 'L' + std::to_string(v.size()) + ':';
    for (const auto& s : v) Str(s);
  }
  template <typename Set>
  void Names(const Set& names) {
    out_ += 'S' + std::to_string(names.size()) + ':';
    for (const auto& s : names) Str(s);
  }
  void Map(const std::map<std::string, std::string>& m) {
    out_ += 'M' + std::to_string(m.size()) + ':';
    for (const auto& [k, v] : m) {
      Str(k);
      Str(v);
    }
  }
  const std::string& text() const { return out_; }

 private:
  std::string out_ = "jlrec-desired-state-v1;";
};

}  // namespace

std::string ManifestDigest(const DesiredState& state, const std::string& script_key) {
  Canonical c;
  c.Str(state.project);
  c.Int(state.max_per_host);
  c.Int(static_cast<long long>(state.hosts.size()));
  for (const auto& [key, h] : state.hosts) {
    c.Str(key);
    c.Str(h.key);
    c.Str(h.address);
    // Tagged and only when set, so that the digest of a manifest without ssh_host (and the
    // saved plans made from it) stays what it was; a port is never the text "ssh_host".
    if (!h.ssh_host.empty()) {
      c.Str("ssh_host");
      c.Str(h.ssh_host);
    }
    c.Int(h.port);
    c.Str(h.user);
    c.Str(h.identity_file);
    c.Str(h.known_hosts);
    c.Str(h.docker_socket);
  }
  c.Int(static_cast<long long>(state.groups.size()));
  for (const auto& [name, g] : state.groups) {
    c.Str(name);
    c.Str(g.name);
    c.Int(g.enable_monitor ? 1 : 0);
    c.Str(g.runtime_mode);
    c.Str(g.max_unavailable);
  }
  c.Int(static_cast<long long>(state.containers.size()));
  for (const auto& d : state.containers) {
    c.Str(d.host);
    c.Str(d.name);
    c.List(d.groups);
    c.Int(d.core ? 1 : 0);
    c.Int(d.unit_index);
    // The resolver has already digested the spec (DesiredContainer's contract).
    c.Str(d.spec_digest.empty() ? SpecDigest(d.spec) : d.spec_digest);
    std::map<std::string, std::string> env = d.env;
    for (auto& [name, value] : env)
      if (d.secret_env.count(name)) value = "secret " + SecretValueDigest(script_key, value);
    c.Map(env);
    c.Names(d.secret_env);  // the healthcheck is part of the spec and its digest
    c.Str(d.script_digest);
    c.List(d.depends_on);
  }
  // state.registries is left out: a login says how images are fetched, not what runs, and a
  // password rotated between plan and apply must not make a saved plan stale.
  return Sha256Hex(c.text());
}

}  // namespace jlrec
