#include "providers/docker_provider.h"

#include <catch2/catch.hpp>

#include <openssl/evp.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "model/rfc3339.h"
#include "providers/fake_streams.h"
#include "providers/tar_archive.h"

namespace jlrec {
namespace {

using nlohmann::json;
using testing::ChunkedReply;
using testing::FakeDaemon;
using testing::FakeRequest;
using testing::HttpReply;
using testing::MultiplexedFrame;
using testing::PingReply;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(JLREC_SOURCE_DIR) + "/tests/providers/data/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Message(int status, const std::string& message) {
  return HttpReply(status, json{{"message", message}}.dump() + "\n");
}

// Answers /_ping and /version like Docker 20.10 unless a test overrides the API version and
// engine; the rest goes to `routes`.
FakeDaemon::Handler Daemon(std::function<std::string(const FakeRequest&)> routes,
                           std::string api_version = "1.41", std::string engine = "20.10.24") {
  return [routes = std::move(routes), api_version, engine](const FakeRequest& r) -> std::string {
    if (r.path == "/_ping") return PingReply(api_version, engine);
    if (r.path == "/version")
      return HttpReply(
          200,
          json{{"ApiVersion", api_version}, {"MinAPIVersion", "1.12"}, {"Version", engine}}.dump());
    std::string answer = routes(r);
    return answer.empty() ? Message(500, "unexpected request " + r.method + " " + r.path) : answer;
  };
}

std::unique_ptr<DockerApiClient> Client(FakeDaemon& daemon) {
  DockerApiClient::Options options;
  options.peer = "h1 (fake)";
  options.request_timeout = std::chrono::seconds(5);
  return std::make_unique<DockerApiClient>(
      [&daemon](Deadline) -> Result<std::unique_ptr<ByteStream>> { return daemon.Connect(); },
      options);
}

std::unique_ptr<DockerProvider> Provider(FakeDaemon& daemon) {
  auto api = Client(daemon);
  REQUIRE(api->NegotiateVersion().ok());
  return std::make_unique<DockerProvider>("h1", std::move(api));
}

// The local clock in whole seconds.
std::int64_t LocalSeconds() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())
      .time_since_epoch()
      .count();
}

// `unix_seconds` in UTC, written by strftime's `format`.
std::string FormatUtc(std::int64_t unix_seconds, const char* format) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[64];
  std::strftime(out, sizeof out, format, &tm);
  return out;
}

// `unix_seconds` as the Date header Docker's Go server writes ("Tue, 01 Dec 2026 17:08:43 GMT").
std::string HttpDate(std::int64_t unix_seconds) {
  return FormatUtc(unix_seconds, "%a, %d %b %Y %H:%M:%S GMT");
}

// `unix_seconds` as Docker's RFC 3339 times ("2026-12-01T17:08:43Z").
std::string Rfc3339Seconds(std::int64_t unix_seconds) {
  return FormatUtc(unix_seconds, "%Y-%m-%dT%H:%M:%SZ");
}

// `reply` with a Date header right after its status line, as Docker sends it.
std::string WithDate(std::string reply, const std::string& date) {
  reply.insert(reply.find("\r\n") + 2, "Date: " + date + "\r\n");
  return reply;
}

// A daemon whose host clock runs `skew` seconds off the local one, as its Date headers say.
FakeDaemon::Handler SkewedDaemon(std::function<std::string(const FakeRequest&)> routes,
                                 std::int64_t skew) {
  return [inner = Daemon(std::move(routes)), skew](const FakeRequest& r) {
    return WithDate(inner(r), HttpDate(LocalSeconds() + skew));
  };
}

std::string Base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

TEST_CASE("negotiates the API version from the daemon's ping", "[providers][docker]") {
  auto version_of = [](const std::string& daemon_version) {
    FakeDaemon daemon(Daemon([](const FakeRequest&) { return ""; }, daemon_version));
    auto api = Client(daemon);
    Status st = api->NegotiateVersion();
    // The ping named the version: no GET /version, which makes dockerd run runc and
    // docker-init (~20 ms of the host's CPU).
    CHECK(daemon.requests().size() == 1);
    CHECK(daemon.requests()[0].path == "/_ping");
    return std::make_pair(st, api->api_version());
  };
  CHECK(version_of("1.41").second == "1.41");
  CHECK(version_of("1.44").second == "1.44");
  CHECK(version_of("1.52").second == "1.52");  // Docker 29.0
  CHECK(version_of("1.55").second == "1.52");  // newer than jlrec knows: its newest
  CHECK(version_of("1.40").second == "1.40");
  auto old = version_of("1.25");
  CHECK(old.first.code() == Status::Code::kUnavailable);
  CHECK_THAT(old.first.message(), Catch::Contains("docker 20.10.24 speaks API 1.25"));
  CHECK_THAT(old.first.message(), Catch::Contains("needs 1.30 or newer"));
}

TEST_CASE("a ping that names no API version falls back to GET /version", "[providers][docker]") {
  // An old daemon, or a proxy that answers pings itself (or refuses them).
  auto negotiate = [](std::function<std::string()> ping, const std::string& version_body) {
    FakeDaemon daemon([ping, version_body](const FakeRequest& r) {
      if (r.path == "/_ping") return ping();
      if (r.path == "/version") return HttpReply(200, version_body);
      return Message(500, "unexpected");
    });
    auto api = Client(daemon);
    Status st = api->NegotiateVersion();
    std::vector<std::string> paths;
    for (const auto& r : daemon.requests()) paths.push_back(r.path);
    CHECK(paths == std::vector<std::string>{"/_ping", "/version"});
    return std::make_pair(st, api->api_version());
  };
  const std::string v141 = R"({"ApiVersion":"1.41","MinAPIVersion":"1.12","Version":"20.10.24"})";
  auto plain = negotiate([] { return HttpReply(200, "OK", "text/plain"); }, v141);
  CHECK(plain.first.ok());
  CHECK(plain.second == "1.41");
  auto refused = negotiate([] { return Message(404, "page not found"); }, v141);
  CHECK(refused.first.ok());
  CHECK(refused.second == "1.41");
  // A proxy answering pings itself with a version that is not "1.N": /version is asked.
  for (const std::string bogus : {"2.0", "1.41; rm -rf /", "", "1."}) {
    INFO(bogus);
    auto proxied = negotiate([bogus] { return PingReply(bogus); }, v141);
    CHECK(proxied.first.ok());
    CHECK(proxied.second == "1.41");
  }
  // Whatever answered /version, its words reach a message short and printable.
  auto hostile = negotiate(
      [] { return HttpReply(200, "OK", "text/plain"); },
      json{{"ApiVersion", "\x1b]0;owned\x07" + std::string(500, 'x')}, {"Version", "20.10"}}
          .dump());
  CHECK(hostile.first.code() == Status::Code::kUnavailable);
  CHECK_THAT(hostile.first.message(), Catch::Contains("API version '\\x1b]0;owned\\x07xxx"));
  CHECK(hostile.first.message().find('\x1b') == std::string::npos);
  CHECK(hostile.first.message().size() < 200);
  // /version tells the oldest version a daemon accepts; the ping does not.
  auto future = negotiate([] { return HttpReply(200, "OK", "text/plain"); },
                          R"({"ApiVersion":"1.60","MinAPIVersion":"1.55","Version":"40.0"})");
  CHECK_THAT(future.first.message(), Catch::Contains("docker 40.0 needs API 1.55"));
  auto broken = negotiate([] { return HttpReply(200, "OK", "text/plain"); }, "<html>");
  CHECK(broken.first.code() == Status::Code::kUnavailable);
  CHECK_THAT(broken.first.message(), Catch::Contains("GET /version: not JSON"));
}

