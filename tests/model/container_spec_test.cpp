// The spec digest and the spec's binary form are stored outside the process: the digest in
// the jlrec.spec-digest label of containers on real hosts, the bytes in the state file's
// caches. Both are pinned here, against the code that wrote them before the spec's fields
// became one list (model/spec_fields.h) and against literal values: a change to either
// replaces every container on every host, or makes every stored cache unreadable.
#include <catch2/catch.hpp>

#include <bit>
#include <chrono>
#include <cstdio>
#include <string>

#include "model/byte_codec.h"
#include "model/container_spec.h"
#include "model/digest.h"

namespace jlrec {
namespace {

// --- SpecDigest and WriteSpec as written by hand before the field list, kept verbatim.

void OldPut(std::string& out, const std::string& s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}
void OldPutList(std::string& out, const std::vector<std::string>& v) {
  out += 'L' + std::to_string(v.size()) + ':';
  for (const auto& s : v) OldPut(out, s);
}

std::string OldSpecDigest(const ContainerSpec& spec) {
  std::string out = "jlrec-spec-v1;";
  OldPut(out, spec.image);
  OldPutList(out, spec.command);
  OldPut(out, spec.network_mode);
  OldPutList(out, spec.volumes);
  OldPut(out, spec.restart);
  OldPutList(out, spec.ports);
  out += 'M' + std::to_string(spec.labels.size()) + ':';
  for (const auto& [k, v] : spec.labels) {
    OldPut(out, k);
    OldPut(out, v);
  }
  if (spec.healthcheck) {
    const Healthcheck& h = *spec.healthcheck;
    out += 'H';
    OldPutList(out, h.command);
    OldPut(out, std::to_string(h.timeout.count()));
    OldPut(out, std::to_string(h.interval.count()));
    OldPut(out, std::to_string(h.retries));
  }
  return Sha256Hex(out);
}

std::string OldWriteSpec(const ContainerSpec& s) {
  ByteWriter w;
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
  return w.Take();
}

// --- Specs that exercise every field and the encodings' edge cases.

ContainerSpec Typical() {
  ContainerSpec s;
  s.image = "127.0.0.1:5000/app:1";
  s.command = {"/bin/sh", "/run.sh"};
  s.network_mode = "host";
  s.restart = "unless-stopped";
  return s;
}

// Every field set to something other than its default.
ContainerSpec Full() {
  ContainerSpec s;
  s.image = "registry.example.com/team/app@sha256:0123";
  s.command = {"/bin/sh", "-c", "exec /run.sh"};
  s.network_mode = "bridge";
  s.volumes = {"/data:/data:ro", "/logs:/var/log/app"};
  s.restart = "on-failure:5";
  s.ports = {"127.0.0.1:8080:80/tcp", "9000:9000/udp"};
  s.labels = {{"team", "core"}, {"tier", "backend"}};
  s.healthcheck = Healthcheck{{"curl", "-fsS", "http://localhost/health"},
                              std::chrono::milliseconds(2500),
                              std::chrono::milliseconds(750),
                              7};
  return s;
}

// Values that look like the encodings' own delimiters, empty items, NUL and UTF-8.
ContainerSpec Awkward() {
  ContainerSpec s;
  s.image = "L1:3:M";
  s.command = {"", "H", "5:abcde", std::string("nul\0byte", 8)};
  s.volumes = {""};
  s.restart = "";
  s.ports = {"L0:"};
  s.labels = {{"", ""}, {"键", "值\n"}};
  s.healthcheck = Healthcheck{{}, std::chrono::milliseconds(-1), std::chrono::milliseconds(0), -3};
  return s;
}

std::vector<ContainerSpec> Specs() {
  ContainerSpec typical_healthy = Typical();
  typical_healthy.healthcheck.emplace();  // the default timeout, interval and retries
  return {ContainerSpec{}, Typical(), typical_healthy, Full(), Awkward()};
}

std::string Hex(const std::string& bytes) {
  std::string out;
  char buf[3];
  for (unsigned char c : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

TEST_CASE("SpecDigest is what the hand-written digest gave, for every kind of spec") {
  int i = 0;
  for (const ContainerSpec& spec : Specs()) {
    INFO("spec " << i++);
    CHECK(SpecDigest(spec) == OldSpecDigest(spec));
  }
}

TEST_CASE("SpecDigest of known specs is pinned: the jlrec.spec-digest labels on hosts") {
  CHECK(SpecDigest(ContainerSpec{}) ==
        "c5e068f76da282438e10599bdb184b18a785d0a1b35039edb75ed89a229dc803");
  CHECK(SpecDigest(Typical()) ==
        "e255323bf5929cf6d1c96b104da0153b9424fd6a2608cd5f7a83704829308e81");
  CHECK(SpecDigest(Full()) == "f75c373a2d2ac7531d23baeedceceb9858eb62862ea22f804abefab70c61b3f6");
}

TEST_CASE("WriteSpec writes the bytes the hand-written codec wrote, and ReadSpec reads them") {
  int i = 0;
  for (const ContainerSpec& spec : Specs()) {
    INFO("spec " << i++);
    ByteWriter w;
    WriteSpec(w, spec);
    const std::string bytes = w.Take();
    CHECK(bytes == OldWriteSpec(spec));

    const std::string old_bytes = OldWriteSpec(spec);
    ByteReader r(old_bytes);
    ContainerSpec back = Typical();  // fields read over, not merged
    back.healthcheck.emplace();
    ReadSpec(r, back);
    CHECK(r.ok());
    CHECK(r.AtEnd());
    CHECK(back == spec);
  }
}

TEST_CASE("WriteSpec's bytes for a full spec are pinned: the state file's caches") {
  if constexpr (std::endian::native != std::endian::little) return;  // native byte order
  ByteWriter w;
  WriteSpec(w, Full());
  CHECK(
      Hex(w.Take()) ==
      // image
      "2900000072656769737472792e6578616d706c652e636f6d2f7465616d2f617070407368613235363a30313233"
      // command
      "03000000070000002f62696e2f7368020000002d630c00000065786563202f72756e2e7368"
      // network_mode
      "06000000627269646765"
      // volumes
      "020000000e0000002f646174613a2f646174613a726f120000002f6c6f67733a2f7661722f6c6f672f617070"
      // restart
      "0c0000006f6e2d6661696c7572653a35"
      // ports
      "02000000150000003132372e302e302e313a383038303a38302f7463700d000000393030303a393030302f756470"
      // labels
      "02000000040000007465616d04000000636f72650400000074696572070000006261636b656e64"
      // healthcheck: present
      "01"
      // healthcheck command
      "03000000040000006375726c040000002d66735317000000687474703a2f2f6c6f63616c686f73742f6865616c74"
      "68"
      // healthcheck timeout, interval, retries
      "c409000000000000ee020000000000000700000000000000");
}

TEST_CASE("ReadSpec refuses a truncated spec") {
  ByteWriter w;
  WriteSpec(w, Full());
  const std::string bytes = w.Take();
  for (size_t n = 0; n < bytes.size(); ++n) {
    INFO(n);
    const std::string cut = bytes.substr(0, n);
    ByteReader r(cut);
    ContainerSpec back;
    ReadSpec(r, back);
    CHECK_FALSE(r.ok());
  }
}

}  // namespace
}  // namespace jlrec
