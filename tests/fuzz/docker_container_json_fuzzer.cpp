/// Fuzzes the Docker JSON translator (providers/docker_container_json.h): the input is the
/// text of a GET /containers/{id}/json answer. It is read as an inspect with no image, as an
/// image inspect (ImageDefaultsFromInspect), and as an inspect against those image defaults.
///
/// Asserts, beyond no crash (and no exception escaping: the translator returns a Status):
/// - a container read with image defaults differs from one read without only by what the
///   image contributed (its command, labels or health check dropped);
/// - what CreateContainer would write for the container read back (ContainerCreateBody,
///   stored by the daemon as Config and HostConfig) reads back as the same spec, ports in
///   canonical form, and the same jlrec labels: the normalisation the header promises.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "model/port_spec.h"
#include "providers/docker_container_json.h"

namespace {

using nlohmann::json;

json Member(const json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() ? json() : *it;
}

// The container the daemon would store for `body` (the create request), as inspect shows it.
json InspectOfCreated(const json& body) {
  return {{"Id", "0123"},
          {"Name", "/c"},
          {"Image", "sha256:1"},
          {"Config",
           {{"Image", Member(body, "Image")},
            {"Cmd", Member(body, "Cmd")},
            {"Labels", Member(body, "Labels")},
            {"Healthcheck", Member(body, "Healthcheck")}}},
          {"HostConfig", Member(body, "HostConfig")},
          {"State", {{"Status", "created"}}}};
}

void CheckCreateReadsBack(const jlrec::LiveContainer& live) {
  jlrec::CreateContainerRequest request;
  request.name = "c";
  request.spec = live.spec;
  request.jlrec_labels = live.jlrec_labels;
  auto body = jlrec::ContainerCreateBody(request);
  if (!body.ok()) return;  // not something jlrec would create (a bad port, no image, ...)
  auto back = jlrec::LiveContainerFromInspect(InspectOfCreated(*body), nullptr);
  FUZZ_CHECK(back.ok(), back.status().ToString());
  jlrec::ContainerSpec expected = live.spec;
  auto canonical = jlrec::CanonicalPorts(expected.ports);
  FUZZ_CHECK(canonical.ok(), "ContainerCreateBody accepted ports CanonicalPorts refuses");
  expected.ports = *canonical;
  FUZZ_CHECK(back->spec == expected, body->dump(-1, ' ', false, json::error_handler_t::replace));
  FUZZ_CHECK(back->jlrec_labels == live.jlrec_labels, "jlrec labels changed on the way back");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const json doc = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;

  auto plain = jlrec::LiveContainerFromInspect(doc, nullptr);
  auto image = jlrec::ImageDefaultsFromInspect(doc);
  if (image.ok()) {
    auto against_image = jlrec::LiveContainerFromInspect(doc, &*image);
    FUZZ_CHECK(against_image.ok() == plain.ok(), "the image changed whether the inspect reads");
    if (plain.ok()) {
      jlrec::ContainerSpec a = against_image->spec;
      const jlrec::ContainerSpec& p = plain->spec;
      if (a.command.empty()) a.command = p.command;
      if (!a.healthcheck) a.healthcheck = p.healthcheck;
      for (const auto& [key, value] : p.labels) a.labels.emplace(key, value);
      FUZZ_CHECK(a == p, "the image defaults dropped more than the image's own values");
    }
  }
  if (plain.ok()) CheckCreateReadsBack(*plain);
  return 0;
}