TEST_CASE("a daemon that no longer accepts the chosen version refuses in its own words",
          "[providers][docker]") {
  // A future Docker that pings "1.60" and refuses 1.52, as Docker 29.0 refuses 1.41: its
  // refusal reaches the operator as it is.
  FakeDaemon daemon(Daemon(
      [](const FakeRequest&) {
        return Message(400,
                       "client version 1.52 is too old. Minimum supported API version is 1.55, "
                       "please upgrade your client to a newer version");
      },
      "1.60"));
  auto provider = Provider(daemon);
  auto has = provider->HasImage("busybox");
  // The host cannot be used until one side changes: unavailable, as a host that is down.
  CHECK(has.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(has.status().message(), Catch::Contains("Minimum supported API version is 1.55"));
}

TEST_CASE("sequential requests share one keep-alive connection", "[providers][docker]") {
  FakeDaemon daemon(Daemon([](const FakeRequest& r) {
    return r.path == "/v1.41/images/busybox/json" ? HttpReply(200, "{}") : "";
  }));
  auto provider = Provider(daemon);
  for (int i = 0; i < 5; ++i) REQUIRE(*provider->HasImage("busybox"));
  CHECK(daemon.connections() == 1);
  CHECK(daemon.requests().size() == 6);  // the ping, then five
  CHECK(daemon.requests().back().headers.at("user-agent").rfind("jlrec/", 0) == 0);
}

TEST_CASE("overlapping requests get their own connections, up to the bound",
          "[providers][docker]") {
  FakeDaemon daemon(Daemon([](const FakeRequest& r) {
    return r.path == "/v1.41/images/busybox/json" ? HttpReply(200, "{}") : "";
  }));
  DockerApiClient::Options options;
  options.peer = "h1 (fake)";
  options.max_connections = 2;
  auto api = std::make_unique<DockerApiClient>(
      [&daemon](Deadline) -> Result<std::unique_ptr<ByteStream>> { return daemon.Connect(); },
      options);
  REQUIRE(api->NegotiateVersion().ok());
  DockerProvider provider("h1", std::move(api));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i)
        if (!provider.HasImage("busybox").ok()) ++failures;
    });
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  CHECK(daemon.connections() >= 1);
  CHECK(daemon.connections() <= 2);
  CHECK(daemon.requests().size() == 201);
}

TEST_CASE("a keep-alive connection the daemon dropped is replaced transparently",
          "[providers][docker]") {
  FakeDaemon daemon(Daemon([](const FakeRequest& r) {
    return r.path == "/v1.41/images/busybox/json" ? HttpReply(200, "{}") : "";
  }));
  daemon.DropConnectionsAfter(1);
  auto provider = Provider(daemon);  // /_ping on connection 1, which then drops
  auto has = provider->HasImage("busybox");
  REQUIRE(has.ok());
  CHECK(*has);
  CHECK(daemon.connections() == 2);
}

TEST_CASE("a daemon that does not answer times out", "[providers][docker]") {
  FakeDaemon daemon(Daemon([](const FakeRequest& r) {
    return r.path == "/v1.41/_ping" ? HttpReply(200, "OK") : std::string("HTTP/1.1 200 OK\r\n");
  }));
  auto provider = Provider(daemon);
  auto has = provider->HasImage("busybox");
  CHECK(has.status().code() == Status::Code::kTimeout);
  CHECK_THAT(has.status().message(), Catch::Contains("h1 (fake): GET /images/busybox/json"));
  CHECK_THAT(has.status().message(), Catch::Contains("no complete answer within 5s"));
}

TEST_CASE("maps Docker error answers to statuses", "[providers][docker]") {
  auto status_of = [](int code, const std::string& body) {
    HttpResponse r;
    r.status = code;
    r.reason = "Reason";
    r.body = body;
    return DockerErrorStatus(r, "h1: GET /x");
  };
  Status not_found = status_of(404, R"({"message":"No such container: web"})"
                                    "\n");
  CHECK(not_found.code() == Status::Code::kNotFound);
  CHECK(not_found.message() == "h1: GET /x: No such container: web (HTTP 404)");
  CHECK(status_of(409, R"({"message":"name in use"})").code() == Status::Code::kConflict);
  CHECK(status_of(400, R"({"message":"bad"})").code() == Status::Code::kInvalidArgument);
  CHECK(status_of(400, R"({"message":"client version 1.52 is too old. Minimum supported API )"
                       R"(version is 1.55, please upgrade your client to a newer version"})")
            .code() == Status::Code::kUnavailable);
  CHECK(status_of(400, R"({"message":"client version 1.52 is too new. Maximum supported API )"
                       R"(version is 1.41"})")
            .code() == Status::Code::kUnavailable);
  CHECK(
      status_of(400, R"({"message":"invalid reference: client version 1.52 is too old"})").code() ==
      Status::Code::kInvalidArgument);
  CHECK(status_of(500, R"({"message":"boom"})").code() == Status::Code::kRemoteError);
  CHECK(status_of(502, "bad gateway\n").message() == "h1: GET /x: bad gateway (HTTP 502)");
  CHECK(status_of(503, "").message() == "h1: GET /x: Reason (HTTP 503)");
}

TEST_CASE("lists project containers and exactly the wanted names", "[providers][docker]") {
  std::string inspect_a = Fixture("inspect_created_ports_health.json");
  std::string inspect_b = Fixture("inspect_running_host.json");
  const std::string id_a = json::parse(inspect_a)["Id"];
  const std::string id_b = json::parse(inspect_b)["Id"];
  int image_inspects = 0;
  FakeDaemon daemon(Daemon([&](const FakeRequest& r) -> std::string {
    if (r.path == "/v1.41/containers/json") {
      CHECK(r.query.at("all") == "1");
      auto filters = json::parse(r.query.at("filters"));
      if (filters.contains("label")) {
        CHECK(filters == json{{"label", {"jlrec.project=demo"}}});
        return HttpReply(200,
                         json::array({{{"Id", id_a}, {"Names", {"/ptest_fixture_a"}}}}).dump());
      }
      // Each wanted name, and the NAME.jlrec-prev an interrupted replace may have left.
      CHECK(filters == json{{"name",
                             {"^/ptest_fixture_b$", "^/ptest_fixture_b\\.jlrec-prev$", "^/gone$",
                              "^/gone\\.jlrec-prev$", "^/a\\.b$", "^/a\\.b\\.jlrec-prev$"}}});
      // Docker's name filter is a regex: a daemon may return near misses; "gone" vanishes
      // between the list and the inspect.
      return ChunkedReply(200,
                          json::array({{{"Id", id_b}, {"Names", {"/ptest_fixture_b"}}},
                                       {{"Id", "near"}, {"Names", {"/ptest_fixture_b2"}}},
                                       {{"Id", "nearprev"}, {"Names", {"/gone.jlrec-prevx"}}},
                                       {{"Id", "axb"}, {"Names", {"/axb"}}},
                                       {{"Id", "gone"}, {"Names", {"/gone"}}},
                                       {{"Id", id_a}, {"Names", {"/ptest_fixture_a"}}}})
                              .dump(),
                          100);
    }
    if (r.path == "/v1.41/containers/" + id_a + "/json") return HttpReply(200, inspect_a);
    if (r.path == "/v1.41/containers/" + id_b + "/json") return ChunkedReply(200, inspect_b, 333);
    if (r.path == "/v1.41/containers/gone/json") return Message(404, "No such container: gone");
    if (r.path.rfind("/v1.41/images/sha256:", 0) == 0) {
      ++image_inspects;
      return HttpReply(200, Fixture("image_base1.json"));
    }
    return "";
  }));
  auto provider = Provider(daemon);
  auto list = provider->ListContainers("demo", {"ptest_fixture_b", "gone", "a.b"});
  REQUIRE(list.ok());
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].name == "ptest_fixture_a");
  CHECK((*list)[0].managed());
  CHECK((*list)[1].name == "ptest_fixture_b");
  CHECK((*list)[1].spec.command == std::vector<std::string>{"sleep", "1000"});
  CHECK(image_inspects == 1);  // both run the same image: inspected once
  CHECK(daemon.connections() == 1);
}

