#include "providers/docker_container_json.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

namespace jlrec {
namespace {

using nlohmann::json;

json Fixture(const std::string& name) {
  std::ifstream in(std::string(JLREC_SOURCE_DIR) + "/tests/providers/data/" + name);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

// Captured from Docker 20.10.24 (the lab): `docker create --network none
// -p 127.0.0.1:8080:80 -p 9000:9000/udp -v /tmp:/data:ro -v /var/log:/logs
// --restart on-failure:3 -l app=demo -l jlrec.project=demo -l jlrec.unit=... --health-cmd
// ... IMAGE /workspace/jiliang_system/deploy/run.sh`, then started.
TEST_CASE("maps a captured Docker 20.10 inspect to a LiveContainer", "[providers][docker]") {
  auto image_defaults = ImageDefaultsFromInspect(Fixture("image_base1.json"));
  REQUIRE(image_defaults.ok());
  const ImageDefaults& image = *image_defaults;
  CHECK(image.cmd == std::vector<std::string>{"/bin/sh"});
  CHECK(image.labels.empty());
  CHECK_FALSE(image.healthcheck);

  auto c = LiveContainerFromInspect(Fixture("inspect_created_ports_health.json"), &image);
  REQUIRE(c.ok());
  CHECK(c->id == "b2042f87f7892ed482ec38cdd6e1166d6358ea50d91fdc7d2c4ac27b79e8a0fe");
  CHECK(c->name == "ptest_fixture_a");
  CHECK(c->image_id == "sha256:5f73e0de37407009c54b92a8dd9cd27d82ddf7d04fffbb4fdd64d6303e0c7813");
  CHECK(c->spec.image == "127.0.0.1:5000/jlrec-lab/base:1");
  CHECK(c->spec.command == std::vector<std::string>{"/workspace/jiliang_system/deploy/run.sh"});
  CHECK(c->spec.network_mode == "none");
  // The docker CLI reorders -v flags; the API keeps what it is given.
  CHECK(c->spec.volumes == std::vector<std::string>{"/var/log:/logs", "/tmp:/data:ro"});
  CHECK(c->spec.restart == "on-failure:3");
  CHECK(c->spec.ports == std::vector<std::string>{"127.0.0.1:8080:80/tcp", "9000:9000/udp"});
  CHECK(c->spec.labels == std::map<std::string, std::string>{{"app", "demo"}});
  CHECK(c->jlrec_labels == std::map<std::string, std::string>{
                               {"jlrec.project", "demo"}, {"jlrec.unit", "lab1/ptest_fixture_a"}});
  CHECK(c->managed());
  CHECK(c->state == "running");
  CHECK(c->running());
  CHECK(c->health == "starting");
  // `--health-cmd` alone: the shell form, and Go's zero durations left out of the JSON.
  REQUIRE(c->spec.healthcheck);
  CHECK(c->spec.healthcheck->command ==
        std::vector<std::string>{"/bin/sh", "-c", "test -f /tmp/ready"});
  CHECK(c->spec.healthcheck->interval.count() == 0);
  CHECK(c->spec.healthcheck->timeout.count() == 0);
  CHECK(c->spec.healthcheck->retries == 0);
  CHECK(c->restart_count == 0);
  CHECK(c->exit_code == 0);
  CHECK(c->created == "2026-11-26T09:06:41.647473163Z");
  CHECK_FALSE(c->started_at.empty());
  CHECK_FALSE(c->script_digest.has_value());
}

TEST_CASE("maps a plain running container", "[providers][docker]") {
  auto image = ImageDefaultsFromInspect(Fixture("image_base1.json"));
  REQUIRE(image.ok());
  auto c = LiveContainerFromInspect(Fixture("inspect_running_host.json"), &*image);
  REQUIRE(c.ok());
  CHECK(c->name == "ptest_fixture_b");
  CHECK(c->spec.command == std::vector<std::string>{"sleep", "1000"});
  CHECK(c->spec.network_mode == "host");
  CHECK(c->spec.restart == "no");
  CHECK(c->spec.volumes.empty());
  CHECK(c->spec.ports.empty());
  CHECK(c->spec.labels.empty());
  CHECK(c->jlrec_labels.empty());
  CHECK_FALSE(c->managed());
  CHECK(c->health.empty());
  CHECK_FALSE(c->spec.healthcheck);
  CHECK(c->finished_at.empty());  // Docker's zero time: it never exited
}

TEST_CASE("normalises what Docker fills in from the image and its defaults",
          "[providers][docker]") {
  json inspect = Fixture("inspect_running_host.json");
  inspect["Config"]["Cmd"] = {"/bin/sh"};
  inspect["Config"]["Labels"] = {{"maintainer", "base"}, {"app", "x"}, {"version", "mine"}};
  inspect["HostConfig"]["NetworkMode"] = "default";
  inspect["HostConfig"]["RestartPolicy"] = {{"Name", ""}, {"MaximumRetryCount", 0}};
  inspect["State"]["StartedAt"] = "0001-01-01T00:00:00Z";
  inspect["State"]["FinishedAt"] = "2026-11-26T10:00:01.5Z";
  ImageDefaults image{{"/bin/sh"}, {{"maintainer", "base"}, {"version", "1"}}, std::nullopt};
  auto c = LiveContainerFromInspect(inspect, &image);
  REQUIRE(c.ok());
  CHECK(c->spec.command.empty());
  CHECK(c->spec.labels == std::map<std::string, std::string>{{"app", "x"}, {"version", "mine"}});
  CHECK(c->spec.network_mode.empty());
  CHECK(c->spec.restart == "no");
  CHECK(c->started_at.empty());
  CHECK(c->finished_at == "2026-11-26T10:00:01.5Z");

  // Without the image, nothing is subtracted.
  auto raw = LiveContainerFromInspect(inspect, nullptr);
  REQUIRE(raw.ok());
  CHECK(raw->spec.command == std::vector<std::string>{"/bin/sh"});
  CHECK(raw->spec.labels.size() == 3);
}

TEST_CASE("reads the health check, restart count and exit code back", "[providers][docker]") {
  json inspect = Fixture("inspect_running_host.json");
  auto healthcheck_of = [&](const json& healthcheck, const ImageDefaults* image = nullptr) {
    inspect["Config"]["Healthcheck"] = healthcheck;
    auto c = LiveContainerFromInspect(inspect, image);
    INFO(c.status().ToString());
    REQUIRE(c.ok());
    return c->spec.healthcheck;
  };
  // What the lab's Docker 20.10 stores for jlrec's create body.
  const json lab_stored = {{"Test", {"CMD", "test", "-f", "/ready"}},
                           {"Interval", 500000000},
                           {"Timeout", 3000000000LL},
                           {"StartPeriod", 3000000000LL},
                           {"Retries", 2}};
  auto exec_form = healthcheck_of(lab_stored);
  REQUIRE(exec_form);
  CHECK(*exec_form == Healthcheck{{"test", "-f", "/ready"},
                                  std::chrono::milliseconds(3000),
                                  std::chrono::milliseconds(500),
                                  2});

  auto shell_form = healthcheck_of({{"Test", {"CMD-SHELL", "curl -f localhost || exit 1"}},
                                    {"Interval", 30000000000LL},
                                    {"Retries", 3}});
  REQUIRE(shell_form);
  CHECK(shell_form->command ==
        std::vector<std::string>{"/bin/sh", "-c", "curl -f localhost || exit 1"});
  CHECK(shell_form->interval == std::chrono::seconds(30));
  CHECK(shell_form->timeout.count() == 0);  // absent: Docker's default applies
  CHECK(shell_form->retries == 3);

  CHECK_FALSE(healthcheck_of({{"Test", {"NONE"}}}));  // disabled
  CHECK_FALSE(healthcheck_of(nullptr));
  CHECK_FALSE(healthcheck_of({{"Test", json::array()}}));  // "inherit", with nothing to inherit

  // A health check Docker copied from the image is the image default; another one is not.
  ImageDefaults image;
  image.healthcheck = *exec_form;
  CHECK_FALSE(healthcheck_of(lab_stored, &image));
  json other = lab_stored;
  other["Retries"] = 5;
  auto own = healthcheck_of(other, &image);
  REQUIRE(own);
  CHECK(own->retries == 5);
  // StartPeriod is not part of the spec: it does not make a check the container's own.
  json other_start = lab_stored;
  other_start["StartPeriod"] = 0;
  CHECK_FALSE(healthcheck_of(other_start, &image));

  inspect["Config"]["Healthcheck"] = {{"Test", {"SHELL", "true"}}};
  CHECK(LiveContainerFromInspect(inspect, nullptr).status().code() == Status::Code::kRemoteError);
  inspect["Config"]["Healthcheck"] = {{"Test", {"CMD", "true"}}, {"Interval", "1s"}};
  CHECK(LiveContainerFromInspect(inspect, nullptr).status().code() == Status::Code::kRemoteError);
  inspect["Config"].erase("Healthcheck");

  // A process that keeps exiting under restart=always, caught between two restarts.
  inspect["RestartCount"] = 4;
  inspect["State"]["Status"] = "restarting";
  inspect["State"]["Restarting"] = true;
  inspect["State"]["ExitCode"] = 3;
  auto looping = LiveContainerFromInspect(inspect, nullptr);
  REQUIRE(looping.ok());
  CHECK(looping->restart_count == 4);
  CHECK(looping->exit_code == 3);
  CHECK(looping->restarting());
}

TEST_CASE("reads an image's health check as its containers' default", "[providers][docker]") {
  json image = Fixture("image_base1.json");
  image["Config"]["Healthcheck"] = {{"Test", {"CMD-SHELL", "test -f /ready"}},
                                    {"Interval", 1000000000},
                                    {"Timeout", 2000000000},
                                    {"Retries", 3}};
  auto defaults = ImageDefaultsFromInspect(image);
  REQUIRE(defaults.ok());
  REQUIRE(defaults->healthcheck);
  CHECK(defaults->healthcheck->command ==
        std::vector<std::string>{"/bin/sh", "-c", "test -f /ready"});
  CHECK(defaults->healthcheck->timeout == std::chrono::seconds(2));

  image["Config"]["Healthcheck"] = {{"Test", {"NONE"}}};
  CHECK_FALSE(ImageDefaultsFromInspect(image)->healthcheck);
  image["Config"]["Healthcheck"] = "CMD true";
  CHECK(ImageDefaultsFromInspect(image).status().code() == Status::Code::kRemoteError);
  CHECK(ImageDefaultsFromInspect(json::array()).status().code() == Status::Code::kRemoteError);
}

TEST_CASE("rejects inspect JSON of the wrong shape", "[providers][docker]") {
  CHECK(LiveContainerFromInspect(json::array(), nullptr).status().code() ==
        Status::Code::kRemoteError);
  CHECK_FALSE(LiveContainerFromInspect(json{{"Name", "/x"}}, nullptr).ok());  // no Id
  json bad = Fixture("inspect_running_host.json");
  bad["Config"]["Cmd"] = "not an array";
  auto c = LiveContainerFromInspect(bad, nullptr);
  CHECK(c.status().code() == Status::Code::kRemoteError);
  CHECK_THAT(c.status().message(), Catch::Contains("unexpected container inspect JSON"));
}

TEST_CASE("parses and canonicalises port specs", "[providers][docker]") {
  auto ports = CanonicalPorts({"9000:9000/udp", "127.0.0.1:8080:80", "80", "[::1]:443:8443/tcp",
                               "127.0.0.1::53/udp", "7000-7001:8000-8001", "0080:080"});
  REQUIRE(ports.ok());
  // Plain byte order: a deterministic, if not numeric, order.
  CHECK(*ports == std::vector<std::string>{"127.0.0.1:8080:80/tcp", "127.0.0.1::53/udp",
                                           "7000:8000/tcp", "7001:8001/tcp", "80/tcp", "80:80/tcp",
                                           "9000:9000/udp", "[::1]:443:8443/tcp"});
  for (const char* bad : {"", "0", "70000", "a:b", "1:2:3:4", "80/icmp", "8000-8001:80",
                          "8001-8000:1-2", "::1:80:80", "[::1]80:80", ":80:80"}) {
    INFO(bad);
    CHECK(ParsePortSpec(bad).status().code() == Status::Code::kInvalidArgument);
  }
  // Canonical strings are fixed points.
  auto again = CanonicalPorts(*ports);
  REQUIRE(again.ok());
  CHECK(*again == *ports);
}

TEST_CASE("parses restart policies", "[providers][docker]") {
  CHECK(ParseRestartPolicy("")->name == "no");
  CHECK(ParseRestartPolicy("always")->name == "always");
  CHECK(ParseRestartPolicy("unless-stopped")->name == "unless-stopped");
  CHECK(ParseRestartPolicy("on-failure")->maximum_retry_count == 0);
  CHECK(ParseRestartPolicy("on-failure:5")->maximum_retry_count == 5);
  for (const char* bad : {"sometimes", "on-failure:", "on-failure:x", "on-failure:-1", "always:3"})
    CHECK_FALSE(ParseRestartPolicy(bad).ok());
}

TEST_CASE("builds the create body from a request", "[providers][docker]") {
  CreateContainerRequest req;
  req.name = "web";
  req.spec.image = "127.0.0.1:5000/jlrec-lab/base:1";
  req.spec.command = {"/run.sh", "--flag"};
  req.spec.network_mode = "host";
  req.spec.volumes = {"/b:/b", "/a:/a:ro"};
  req.spec.restart = "on-failure:2";
  req.spec.ports = {"127.0.0.1:8080:80/tcp", "53/udp"};
  req.spec.labels = {{"app", "web"}};
  req.jlrec_labels = {{"jlrec.project", "p"}};
  auto body = ContainerCreateBody(req);
  REQUIRE(body.ok());
  json& b = *body;
  CHECK(b["Image"] == req.spec.image);
  CHECK(b["Cmd"] == json({"/run.sh", "--flag"}));
  CHECK(b["Labels"] == json({{"app", "web"}, {"jlrec.project", "p"}}));
  CHECK(b["ExposedPorts"] == json({{"80/tcp", json::object()}, {"53/udp", json::object()}}));
  CHECK(b["HostConfig"]["NetworkMode"] == "host");
  CHECK(b["HostConfig"]["Binds"] == json({"/b:/b", "/a:/a:ro"}));
  CHECK(b["HostConfig"]["RestartPolicy"] ==
        json({{"Name", "on-failure"}, {"MaximumRetryCount", 2}}));
  CHECK(b["HostConfig"]["PortBindings"]["80/tcp"] ==
        json::array({{{"HostIp", "127.0.0.1"}, {"HostPort", "8080"}}}));
  CHECK(b["HostConfig"]["PortBindings"]["53/udp"] ==
        json::array({{{"HostIp", ""}, {"HostPort", ""}}}));

  req.spec.command.clear();
  req.spec.network_mode.clear();
  auto defaults = ContainerCreateBody(req);
  REQUIRE(defaults.ok());
  CHECK_FALSE(defaults->contains("Cmd"));
  CHECK_FALSE((*defaults)["HostConfig"].contains("NetworkMode"));
  CHECK_FALSE(defaults->contains("Healthcheck"));  // the image's own, if any, applies
}

TEST_CASE("builds the health check into the create body", "[providers][docker]") {
  CreateContainerRequest req;
  req.name = "web";
  req.spec.image = "img:1";
  req.spec.healthcheck = Healthcheck{{"curl", "-f", "http://localhost/health"},
                                     std::chrono::milliseconds(90000),
                                     std::chrono::milliseconds(2500),
                                     4};
  auto body = ContainerCreateBody(req);
  REQUIRE(body.ok());
  // Nanoseconds; StartPeriod is the timeout too, like jlrec's own apply gate.
  CHECK((*body)["Healthcheck"] == json{{"Test", {"CMD", "curl", "-f", "http://localhost/health"}},
                                       {"Interval", 2500000000LL},
                                       {"Timeout", 90000000000LL},
                                       {"StartPeriod", 90000000000LL},
                                       {"Retries", 4}});

  req.spec.healthcheck->interval = std::chrono::milliseconds(1);  // Docker's minimum
  CHECK((*ContainerCreateBody(req))["Healthcheck"]["Interval"] == 1000000);

  req.spec.healthcheck->command.clear();
  auto no_command = ContainerCreateBody(req);
  CHECK(no_command.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(no_command.status().message(), Catch::Contains("healthcheck without a command"));
  req.spec.healthcheck->command = {"true"};
  req.spec.healthcheck->timeout = std::chrono::milliseconds(-1);
  CHECK(ContainerCreateBody(req).status().code() == Status::Code::kInvalidArgument);
  req.spec.healthcheck->timeout = std::chrono::milliseconds(10);
  req.spec.healthcheck->retries = -1;
  CHECK(ContainerCreateBody(req).status().code() == Status::Code::kInvalidArgument);
}

TEST_CASE("a create body reads back as the spec it came from", "[providers][docker]") {
  CreateContainerRequest req;
  req.name = "rt";
  req.spec.image = "img:1";
  req.spec.command = {"sleep", "1"};
  req.spec.network_mode = "none";
  req.spec.volumes = {"/z:/z", "/a:/a:ro"};
  req.spec.restart = "unless-stopped";
  req.spec.ports = *CanonicalPorts({"1.2.3.4:1:2/udp", "5"});
  req.spec.labels = {{"k", "v"}};
  req.spec.healthcheck = Healthcheck{{"test", "-f", "/ready"},
                                     std::chrono::milliseconds(60000),
                                     std::chrono::milliseconds(1000),
                                     3};
  req.jlrec_labels = {{"jlrec.unit", "h/rt"}};
  auto body = ContainerCreateBody(req);
  REQUIRE(body.ok());
  // What the daemon stores: the body's Config and HostConfig, plus identity and state.
  json inspect = {{"Id", "abc"},
                  {"Name", "/rt"},
                  {"Image", "sha256:1"},
                  {"Config",
                   {{"Image", (*body)["Image"]},
                    {"Cmd", (*body)["Cmd"]},
                    {"Labels", (*body)["Labels"]},
                    {"Healthcheck", (*body)["Healthcheck"]}}},
                  {"HostConfig", (*body)["HostConfig"]},
                  {"State", {{"Status", "created"}}}};
  auto c = LiveContainerFromInspect(inspect, nullptr);
  REQUIRE(c.ok());
  CHECK(c->spec == req.spec);
  CHECK(c->jlrec_labels == req.jlrec_labels);
}

TEST_CASE("the create body refuses misplaced labels and bad specs", "[providers][docker]") {
  CreateContainerRequest req;
  req.name = "x";
  req.spec.image = "img";
  req.spec.labels = {{"jlrec.project", "sneaky"}};
  CHECK(ContainerCreateBody(req).status().code() == Status::Code::kInvalidArgument);
  req.spec.labels.clear();
  req.jlrec_labels = {{"project", "p"}};
  CHECK_FALSE(ContainerCreateBody(req).ok());
  req.jlrec_labels.clear();
  req.spec.restart = "often";
  CHECK_FALSE(ContainerCreateBody(req).ok());
  req.spec.restart = "no";
  req.spec.ports = {"99999"};
  CHECK_FALSE(ContainerCreateBody(req).ok());
  req.spec.ports.clear();
  req.spec.image.clear();
  CHECK_FALSE(ContainerCreateBody(req).ok());
}

}  // namespace
}  // namespace jlrec
