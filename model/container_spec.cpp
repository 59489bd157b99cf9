#include "model/container_spec.h"

#include "model/digest.h"

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
  if (spec.healthcheck) {
    const Healthcheck& h = *spec.healthcheck;
    out += 'H';
    PutList(out, h.command);
    Put(out, std::to_string(h.timeout.count()));
    Put(out, std::to_string(h.interval.count()));
    Put(out, std::to_string(h.retries));
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
  w.Bool(s.healthcheck.has_value());
  if (s.healthcheck) {
    w.Strs(s.healthcheck->command);
    w.I64(s.healthcheck->timeout.count());
    w.I64(s.healthcheck->interval.count());
    w.I64(s.healthcheck->retries);
  }
}

void ReadSpec(ByteReader& r, ContainerSpec& s) {
  s.image = r.Str();
  s.command = r.Strs();
  s.network_mode = r.Str();
  s.volumes = r.Strs();
  s.restart = r.Str();
  s.ports = r.Strs();
  s.labels = r.StrMap();
  s.healthcheck.reset();
  if (r.Bool()) {
    Healthcheck& h = s.healthcheck.emplace();
    h.command = r.Strs();
    h.timeout = std::chrono::milliseconds(r.I64());
    h.interval = std::chrono::milliseconds(r.I64());
    h.retries = static_cast<int>(r.I64());
  }
}

}  // namespace jlrec