TEST_CASE(
    "no name query while every wanted name runs under the project's label, one when a "
    "wanted container is stopped",
    "[providers][docker]") {
  std::string inspect_a = Fixture("inspect_created_ports_health.json");
  const std::string id_a = json::parse(inspect_a)["Id"];
  std::string state = "running";
  int name_queries = 0;
  FakeDaemon daemon(Daemon([&](const FakeRequest& r) -> std::string {
    if (r.path == "/v1.41/containers/json") {
      auto filters = json::parse(r.query.at("filters"));
      if (filters.contains("name")) {
        ++name_queries;
        return HttpReply(200, json::array().dump());
      }
      return HttpReply(
          200,
          json::array({{{"Id", id_a}, {"Names", {"/ptest_fixture_a"}}, {"State", state}}}).dump());
    }
    if (r.path == "/v1.41/containers/" + id_a + "/json") return HttpReply(200, inspect_a);
    if (r.path.rfind("/v1.41/images/sha256:", 0) == 0)
      return HttpReply(200, Fixture("image_base1.json"));
    return "";
  }));
  auto provider = Provider(daemon);
  REQUIRE(provider->ListContainers("demo", {"ptest_fixture_a"}).ok());
  CHECK(name_queries == 0);
  state = "created";  // e.g. made by a replace that was stopped before it started it
  REQUIRE(provider->ListContainers("demo", {"ptest_fixture_a"}).ok());
  CHECK(name_queries == 1);
}

// `inspect` as Docker 29 (API 1.52) writes it: the old top-level NetworkSettings fields and
// Config.MacAddress are gone (moby api/docs/CHANGELOG.md, v1.44-v1.52).
std::string AsDocker29Inspect(const std::string& inspect) {
  json j = json::parse(inspect);
  for (const char* gone :
       {"Bridge", "HairpinMode", "LinkLocalIPv6Address", "LinkLocalIPv6PrefixLen",
        "SecondaryIPAddresses", "SecondaryIPv6Addresses", "EndpointID", "Gateway",
        "GlobalIPv6Address", "GlobalIPv6PrefixLen", "IPAddress", "IPPrefixLen", "IPv6Gateway",
        "MacAddress"})
    j["NetworkSettings"].erase(gone);
  j["Config"].erase("MacAddress");
  return j.dump();
}

// `image` as Docker 29 writes it: unset Config fields omitted, VirtualSize, Container,
// ContainerConfig, Parent, Comment and Author gone.
std::string AsDocker29Image(const std::string& image) {
  json j = json::parse(image);
  for (const char* gone : {"VirtualSize", "Container", "ContainerConfig", "Parent", "Comment",
                           "Author", "DockerVersion"})
    j.erase(gone);
  json config = json::object();
  for (auto& [key, value] : j["Config"].items())
    if (!value.is_null() && value != "" && value != false) config[key] = value;
  j["Config"] = config;
  return j.dump();
}

TEST_CASE(
    "a Docker 29 daemon that refuses API 1.41 is spoken to at 1.52, and its answers read as "
    "Docker 20.10's",
    "[providers][docker]") {
  const std::string inspect_a = Fixture("inspect_created_ports_health.json");
  const std::string inspect_b = Fixture("inspect_running_host.json");
  const std::string id_a = json::parse(inspect_a)["Id"];
  const std::string id_b = json::parse(inspect_b)["Id"];
  // The same two containers from a daemon at `version`, in that version's shapes.
  auto read = [&](const std::string& version, bool docker29) {
    const std::string v = "/v" + version;
    FakeDaemon daemon(Daemon(
        [&](const FakeRequest& r) -> std::string {
          if (r.path.rfind(v + "/", 0) != 0)
            return Message(400, "client version " + r.path.substr(2, r.path.find('/', 1) - 2) +
                                    " is too old. Minimum supported API version is 1.44, please "
                                    "upgrade your client to a newer version");
          const std::string path = r.path.substr(v.size());
          if (path == "/containers/json") {
            json a = {{"Id", id_a}, {"Names", {"/ptest_fixture_a"}}, {"State", "created"}};
            json b = {{"Id", id_b}, {"Names", {"/ptest_fixture_b"}}, {"State", "running"}};
            if (docker29) b["Health"] = {{"Status", "none"}, {"FailingStreak", 0}};
            return HttpReply(200, json::array({a, b}).dump());
          }
          if (path == "/containers/" + id_a + "/json")
            return HttpReply(200, docker29 ? AsDocker29Inspect(inspect_a) : inspect_a);
          if (path == "/containers/" + id_b + "/json")
            return HttpReply(200, docker29 ? AsDocker29Inspect(inspect_b) : inspect_b);
          if (path.rfind("/images/sha256:", 0) == 0) {
            const std::string image = Fixture("image_base1.json");
            return HttpReply(200, docker29 ? AsDocker29Image(image) : image);
          }
          return "";
        },
        version, docker29 ? "29.0.0" : "20.10.24"));
    auto api = Client(daemon);
    REQUIRE(api->NegotiateVersion().ok());
    CHECK(api->api_version() == version);
    DockerProvider provider("h1", std::move(api));
    auto list = provider.ListContainers("demo", {"ptest_fixture_b"});
    REQUIRE(list.ok());
    return *list;
  };
  const auto docker20 = read("1.41", false);
  const auto docker29 = read("1.52", true);
  REQUIRE(docker20.size() == 2);
  REQUIRE(docker29.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    INFO(docker20[i].name);
    CHECK(docker29[i].name == docker20[i].name);
    CHECK(docker29[i].image_id == docker20[i].image_id);
    CHECK(docker29[i].spec == docker20[i].spec);
    CHECK(docker29[i].state == docker20[i].state);
    CHECK(docker29[i].health == docker20[i].health);
    CHECK(docker29[i].created == docker20[i].created);
    CHECK(docker29[i].started_at == docker20[i].started_at);
  }
}

