// What a large Docker answer costs in memory: a reply is parsed as it arrives, keeping only
// what jlrec uses of it, and one over its endpoint's limit is refused by name.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "providers/docker_provider.h"
#include "providers/fake_streams.h"
#include "providers/peak_memory.h"
#include "support/sanitizers.h"

namespace jlrec {
namespace {

using nlohmann::json;
using testing::FakeRequest;
using testing::GeneratedReplyStream;
using testing::MeasurePeakGrowth;
using testing::Mebibytes;
using testing::RepeatedBodyReply;

constexpr std::size_t kBodyBytes = 50u * 1024 * 1024;

RepeatedBodyReply Small(int status, const std::string& body) {
  RepeatedBodyReply reply;
  reply.status = status;
  reply.prefix = body;
  reply.chunked = false;
  return reply;
}

// A provider for host "h1" whose daemon answers the version handshake itself (a ping that names
// no version, then /version) and the rest with `routes`.
std::unique_ptr<DockerProvider> GeneratedProvider(
    std::function<RepeatedBodyReply(const FakeRequest&)> routes) {
  GeneratedReplyStream::Handler handler = [routes](const FakeRequest& r) {
    if (r.path == "/_ping") return Small(200, "OK");
    if (r.path == "/version")
      return Small(200, R"({"ApiVersion":"1.41","MinAPIVersion":"1.12","Version":"20.10.24"})");
    return routes(r);
  };
  DockerApiClient::Options options;
  options.peer = "h1 (fake)";
  options.request_timeout = std::chrono::seconds(30);
  auto api = std::make_unique<DockerApiClient>(
      [handler](Deadline) -> Result<std::unique_ptr<ByteStream>> {
        return std::unique_ptr<ByteStream>(std::make_unique<GeneratedReplyStream>(handler));
      },
      options);
  REQUIRE(api->NegotiateVersion().ok());
  return std::make_unique<DockerProvider>("h1", std::move(api));
}

// One entry of GET /containers/json as Docker 20.10 writes it, for a container of project p
// that another host key on the same daemon owns (so it is listed, never inspected).
std::string ListEntry() {
  const std::string hex(64, 'a');
  return json{{"Id", hex},
              {"Names", {"/web-1"}},
              {"Image", "registry.example/app:1.2.3"},
              {"ImageID", "sha256:" + hex},
              {"Command", "/bin/sh -c /run.sh"},
              {"Created", 1700000000},
              {"Ports", {{{"PrivatePort", 80}, {"Type", "tcp"}}}},
              {"Labels",
               {{"jlrec.project", "p"},
                {"jlrec.host", "other"},
                {"jlrec.group", "web"},
                {"com.example.team", "platform"}}},
              {"State", "running"},
              {"Status", "Up 3 hours"},
              {"HostConfig", {{"NetworkMode", "default"}}},
              {"NetworkSettings",
               {{"Networks",
                 {{"bridge",
                   {{"NetworkID", hex},
                    {"EndpointID", hex},
                    {"Gateway", "172.17.0.1"},
                    {"IPAddress", "172.17.0.2"},
                    {"IPPrefixLen", 16},
                    {"MacAddress", "02:42:ac:11:00:02"}}}}}}},
              {"Mounts", json::array()}}
      .dump();
}

// A container inspect of `body_bytes` whose bulk is environment variables (which jlrec does
// not keep).
RepeatedBodyReply InspectWithEnvironment(std::size_t body_bytes) {
  RepeatedBodyReply reply;
  reply.prefix = R"({"Id":"0123abcd","Name":"/big","Image":"","Created":"2024-01-01T00:00:00Z",)"
                 R"("Config":{"Image":"app:1","Labels":{"team":"platform"},"Env":[)";
  reply.unit = "\"X=" + std::string(1000, 'x') + "\",";
  reply.suffix = R"("LAST=1"]},"HostConfig":{"NetworkMode":"default"},)"
                 R"("State":{"Status":"running","StartedAt":"2024-01-01T00:00:01Z"}})";
  reply.count = (body_bytes - reply.prefix.size() - reply.suffix.size()) / reply.unit.size();
  return reply;
}

TEST_CASE("a 50 MiB container list is parsed as it arrives, not held whole and as a DOM",
          "[providers][docker][memory]") {
  RepeatedBodyReply list;
  list.prefix = "[";
  list.unit = ListEntry() + ",";
  list.suffix = ListEntry() + "]\n";
  list.count = kBodyBytes / list.unit.size();
  const std::size_t body = list.body_size();
  auto provider = GeneratedProvider([&](const FakeRequest& r) {
    return r.path == "/v1.41/containers/json" ? list : Small(500, R"({"message":"unexpected"})");
  });
  auto growth = MeasurePeakGrowth([&] {
    auto listed = provider->ListContainers("p", {});
    return listed.ok() ? "listed " + std::to_string(listed->size()) : listed.status().ToString();
  });
  INFO("body " << Mebibytes(body) << ", peak growth " << Mebibytes(growth.bytes));
  CHECK(growth.outcome == "listed 0");
  // Before: the body as a string, then the whole DOM: about 9 times the body.
  CHECK(testing::WithinMemoryBound(growth.bytes, body / 2));
}

TEST_CASE("a 50 MiB container inspect is refused by host and endpoint, without the memory",
          "[providers][docker][memory]") {
  const RepeatedBodyReply inspect = InspectWithEnvironment(kBodyBytes);
  auto provider = GeneratedProvider([&](const FakeRequest& r) {
    return r.path == "/v1.41/containers/big/json" ? inspect
                                                  : Small(500, R"({"message":"unexpected"})");
  });
  auto growth =
      MeasurePeakGrowth([&] { return provider->InspectContainer("big").status().ToString(); });
  INFO("body " << Mebibytes(inspect.body_size()) << ", peak growth " << Mebibytes(growth.bytes)
               << ": " << growth.outcome);
  CHECK_THAT(growth.outcome,
             Catch::StartsWith("remote error: h1 (fake): GET /containers/big/json: "));
  CHECK_THAT(growth.outcome, Catch::Contains("larger than the 16 MiB"));
  CHECK(testing::WithinMemoryBound(growth.bytes, 8u * 1024 * 1024));
}

TEST_CASE("an inspect within its limit keeps what jlrec uses of it, not the rest",
          "[providers][docker][memory]") {
  const RepeatedBodyReply inspect = InspectWithEnvironment(12u * 1024 * 1024);
  auto provider = GeneratedProvider([&](const FakeRequest& r) {
    return r.path == "/v1.41/containers/big/json" ? inspect
                                                  : Small(500, R"({"message":"unexpected"})");
  });
  auto growth = MeasurePeakGrowth([&] {
    auto c = provider->InspectContainer("big");
    if (!c.ok()) return c.status().ToString();
    return c->id + " " + c->name + " " + c->spec.image + " " + c->state + " " + c->started_at +
           " team=" + c->spec.labels["team"];
  });
  INFO("body " << Mebibytes(inspect.body_size()) << ", peak growth " << Mebibytes(growth.bytes));
  CHECK(growth.outcome == "0123abcd big app:1 running 2024-01-01T00:00:01Z team=platform");
  CHECK(testing::WithinMemoryBound(growth.bytes, 4u * 1024 * 1024));
}

TEST_CASE("a 50 MiB error answer costs only the start of it that explains the error",
          "[providers][docker][memory]") {
  RepeatedBodyReply error;
  error.status = 500;
  error.prefix = "daemon trouble: ";
  error.unit = std::string(1023, 'z') + "\n";
  error.count = kBodyBytes / error.unit.size();
  auto provider = GeneratedProvider([&](const FakeRequest& r) {
    return r.path == "/v1.41/containers/big/json" ? error
                                                  : Small(500, R"({"message":"unexpected"})");
  });
  auto growth =
      MeasurePeakGrowth([&] { return provider->InspectContainer("big").status().ToString(); });
  INFO("peak growth " << Mebibytes(growth.bytes) << ": " << growth.outcome.substr(0, 200));
  CHECK_THAT(growth.outcome, Catch::StartsWith("remote error: h1: GET /containers/big/json: "
                                               "daemon trouble: zzz"));
  CHECK_THAT(growth.outcome, Catch::EndsWith("(HTTP 500)"));
  CHECK(testing::WithinMemoryBound(growth.bytes, 8u * 1024 * 1024));
}

}  // namespace
}  // namespace jlrec
