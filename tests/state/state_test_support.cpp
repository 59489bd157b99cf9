#include "state/state_test_support.h"
#include "state/sqlite_state_store.h"

#include <catch2/catch.hpp>

namespace jlrec::test {

std::unique_ptr<StateStore> OpenStoreOrFail(const std::string& path) {
  Result<std::unique_ptr<StateStore>> store = OpenSqliteStateStore(path);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(*store);
}

LiveContainer SampleContainer(const std::string& name, int variant) {
  const std::string v = std::to_string(variant);
  LiveContainer c;
  c.id = "0123456789abcdef" + v + name;
  c.name = name;
  c.image_id = "sha256:5e1f" + v;
  c.spec.image = "127.0.0.1:5000/jlrec-lab/base:" + v;
  c.spec.command = {"/bin/sh", "-c", "exec /run.sh " + name + " \"quoted arg\" " + v};
  c.spec.network_mode = variant % 2 == 0 ? "host" : "none";
  c.spec.volumes = {"/data/" + name + ":/data:rw", "/etc/localtime:/etc/localtime:ro" + v};
  c.spec.restart = variant % 2 == 0 ? "unless-stopped" : "on-failure";
  c.spec.ports = {"127.0.0.1:80" + v + ":80/tcp"};
  c.spec.labels = {{"team", "platform" + v}, {"описание", "unicode ✓ " + v}};
  if (variant % 3 != 1) {
    Healthcheck& h = c.spec.healthcheck.emplace();
    h.command = {"/bin/sh", "-c", "curl -fs \"http://127.0.0.1:80" + v + "/health\""};
    h.timeout = std::chrono::milliseconds(3000 + variant);
    h.interval = std::chrono::milliseconds(500 + variant);
    h.retries = 3 + variant;
  }
  c.jlrec_labels = {
      {"jlrec.project", "demo"},        {"jlrec.groups", "product,test" + v},
      {"jlrec.unit", "h1/" + name},     {"jlrec.core", variant % 2 == 0 ? "true" : "false"},
      {"jlrec.spec-digest", "abc" + v}, {"jlrec.version", "0.1." + v}};
  c.state = variant % 2 == 0 ? "running" : "exited";
  c.health = variant % 2 == 0 ? "healthy" : "";
  c.restart_count = 2 + variant;
  c.exit_code = variant % 2 == 0 ? 0 : 128 + variant;
  c.created = "2024-05-0" + std::to_string(1 + variant % 9) + "T10:00:00.123456789Z";
  c.started_at = variant % 2 == 0 ? "2024-05-01T10:00:01Z" : "";
  if (variant % 3 != 2) c.script_digest = "d1635" + v + name;
  if (variant % 3 == 0) c.script_stat = "1030:493:2026-11-26T12:24:51Z";
  return c;
}

HostSnapshot ReachableSnapshot(const std::string& host, std::int64_t observed_at,
                               std::vector<LiveContainer> containers) {
  HostSnapshot snapshot;
  snapshot.host = host;
  snapshot.reachable = true;
  snapshot.observed_at = observed_at;
  snapshot.containers = std::move(containers);
  return snapshot;
}

}  // namespace jlrec::test