TEST_CASE(
    "a known container is taken as read unless the daemon logged an event about it, in "
    "Docker 29's event shape and in Docker 20.10's",
    "[providers][docker]") {
  // A running container started ten seconds ago, listed "Up 10 seconds".
  json inspect = json::parse(Fixture("inspect_running_host.json"));
  const std::string id = inspect["Id"];
  const std::int64_t started = LocalSeconds() - 10;
  inspect["State"]["StartedAt"] = Rfc3339Seconds(started);
  std::string events;  // what GET /events answers
  int inspects = 0, event_reads = 0;
  auto routes = [&](const FakeRequest& r) -> std::string {
    const std::string v = "/v1.52";
    if (r.path.rfind(v + "/", 0) != 0) return Message(400, "client version too old");
    const std::string path = r.path.substr(v.size());
    if (path == "/containers/json")
      return HttpReply(200, json::array({{{"Id", id},
                                          {"Names", {"/ptest_fixture_b"}},
                                          {"ImageID", inspect["Image"]},
                                          {"Labels", inspect["Config"]["Labels"]},
                                          {"State", "running"},
                                          {"Status", "Up 10 seconds"},
                                          {"Health", {{"Status", "none"}}}}})
                                .dump());
    if (path == "/events") {
      ++event_reads;
      return HttpReply(200, events);
    }
    if (path == "/containers/" + id + "/json") {
      ++inspects;
      return HttpReply(200, AsDocker29Inspect(inspect.dump()));
    }
    if (r.method == "HEAD" && path == "/containers/" + id + "/archive")
      return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Docker-Container-Path-Stat: "
             "eyJuYW1lIjoicnVuLnNoIiwic2l6ZSI6NDIsIm1vZGUiOjQ5MywibXRpbWUiOiIyMDI2LTEyLTAxVDAwOjAwO"
             "jAwWiIsImxpbmtUYXJnZXQiOiIifQ==\r\n\r\n";
    if (path.rfind("/images/sha256:", 0) == 0)
      return HttpReply(200, AsDocker29Image(Fixture("image_base1.json")));
    return "";
  };
  FakeDaemon daemon([inner = Daemon(routes, "1.52", "29.0.0")](const FakeRequest& r) {
    return WithDate(inner(r), HttpDate(LocalSeconds()));
  });
  auto provider = Provider(daemon);
  ContainerReadRequest request;
  request.project = "demo";
  request.stat_path = "/run.sh";
  auto first = provider->ReadContainers(request);
  INFO(first.status().message());
  REQUIRE(first.ok());
  REQUIRE(first->size() == 1);
  REQUIRE((*first)[0].container.running());
  const LiveContainer known = (*first)[0].container;
  const std::unordered_map<std::string, const LiveContainer*> by_id = {{id, &known}};
  request.known = &by_id;
  request.known_since = LocalSeconds() - 5;
  auto read_with = [&](const std::string& log) {
    events = log;
    inspects = 0;
    auto reading = provider->ReadContainers(request);
    REQUIRE(reading.ok());
    REQUIRE(reading->size() == 1);
    CHECK((*reading)[0].container.id == id);
    return (*reading)[0].inspected;
  };
  const std::string time = std::to_string(LocalSeconds() - 1);
  // Docker 29 (API 1.52): no "status", "id" or "from" any more.
  const std::string update29 = json{{"Type", "container"},
                                    {"Action", "update"},
                                    {"Actor", {{"ID", id}, {"Attributes", json::object()}}},
                                    {"scope", "local"},
                                    {"time", std::stoll(time)}}
                                   .dump() +
                               "\n";
  // Docker 20.10 (API 1.41): both forms.
  const std::string update20 =
      json{{"status", "update"},      {"id", id},
           {"from", "busybox"},       {"Type", "container"},
           {"Action", "update"},      {"Actor", {{"ID", id}, {"Attributes", json::object()}}},
           {"time", std::stoll(time)}}
          .dump() +
      "\n";
  const std::string exec29 =
      json{{"Type", "container"}, {"Action", "exec_start: sh -c true"}, {"Actor", {{"ID", id}}}}
          .dump() +
      "\n";
  CHECK_FALSE(read_with(""));
  CHECK(inspects == 0);
  CHECK(read_with(update29));
  CHECK(inspects == 1);
  CHECK(read_with(update20));
  CHECK(inspects == 1);
  CHECK_FALSE(read_with(exec29));  // an exec changes nothing an inspect shows
  CHECK(inspects == 0);
  // An event about another container: this one is still taken as read. (An event whose
  // container the parser could not tell would have every container inspected.)
  std::string other29 = update29;
  other29.replace(other29.find(id), id.size(), std::string(64, 'f'));
  CHECK_FALSE(read_with(other29));
  CHECK(inspects == 0);
  CHECK(event_reads == 5);
}

TEST_CASE("a list failure is an error, never an empty host", "[providers][docker]") {
  FakeDaemon daemon(Daemon([](const FakeRequest& r) -> std::string {
    if (r.path == "/v1.41/containers/json") return Message(500, "daemon is shutting down");
    return "";
  }));
  auto provider = Provider(daemon);
  auto list = provider->ListContainers("demo", {});
  CHECK(list.status().code() == Status::Code::kRemoteError);
  CHECK_THAT(list.status().message(), Catch::Contains("daemon is shutting down"));
}

TEST_CASE("reads a file from a container's archive", "[providers][docker]") {
  auto file_tar = WriteSingleFileTar("run.sh", "#!/bin/sh\necho hi\n", 0755, 0);
  REQUIRE(file_tar.ok());
  FakeDaemon daemon(Daemon([&](const FakeRequest& r) -> std::string {
    if (r.path == "/v1.41/containers/nope/archive") return Message(404, "No such container: nope");
    if (r.path != "/v1.41/containers/c1/archive") return "";
    const std::string& path = r.query.at("path");
    if (path == "/run.sh" || path == "/opt/real.sh")
      return HttpReply(200, *file_tar, "application/x-tar");
    if (path == "/link.sh") {
      // Docker archives a symlink as itself.
      return HttpReply(200, testing::SymlinkTar("link.sh", "opt/real.sh"), "application/x-tar");
    }
    return Message(404, "Could not find the file " + path + " in container c1");
  }));
  auto provider = Provider(daemon);
  auto content = provider->ReadFile("c1", "/run.sh");
  REQUIRE(content.ok());
  REQUIRE(content->has_value());
  CHECK(**content == "#!/bin/sh\necho hi\n");
  auto missing = provider->ReadFile("c1", "/absent.sh");
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());
  auto linked = provider->ReadFile("c1", "/link.sh");
  REQUIRE(linked.ok());
  REQUIRE(linked->has_value());
  CHECK(**linked == "#!/bin/sh\necho hi\n");
  CHECK(daemon.requests().back().query.at("path") == "/opt/real.sh");
  CHECK(provider->ReadFile("nope", "/run.sh").status().code() == Status::Code::kNotFound);
  CHECK(provider->ReadFile("c1", "relative").status().code() == Status::Code::kInvalidArgument);
}

TEST_CASE("uploads a file as a one-member tar into its directory", "[providers][docker]") {
  FakeDaemon daemon(Daemon([](const FakeRequest& r) -> std::string {
    if (r.method == "PUT" && r.path == "/v1.41/containers/c1/archive") return HttpReply(200, "");
    if (r.path == "/v1.41/containers/missing/archive")
      return Message(404, "No such container: missing");
    return "";
  }));
  auto provider = Provider(daemon);
  REQUIRE(provider->UploadFile("c1", "/run.sh", "#!/bin/sh\n", 0755).ok());
  const FakeRequest& put = daemon.requests().back();
  CHECK(put.query.at("path") == "/");
  CHECK(put.headers.at("content-type") == "application/x-tar");
  auto entries = ReadTar(put.body);
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 1);
  CHECK(entries->front().path == "run.sh");
  CHECK(entries->front().mode == 0755);
  CHECK(entries->front().content == "#!/bin/sh\n");

  REQUIRE(provider->UploadFile("c1", "/etc/app/conf", "x", 0600).ok());
  CHECK(daemon.requests().back().query.at("path") == "/etc/app");
  CHECK(provider->UploadFile("missing", "/run.sh", "x", 0755).code() == Status::Code::kNotFound);
  CHECK(provider->UploadFile("c1", "/dir/", "x", 0755).code() == Status::Code::kInvalidArgument);
}

