#include "manifests/resolved_manifest_codec.h"

#include <cstdint>

#include "model/byte_codec.h"
#include "model/spec_fields.h"

namespace jlrec {

namespace {

// "JLRM" and a format number: bumped whenever the layout below changes.
constexpr std::uint32_t kMagic = 0x4d524c4a;
// 2: the healthcheck moved into the spec; 3: hosts carry ssh_host.
constexpr std::uint32_t kFormat = 3;
// WriteSpec writes every field of the spec's field list (model/spec_fields.h), so a field
// added there changes this layout too.
static_assert(FieldCount<ContainerSpec>() == 8 && FieldCount<Healthcheck>() == 4,
              "the spec's fields changed WriteSpec's layout: bump kFormat, then these counts");

void WriteContainer(ByteWriter& w, const DesiredContainer& c) {
  w.Str(c.host);
  w.Str(c.name);
  w.Strs(c.groups);
  w.Bool(c.core);
  w.I64(c.unit_index);
  WriteSpec(w, c.spec);
  w.Strs(std::vector<std::string>(c.secret_env.begin(), c.secret_env.end()));
  w.Str(c.script_digest);
  w.Str(c.spec_digest);
  w.Strs(c.depends_on);
}

void ReadContainer(ByteReader& r, DesiredContainer& c) {
  c.host = r.Str();
  c.name = r.Str();
  c.groups = r.Strs();
  c.core = r.Bool();
  c.unit_index = static_cast<int>(r.I64());
  ReadSpec(r, c.spec);
  for (auto& name : r.Strs()) c.secret_env.insert(c.secret_env.end(), std::move(name));
  c.script_digest = r.Str();
  c.spec_digest = r.Str();
  c.depends_on = r.Strs();
}

}  // namespace

std::string EncodeResolvedManifest(const DesiredState& state,
                                   const std::vector<Diagnostic>& diagnostics) {
  ByteWriter w;
  w.U32(kMagic);
  w.U32(kFormat);
  w.Str(state.project);
  w.Str(state.manifest_path);
  w.Str(state.manifest_digest);
  w.I64(state.max_per_host);
  w.U32(static_cast<std::uint32_t>(state.hosts.size()));
  for (const auto& [key, h] : state.hosts) {
    w.Str(h.key);
    w.Str(h.address);
    w.Str(h.ssh_host);
    w.I64(h.port);
    w.Str(h.user);
    w.Str(h.identity_file);
    w.Str(h.known_hosts);
    w.Str(h.docker_socket);
  }
  w.U32(static_cast<std::uint32_t>(state.groups.size()));
  for (const auto& [name, g] : state.groups) {
    w.Str(g.name);
    w.Bool(g.enable_monitor);
    w.Str(g.runtime_mode);
    w.Str(g.max_unavailable);
  }
  w.U32(static_cast<std::uint32_t>(state.containers.size()));
  for (const auto& c : state.containers) WriteContainer(w, c);
  // state.registries is never written: it holds passwords, and a plan from the cache
  // neither pulls nor checks registry digests.
  std::uint32_t warnings = 0;
  for (const auto& d : diagnostics) warnings += d.severity == Diagnostic::Severity::kWarning;
  w.U32(warnings);
  for (const auto& d : diagnostics) {
    if (d.severity != Diagnostic::Severity::kWarning) continue;
    w.Str(d.file);
    w.I64(d.line);
    w.I64(d.column);
    w.Str(d.message);
  }
  return w.Take();
}

Result<ResolvedManifest> DecodeResolvedManifest(std::string_view bytes) {
  ByteReader r(bytes);
  if (r.U32() != kMagic || !r.ok())
    return Status::InvalidArgument("not a resolved manifest record");
  if (std::uint32_t format = r.U32(); format != kFormat)
    return Status::InvalidArgument("resolved manifest record of format " + std::to_string(format) +
                                   ", expected " + std::to_string(kFormat));
  ResolvedManifest out;
  DesiredState& s = out.state;
  s.digests_only = true;
  s.project = r.Str();
  s.manifest_path = r.Str();
  s.manifest_digest = r.Str();
  s.max_per_host = static_cast<int>(r.I64());
  for (std::uint32_t n = r.Count(32); n > 0 && r.ok(); --n) {
    HostConnection h;
    h.key = r.Str();
    h.address = r.Str();
    h.ssh_host = r.Str();
    h.port = static_cast<int>(r.I64());
    h.user = r.Str();
    h.identity_file = r.Str();
    h.known_hosts = r.Str();
    h.docker_socket = r.Str();
    std::string key = h.key;
    s.hosts.emplace(std::move(key), std::move(h));
  }
  for (std::uint32_t n = r.Count(13); n > 0 && r.ok(); --n) {
    GroupSettings g;
    g.name = r.Str();
    g.enable_monitor = r.Bool();
    g.runtime_mode = r.Str();
    g.max_unavailable = r.Str();
    std::string name = g.name;
    s.groups.emplace(std::move(name), std::move(g));
  }
  std::uint32_t containers = r.Count(64);
  s.containers.resize(containers);
  for (auto& c : s.containers) {
    if (!r.ok()) break;
    ReadContainer(r, c);
  }
  for (std::uint32_t n = r.Count(24); n > 0 && r.ok(); --n) {
    Diagnostic d;
    d.severity = Diagnostic::Severity::kWarning;
    d.file = r.Str();
    d.line = static_cast<int>(r.I64());
    d.column = static_cast<int>(r.I64());
    d.message = r.Str();
    out.warnings.push_back(std::move(d));
  }
  if (!r.ok() || !r.AtEnd())
    return Status::InvalidArgument("resolved manifest record is truncated or corrupt");
  return out;
}

}  // namespace jlrec
