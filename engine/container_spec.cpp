#include "engine/container_spec.h"

#include "engine/digest.h"

namespace jlrec {

namespace {
// Length-prefixed fields make the encoding unambiguous whatever the values contain.
void Put(std::string& out, const std::string& s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}
void PutList(std::string& out, const std::vector<std::string>& v) {
  out += 'L' + std::to_string(v.size()) + ':';
  for (const auto& s : v) Put(out, s);
}
}  // namespace

std::string SpecDigest(const ContainerSpec& spec) {
  std::string out = "jlrec-spec-v1;";
  Put(out, spec.image);
  PutList(out, spec.command);
  Put(out, spec.network_mode);
  PutList(out, spec.volumes);
  Put(out, spec.restart);
  PutList(out, spec.ports);
  out += 'M' + std::to_string(spec.labels.size()) + ':';
  for (const auto& [k, v] : spec.labels) {
    Put(out, k);
    Put(out, v);
  }
  return Sha256Hex(out);
}

void WriteSpec(ByteWriter& w, const ContainerSpec& s) {
  w.Str(s.image);
  w.Strs(s.command);
  w.Str(s.network_mode);
  w.Strs(s.volumes);
  w.Str(s.restart);
  w.Strs(s.ports);
  w.StrMap(s.labels);
}

void ReadSpec(ByteReader& r, ContainerSpec& s) {
  s.image = r.Str();
  s.command = r.Strs();
  s.network_mode = r.Str();
  s.volumes = r.Strs();
  s.restart = r.Str();
  s.ports = r.Strs();
  s.labels = r.StrMap();
}

}  // namespace jlrec