TEST_CASE("an upload's mtime is the host's clock, learned from Docker's Date header",
          "[providers][docker]") {
  auto uploaded_mtime = [](FakeDaemon& daemon) {
    auto provider = Provider(daemon);  // /_ping's answer already carries a Date
    const std::int64_t before = LocalSeconds();
    REQUIRE(provider->UploadFile("c1", "/run.sh", "#!/bin/sh\n", 0755).ok());
    const std::int64_t after = LocalSeconds() + 1;
    auto entries = ReadTar(daemon.requests().back().body);
    REQUIRE(entries.ok());
    REQUIRE(entries->size() == 1);
    return std::make_tuple(before, entries->front().mtime, after);
  };
  auto upload_ok = [](const FakeRequest& r) -> std::string {
    return r.method == "PUT" && r.path == "/v1.41/containers/c1/archive" ? HttpReply(200, "") : "";
  };
  for (std::int64_t skew : {3600, -3600, 0}) {
    INFO("host clock " << skew << " s off the local one");
    FakeDaemon daemon(SkewedDaemon(upload_ok, skew));
    auto [before, mtime, after] = uploaded_mtime(daemon);
    // Never later than the host's clock; earlier by at most the Date's second plus a bit.
    CHECK(mtime <= after + skew);
    CHECK(mtime >= before + skew - 2);
  }
  SECTION("no Date header: the local clock") {
    FakeDaemon daemon(Daemon(upload_ok));
    auto [before, mtime, after] = uploaded_mtime(daemon);
    CHECK(mtime >= before);
    CHECK(mtime <= after);
  }
  SECTION("a malformed Date header is ignored") {
    FakeDaemon daemon([inner = Daemon(upload_ok)](const FakeRequest& r) {
      return WithDate(inner(r), "Tue, 01 Dec 2026 17:08:43 UTC");
    });
    auto [before, mtime, after] = uploaded_mtime(daemon);
    CHECK(mtime >= before);
    CHECK(mtime <= after);
  }
}

TEST_CASE("the client keeps the host clock of the latest well-dated answer",
          "[providers][docker]") {
  std::string date;  // what every answer carries as its Date; none when empty
  FakeDaemon daemon(
      [&date, inner = Daemon([](const FakeRequest&) { return HttpReply(200, "{}"); })](
          const FakeRequest& r) { return date.empty() ? inner(r) : WithDate(inner(r), date); });
  auto api = Client(daemon);
  CHECK_FALSE(api->HostClockNow());  // nothing heard yet
  REQUIRE(api->NegotiateVersion().ok());
  CHECK_FALSE(api->HostClockNow());  // an answer without a Date tells nothing

  auto host_offset = [&] {
    auto host_now = api->HostClockNow();
    REQUIRE(host_now);
    return std::chrono::duration_cast<std::chrono::seconds>(*host_now -
                                                            std::chrono::system_clock::now())
        .count();
  };
  date = HttpDate(LocalSeconds() + 7200);
  REQUIRE(api->Send({}).ok());
  CHECK(host_offset() >= 7200 - 2);
  CHECK(host_offset() <= 7200);
  date = "yesterday";  // ignored: the last good estimate stands
  REQUIRE(api->Send({}).ok());
  CHECK(host_offset() >= 7200 - 2);
  date = HttpDate(LocalSeconds() - 60);  // the host's clock was stepped back: follow it
  REQUIRE(api->Send({}).ok());
  CHECK(host_offset() >= -60 - 2);
  CHECK(host_offset() <= -60);
}

TEST_CASE("stat keys carry Docker's RFC 3339 mtime, which FileModifiedAt reads",
          "[providers][docker]") {
  // Path stats as the lab's Docker 20.10 sent them (X-Docker-Container-Path-Stat), plus the
  // same instant as a daemon in UTC+8 writes it (Go formats the time in its local zone).
  const std::map<std::string, std::string> stats = {
      {"/run.sh", R"({"name":"run.sh","size":10,"mode":493,"mtime":"2026-12-01T16:14:03Z",)"
                  R"("linkTarget":""})"},
      {"/etc/hostname",
       R"({"name":"hostname","size":13,"mode":420,"mtime":"2026-12-01T17:13:55.901613527Z",)"
       R"("linkTarget":""})"},
      {"/zoned", R"({"name":"zoned","size":1,"mode":384,)"
                 R"("mtime":"2026-12-02T01:13:55.901613527+08:00","linkTarget":""})"},
      {"/link.sh", R"({"name":"link.sh","size":11,"mode":134218239,)"
                   R"("mtime":"2026-12-01T16:14:03Z","linkTarget":"opt/real.sh"})"},
  };
  FakeDaemon daemon(Daemon([&](const FakeRequest& r) -> std::string {
    if (r.path == "/v1.41/containers/c1/json") return HttpReply(200, R"({"Id":"c1"})");
    if (r.path == "/v1.41/containers/gone/json") return Message(404, "No such container: gone");
    if (r.method != "HEAD") return "";
    auto stat = stats.find(r.query.at("path"));
    // A HEAD answer has headers only.
    if (r.path != "/v1.41/containers/c1/archive" || stat == stats.end())
      return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    return "HTTP/1.1 200 OK\r\nX-Docker-Container-Path-Stat: " + Base64(stat->second) +
           "\r\nContent-Length: 0\r\n\r\n";
  }));
  auto provider = Provider(daemon);
  auto stat_of = [&](const std::string& id, const std::string& path) {
    auto stat = provider->StatFile(id, path);
    INFO(stat.status().ToString());
    REQUIRE(stat.ok());
    return *stat;
  };
  CHECK(stat_of("c1", "/run.sh") == "10:493:2026-12-01T16:14:03Z");
  CHECK(FileModifiedAt(*stat_of("c1", "/run.sh")) == 1796141643LL * 1000000000);
  const std::string hostname = *stat_of("c1", "/etc/hostname");
  CHECK(hostname == "13:420:2026-12-01T17:13:55.901613527Z");
  CHECK(FileModifiedAt(hostname) == ParseRfc3339("2026-12-01T17:13:55.901613527Z"));
  CHECK(FileModifiedAt(hostname) == (1796144923LL + 312) * 1000000000 + 901613527);
  CHECK(FileModifiedAt(*stat_of("c1", "/zoned")) == FileModifiedAt(hostname));
  CHECK(stat_of("c1", "/link.sh") == "");  // a symlink vouches for nothing
  CHECK_FALSE(FileModifiedAt(""));
  CHECK_FALSE(stat_of("c1", "/absent"));
  CHECK(provider->StatFile("gone", "/run.sh").status().code() == Status::Code::kNotFound);
}

TEST_CASE("renames a container", "[providers][docker]") {
  // Docker 20.10's answers, as the lab gave them.
  FakeDaemon daemon(Daemon([](const FakeRequest& r) -> std::string {
    if (r.method != "POST") return "";
    if (r.path == "/v1.41/containers/nope/rename") return Message(404, "No such container: nope");
    if (r.path != "/v1.41/containers/c1/rename") return "";
    const std::string& name = r.query.at("name");
    if (name == "taken")
      return Message(409,
                     "Error when allocating new name: Conflict. The container name \"/taken\" is "
                     "already in use by container \"15b6\". You have to remove (or rename) that "
                     "container to be able to reuse that name.");
    if (name == "c1")
      return Message(400, "Renaming a container with the same name as its current name");
    return HttpReply(204, "");
  }));
  auto provider = Provider(daemon);
  REQUIRE(provider->RenameContainer("c1", "web_old.1").ok());
  const FakeRequest& rename = daemon.requests().back();
  CHECK(rename.method == "POST");
  CHECK(rename.path == "/v1.41/containers/c1/rename");
  CHECK(rename.query == std::map<std::string, std::string>{{"name", "web_old.1"}});
  CHECK(rename.body.empty());

  Status taken = provider->RenameContainer("c1", "taken");
  CHECK(taken.code() == Status::Code::kConflict);
  CHECK_THAT(taken.message(), Catch::StartsWith("rename to taken: h1: POST /containers/c1/rename"));
  CHECK_THAT(taken.message(), Catch::Contains("is already in use"));
  CHECK(provider->RenameContainer("nope", "x1").code() == Status::Code::kNotFound);
  CHECK(provider->RenameContainer("c1", "c1").code() == Status::Code::kInvalidArgument);
  const std::size_t sent = daemon.requests().size();
  CHECK(provider->RenameContainer("c1", "").code() == Status::Code::kInvalidArgument);
  CHECK(daemon.requests().size() == sent);  // refused before asking
}

TEST_CASE("a missing tag or repository is kNotFound, an unreachable registry kUnavailable",
          "[providers][docker]") {
  // What the lab's Docker 20.10 answers for GET /distribution/{ref}/json.
  FakeDaemon daemon(Daemon([](const FakeRequest& r) -> std::string {
    if (r.path == "/v1.41/distribution/127.0.0.1:5000/jlrec-lab/base:no-such-tag/json" ||
        r.path == "/v1.41/distribution/127.0.0.1:5000/jlrec-lab/no-such-repo:1/json")
      return Message(404, "manifest unknown: manifest unknown");
    if (r.path == "/v1.41/distribution/127.0.0.1:5999/jlrec-lab/base:1/json")
      return Message(500,
                     "Get \"http://127.0.0.1:5999/v2/\": dial tcp 127.0.0.1:5999: connect: "
                     "connection refused");
    return "";
  }));
  auto provider = Provider(daemon);
  for (const char* missing :
       {"127.0.0.1:5000/jlrec-lab/base:no-such-tag", "127.0.0.1:5000/jlrec-lab/no-such-repo:1"}) {
    auto digest = provider->ResolveImageDigest(missing);
    CHECK(digest.status().code() == Status::Code::kNotFound);
    CHECK(digest.status().message() == std::string("h1: resolve ") + missing +
                                           " at its registry: manifest unknown: manifest unknown "
                                           "(HTTP 404)");
  }
  auto unreachable = provider->ResolveImageDigest("127.0.0.1:5999/jlrec-lab/base:1");
  CHECK(unreachable.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(unreachable.status().message(), Catch::Contains("connection refused (HTTP 500)"));
}

TEST_CASE("creates, starts, stops, restarts and removes", "[providers][docker]") {
  FakeDaemon daemon(Daemon([](const FakeRequest& r) -> std::string {
    if (r.path == "/v1.41/containers/create") {
      if (r.query.at("name") == "taken")
        return Message(409, "Conflict. The container name \"/taken\" is already in use");
      if (r.query.at("name") == "noimage") return Message(404, "No such image: img:9");
      return HttpReply(201, R"({"Id":"new-id","Warnings":[]})");
    }
    if (r.path == "/v1.41/containers/c1/start") return HttpReply(204, "");
    if (r.path == "/v1.41/containers/up/start") return HttpReply(304, "");
    if (r.path == "/v1.41/containers/c1/stop") return HttpReply(204, "");
    if (r.path == "/v1.41/containers/down/stop") return HttpReply(304, "");
    if (r.path == "/v1.41/containers/c1/restart") return HttpReply(204, "");
    if (r.path == "/v1.41/containers/c1" && r.method == "DELETE") return HttpReply(204, "");
    if (r.path == "/v1.41/containers/gone" && r.method == "DELETE")
      return Message(404, "No such container: gone");
    if (r.path == "/v1.41/containers/running" && r.method == "DELETE")
      return Message(409, "You cannot remove a running container");
    return "";
  }));
  auto provider = Provider(daemon);
  CreateContainerRequest req;
  req.name = "web";
  req.spec.image = "img:1";
  req.spec.restart = "always";
  req.jlrec_labels = {{"jlrec.project", "p"}};
  auto id = provider->CreateContainer(req);
  REQUIRE(id.ok());
  CHECK(*id == "new-id");
  const FakeRequest& create = daemon.requests().back();
  CHECK(create.method == "POST");
  CHECK(create.headers.at("content-type") == "application/json");
  CHECK(json::parse(create.body)["Labels"] == json{{"jlrec.project", "p"}});
  req.name = "taken";
  CHECK(provider->CreateContainer(req).status().code() == Status::Code::kConflict);
  req.name = "noimage";
  CHECK(provider->CreateContainer(req).status().code() == Status::Code::kNotFound);

  CHECK(provider->StartContainer("c1").ok());
  CHECK(provider->StartContainer("up").ok());
  CHECK(provider->StopContainer("c1", std::chrono::seconds(7)).ok());
  CHECK(daemon.requests().back().query.at("t") == "7");
  CHECK(provider->StopContainer("down", std::chrono::seconds(1)).ok());
  CHECK(provider->RestartContainer("c1", std::chrono::seconds(2)).ok());
  CHECK(provider->RemoveContainer("c1").ok());
  CHECK(daemon.requests().back().query.at("v") == "1");
  CHECK(provider->RemoveContainer("gone").ok());
  CHECK(provider->RemoveContainer("running").code() == Status::Code::kConflict);
  CHECK(provider->StartContainer("unknown").code() == Status::Code::kRemoteError);
}

TEST_CASE("exec runs detached and polls for the exit code", "[providers][docker]") {
  int polls = 0;
  FakeDaemon daemon(Daemon([&](const FakeRequest& r) -> std::string {
    if (r.path == "/v1.41/containers/c1/exec") {
      auto body = json::parse(r.body);
      CHECK(body["Cmd"] == json({"test", "-f", "/run.sh"}));
      CHECK(body["AttachStdout"] == false);
      return HttpReply(201, R"({"Id":"e1"})");
    }
    if (r.path == "/v1.41/containers/stopped/exec")
      return Message(409, "Container stopped is not running");
    if (r.path == "/v1.41/exec/e1/start") {
      CHECK(json::parse(r.body)["Detach"] == true);
      return HttpReply(200, "");
    }
    if (r.path == "/v1.41/exec/e1/json") {
      ++polls;
      if (polls == 1)
        return HttpReply(200, R"({"Running":false,"ExitCode":null})");  // not started yet
      if (polls < 4) return HttpReply(200, R"({"Running":true,"ExitCode":null})");
      return HttpReply(200, R"({"Running":false,"ExitCode":3})");
    }
    return "";
  }));
  auto provider = Provider(daemon);
  auto code = provider->Exec("c1", {"test", "-f", "/run.sh"}, std::chrono::seconds(30));
  REQUIRE(code.ok());
  CHECK(*code == 3);
  CHECK(polls == 4);
  CHECK(provider->Exec("stopped", {"true"}, std::chrono::seconds(1)).status().code() ==
        Status::Code::kConflict);
  CHECK(provider->Exec("c1", {}, std::chrono::seconds(1)).status().code() ==
        Status::Code::kInvalidArgument);
}

TEST_CASE("exec past its timeout is kTimeout", "[providers][docker]") {
  FakeDaemon daemon(Daemon([&](const FakeRequest& r) -> std::string {
    if (r.path == "/v1.41/containers/c1/exec") return HttpReply(201, R"({"Id":"e1"})");
    if (r.path == "/v1.41/exec/e1/start") return HttpReply(200, "");
    if (r.path == "/v1.41/exec/e1/json")
      return HttpReply(200, R"({"Running":true,"ExitCode":null})");
    return "";
  }));
  auto provider = Provider(daemon);
  auto code = provider->Exec("c1", {"sleep", "100"}, std::chrono::milliseconds(0));
  CHECK(code.status().code() == Status::Code::kTimeout);
  CHECK_THAT(code.status().message(), Catch::Contains("still running"));
}

TEST_CASE("image presence, pulls and digests", "[providers][docker]") {
  std::string pull_answer;
  FakeDaemon daemon(Daemon([&](const FakeRequest& r) -> std::string {
    if (r.path == "/v1.41/images/127.0.0.1:5000/lab/base:1/json")
      return HttpReply(200,
                       R"({"Id":"sha256:1","RepoDigests":["127.0.0.1:5000/lab/base@sha256:aa"]})");
    if (r.path == "/v1.41/images/untagged:1/json")
      return HttpReply(200, R"({"Id":"sha256:2","RepoDigests":null})");
    if (r.path.rfind("/v1.41/images/", 0) == 0 && r.path.size() > 5 &&
        r.path.substr(r.path.size() - 5) == "/json")
      return Message(404, "No such image");
    if (r.path == "/v1.41/images/create") return pull_answer;
    if (r.path == "/v1.41/distribution/127.0.0.1:5000/lab/base:1/json")
      return HttpReply(200, R"({"Descriptor":{"mediaType":"x","digest":"sha256:abc","size":1}})");
    if (r.path == "/v1.41/distribution/127.0.0.1:5999/lab/base:1/json")
      return Message(500,
                     "Get \"http://127.0.0.1:5999/v2/\": dial tcp 127.0.0.1:5999: connect: "
                     "connection refused");
    if (r.path == "/v1.41/distribution/127.0.0.1:5000/lab/none:1/json")
      return Message(404, "manifest unknown");
    return "";
  }));
  auto provider = Provider(daemon);
  CHECK(*provider->HasImage("127.0.0.1:5000/lab/base:1"));
  CHECK_FALSE(*provider->HasImage("other:1"));
  CHECK(*provider->LocalImageDigests("127.0.0.1:5000/lab/base:1") ==
        std::vector<std::string>{"127.0.0.1:5000/lab/base@sha256:aa"});
  CHECK(provider->LocalImageDigests("untagged:1")->empty());
  CHECK(provider->LocalImageDigests("other:1")->empty());

  CHECK(*provider->ResolveImageDigest("127.0.0.1:5000/lab/base:1") == "sha256:abc");
  auto unreachable = provider->ResolveImageDigest("127.0.0.1:5999/lab/base:1");
  CHECK(unreachable.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(unreachable.status().message(), Catch::Contains("connection refused"));
  CHECK(provider->ResolveImageDigest("127.0.0.1:5000/lab/none:1").status().code() ==
        Status::Code::kNotFound);

  pull_answer = ChunkedReply(200,
                             "{\"status\":\"Pulling from lab/base\",\"id\":\"1\"}\n"
                             "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1}}\n"
                             "{\"status\":\"Status: Downloaded newer image\"}\n",
                             17);
  REQUIRE(provider->PullImage("127.0.0.1:5000/lab/base:1").ok());
  CHECK(daemon.requests().back().query.at("fromImage") == "127.0.0.1:5000/lab/base");
  CHECK(daemon.requests().back().query.at("tag") == "1");
  REQUIRE(provider->PullImage("busybox").ok());
  CHECK(daemon.requests().back().query.at("tag") == "latest");
  REQUIRE(provider->PullImage("busybox@sha256:0123").ok());
  CHECK(daemon.requests().back().query.at("fromImage") == "busybox");
  CHECK(daemon.requests().back().query.at("tag") == "sha256:0123");

  pull_answer =
      ChunkedReply(200,
                   "{\"status\":\"Pulling from lab/base\"}\n"
                   "{\"errorDetail\":{\"message\":\"unauthorized: authentication required\"},"
                   "\"error\":\"unauthorized: authentication required\"}\n",
                   10);
  Status failed = provider->PullImage("127.0.0.1:5000/lab/base:1");
  CHECK(failed.code() == Status::Code::kRemoteError);
  CHECK_THAT(failed.message(), Catch::Contains("unauthorized: authentication required"));

  pull_answer = Message(404, "manifest for 127.0.0.1:5000/lab/base:9 not found: manifest unknown");
  Status missing = provider->PullImage("127.0.0.1:5000/lab/base:9");
  CHECK(missing.code() == Status::Code::kNotFound);
  CHECK_THAT(missing.message(), Catch::Contains("manifest unknown"));
}

// ---------------------------------------------------------------------------------------------
// StreamLogs and StartExec: frames, chunk lines and heads cut everywhere (the fake daemon hands
// its answers out 7 bytes at a time).

// A container's output as a sink received it.
struct Output {
  std::string out, err;
  OutputSink Sink() {
    return [this](OutputStream stream, std::string_view bytes) {
      (stream == OutputStream::kStderr ? err : out).append(bytes);
      return Status::Ok();
    };
  }
};

// The 101 Docker answers a hijacked exec start with, followed by `raw`.
std::string Upgraded(const std::string& raw) {
  return "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
         "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n" +
         raw;
}

// Everything `session` outputs, to its end.
Output Drain(ExecSession& session) {
  Output got;
  for (;;) {
    auto more = session.ReadOutput(got.Sink());
    INFO(more.status().ToString());
    REQUIRE(more.ok());
    if (!*more) return got;
  }
}

TEST_CASE("StreamLogs demultiplexes a chunked log of a container without a TTY",
          "[providers][docker][logs]") {
  const std::string frames = MultiplexedFrame(1, "line 1\n") + MultiplexedFrame(2, "oops\n") +
                             MultiplexedFrame(1, "line 2\n");
  FakeDaemon daemon(Daemon([&](const FakeRequest& r) -> std::string {
    if (r.path == "/v1.41/containers/web/json")
      return HttpReply(200, R"({"Config":{"Tty":false}})");
    if (r.path == "/v1.41/containers/web/logs") return ChunkedReply(200, frames, 5);
    return "";
  }));
  auto provider = Provider(daemon);
  Output got;
  LogsRequest request;
  request.tail = 2;
  request.timestamps = true;
  REQUIRE(provider->StreamLogs("web", request, got.Sink()).ok());
  CHECK(got.out == "line 1\nline 2\n");
  CHECK(got.err == "oops\n");
  const FakeRequest& logs = daemon.requests().back();
  CHECK(logs.query ==
        std::map<std::string, std::string>{
            {"stdout", "1"}, {"stderr", "1"}, {"follow", "0"}, {"timestamps", "1"}, {"tail", "2"}});
}

TEST_CASE("StreamLogs passes a TTY container's log on as it is, and asks for all of it by default",
          "[providers][docker][logs]") {
  FakeDaemon daemon(Daemon([&](const FakeRequest& r) -> std::string {
    if (r.path == "/v1.41/containers/tty/json") return HttpReply(200, R"({"Config":{"Tty":true}})");
    if (r.path == "/v1.41/containers/tty/logs")
      return ChunkedReply(200, "\x01\x02 not frames: a terminal's bytes\r\n", 4);
    return "";
  }));
  auto provider = Provider(daemon);
  Output got;
  LogsRequest request;
  request.follow = true;
  REQUIRE(provider->StreamLogs("tty", request, got.Sink()).ok());
  CHECK(got.out == "\x01\x02 not frames: a terminal's bytes\r\n");
  CHECK(daemon.requests().back().query.at("tail") == "all");
  CHECK(daemon.requests().back().query.at("follow") == "1");
}

TEST_CASE("StreamLogs of a missing container is not found, and a daemon refusal says why",
          "[providers][docker][logs]") {
  FakeDaemon daemon(Daemon([&](const FakeRequest& r) -> std::string {
    if (r.path == "/v1.41/containers/nope/json") return Message(404, "No such container: nope");
    if (r.path == "/v1.41/containers/quiet/json")
      return HttpReply(200, R"({"Config":{"Tty":false}})");
    if (r.path == "/v1.41/containers/quiet/logs")
      return Message(501, "configured logging driver does not support reading");
    return "";
  }));
  auto provider = Provider(daemon);
  Output got;
  CHECK(provider->StreamLogs("nope", {}, got.Sink()).code() == Status::Code::kNotFound);
  const Status refused = provider->StreamLogs("quiet", {}, got.Sink());
  CHECK(refused.code() == Status::Code::kRemoteError);
  CHECK_THAT(refused.message(),
             Catch::Contains("configured logging driver does not support reading (HTTP 501)"));
}

TEST_CASE("StartExec sends the command as an argument vector and pumps a hijacked connection",
          "[providers][docker][exec]") {
  const std::vector<std::string> argv = {"printf", "%s|", "a b", "it's", "$(id)", "\"q\"", "*"};
  FakeDaemon daemon(Daemon([&](const FakeRequest& r) -> std::string {
    if (r.path == "/v1.41/containers/web/exec") return HttpReply(201, R"({"Id":"e1"})");
    if (r.path == "/v1.41/exec/e1/start")
      return Upgraded(MultiplexedFrame(1, "a b|it's|$(id)|") + MultiplexedFrame(2, "warning\n") +
                      MultiplexedFrame(1, "\"q\"|*|"));
    if (r.path == "/v1.41/exec/e1/json")
      return HttpReply(200, R"({"Running":false,"ExitCode":3,"Pid":4242})");
    return "";
  }));
  auto provider = Provider(daemon);
  ExecRequest request;
  request.argv = argv;
  auto session = provider->StartExec("web", request);
  INFO(session.status().ToString());
  REQUIRE(session.ok());
  REQUIRE((*session)->WriteInput("hello\n").ok());
  REQUIRE((*session)->CloseInput().ok());
  Output got = Drain(**session);
  CHECK(got.out == "a b|it's|$(id)|\"q\"|*|");
  CHECK(got.err == "warning\n");
  auto outcome = (*session)->Finish();
  REQUIRE(outcome.ok());
  CHECK(outcome->exit_code == 3);
  CHECK(outcome->started);
  CHECK(daemon.upgraded_input() == "hello\n");
  CHECK(daemon.input_closed());

  const auto& requests = daemon.requests();
  const json create = json::parse(requests.at(1).body);
  CHECK(create.at("Cmd") == json(argv));  // each argument as it is: no shell, no quoting
  CHECK(create.at("AttachStdin") == true);
  CHECK(create.at("AttachStdout") == true);
  CHECK(create.at("AttachStderr") == true);
  CHECK(create.at("Tty") == false);
  CHECK(requests.at(2).headers.at("upgrade") == "tcp");
  CHECK(json::parse(requests.at(2).body) == json{{"Detach", false}, {"Tty", false}});
}

TEST_CASE("a TTY exec is sized at its start and resized on request, its output raw",
          "[providers][docker][exec]") {
  FakeDaemon daemon(Daemon([&](const FakeRequest& r) -> std::string {
    if (r.path == "/v1.41/containers/web/exec") return HttpReply(201, R"({"Id":"e2"})");
    if (r.path == "/v1.41/exec/e2/start") return Upgraded("\x1b[1mbold\x1b[0m\r\n");
    if (r.path == "/v1.41/exec/e2/resize") return HttpReply(200, "");
    if (r.path == "/v1.41/exec/e2/json")
      return HttpReply(200, R"({"Running":false,"ExitCode":0,"Pid":7})");
    return "";
  }));
  auto provider = Provider(daemon);
  ExecRequest request;
  request.argv = {"sh"};
  request.tty = true;
  request.size = TerminalSize{40, 120};
  auto session = provider->StartExec("web", request);
  REQUIRE(session.ok());
  REQUIRE((*session)->Resize(TerminalSize{50, 132}).ok());
  CHECK((*session)->CloseInput().code() == Status::Code::kInvalidArgument);
  Output got = Drain(**session);
  CHECK(got.out == "\x1b[1mbold\x1b[0m\r\n");
  REQUIRE((*session)->Finish().ok());
  std::vector<std::map<std::string, std::string>> resizes;
  for (const auto& r : daemon.requests())
    if (r.path == "/v1.41/exec/e2/resize") resizes.push_back(r.query);
  CHECK(resizes == std::vector<std::map<std::string, std::string>>{{{"h", "40"}, {"w", "120"}},
                                                                   {{"h", "50"}, {"w", "132"}}});
}

TEST_CASE("StartExec in a stopped container is a conflict, and a command that never ran says so",
          "[providers][docker][exec]") {
  FakeDaemon daemon(Daemon([&](const FakeRequest& r) -> std::string {
    if (r.path == "/v1.41/containers/stopped/exec")
      return Message(409, "Container 3f2a is not running");
    if (r.path == "/v1.41/containers/web/exec") return HttpReply(201, R"({"Id":"e3"})");
    if (r.path == "/v1.41/exec/e3/start")
      return Upgraded(
          MultiplexedFrame(1,
                           "OCI runtime exec failed: exec: \"nope\": executable file not "
                           "found in $PATH: unknown\r\n"));
    if (r.path == "/v1.41/exec/e3/json")
      return HttpReply(200, R"({"Running":false,"ExitCode":126,"Pid":0})");
    return "";
  }));
  auto provider = Provider(daemon);
  ExecRequest request;
  request.argv = {"true"};
  CHECK(provider->StartExec("stopped", request).status().code() == Status::Code::kConflict);
  request.argv = {};
  CHECK(provider->StartExec("web", request).status().code() == Status::Code::kInvalidArgument);
  request.argv = {"nope"};
  auto session = provider->StartExec("web", request);
  REQUIRE(session.ok());
  Output got = Drain(**session);
  CHECK_THAT(got.out, Catch::Contains("executable file not found"));
  auto outcome = (*session)->Finish();
  REQUIRE(outcome.ok());
  CHECK(outcome->exit_code == 126);
  CHECK_FALSE(outcome->started);
}

}  // namespace
}  // namespace jlrec
