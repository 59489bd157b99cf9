// The shipped manifests (lab and production example), multi-file manifests, and the
// loader's behaviour at scale.
#include <catch2/catch.hpp>

#include <chrono>
#include <ctime>
#include <iostream>

#include "manifest_test_support.h"

using Catch::Matchers::VectorContains;
using jlrec::LoadResult;
using jlrec::testing::Container;
using jlrec::testing::Lines;
using jlrec::testing::ManifestFixture;

namespace {

LoadResult LoadShipped(const std::string& name) {
  jlrec::LoadOptions no_env;  // must load with an empty environment (CI, make demo)
  no_env.getenv = [](const std::string&) { return std::nullopt; };
  return jlrec::LoadManifest(std::string(JLREC_SOURCE_DIR) + "/manifests/" + name, no_env);
}

}  // namespace

TEST_CASE("the lab manifest loads with no environment variable set", "[examples]") {
  LoadResult r = LoadShipped("lab.yaml");
  INFO(Catch::Detail::stringify(Lines(r)));
  REQUIRE(r.ok());
  CHECK(r.diagnostics.empty());
  const auto& s = *r.state;
  CHECK(s.project == "jiliang");
  CHECK(s.hosts.size() == 3);
  CHECK(s.groups.size() == 2);
  CHECK(jlrec::CountUnits(s) == 5);
  CHECK(s.containers.size() == 6);
  CHECK(s.max_per_host == 4);
  for (int n = 1; n <= 3; ++n) {
    const auto& h = s.hosts.at("lab" + std::to_string(n));
    CHECK(h.address == "127.0.0." + std::to_string(n + 1));
    CHECK(h.port == 2222);
    CHECK(h.user == "root");
    CHECK(h.identity_file == "/var/lib/jlrec-lab/client/id_ed25519");
    CHECK(h.known_hosts == "/var/lib/jlrec-lab/client/known_hosts");
    CHECK(h.docker_socket == "/var/lib/jlrec-lab/h" + std::to_string(n) + "/docker.sock");
  }
  const auto& core = Container(r, "lab1/jl_core_1");
  CHECK(core.core);
  CHECK(core.spec.image == "127.0.0.1:5000/jlrec-lab/base:1");
  CHECK(core.spec.command == std::vector<std::string>{"/bin/sh", "/run.sh"});
  CHECK(core.spec.network_mode == "host");
  CHECK(core.spec.restart == "unless-stopped");
  CHECK(core.secret_env == std::set<std::string>{"DB_PASSWORD"});
  REQUIRE(core.spec.healthcheck.has_value());
  CHECK(core.spec.healthcheck->timeout == std::chrono::seconds(30));
  const auto& test_worker = Container(r, "lab2/test_worker_2");
  CHECK(test_worker.env.at("EXTRA") == "1");
  CHECK(test_worker.env.at("JL_MASTER_HOST") == "127.0.0.4");
  CHECK(test_worker.env.at("MONITOR_ENABLED") == "false");
  CHECK(test_worker.env.at("RUNTIME_MODE") == "test");
  CHECK(s.groups.at("product").max_unavailable == "1");
}

TEST_CASE("the production example manifest validates (it is never connected to)", "[examples]") {
  LoadResult r = LoadShipped("jiliang.yaml");
  INFO(Catch::Detail::stringify(Lines(r)));
  // No HOME here: identity_file ~/.ssh/id_ed25519 cannot be expanded.
  CHECK_FALSE(r.ok());
  jlrec::LoadOptions home;
  home.getenv = [](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME") return "/home/operator";
    return std::nullopt;
  };
  LoadResult with_home =
      jlrec::LoadManifest(std::string(JLREC_SOURCE_DIR) + "/manifests/jiliang.yaml", home);
  INFO(Catch::Detail::stringify(Lines(with_home)));
  REQUIRE(with_home.ok());
  CHECK(with_home.diagnostics.empty());
  const auto& s = *with_home.state;
  CHECK(s.hosts.size() == 6);
  CHECK(s.groups.size() == 3);
  CHECK(s.containers.size() == 9);
  CHECK(s.hosts.at("172.16.100.141").identity_file == "/home/operator/.ssh/id_ed25519");
  CHECK(Container(with_home, "172.16.100.54/jl_slave_54_1").spec.image == "jiliang/system:2.4");
  CHECK(Container(with_home, "172.16.100.52/jl_slave_52_1").spec.volumes ==
        std::vector<std::string>{"/data/workspace:/workspace"});
}

TEST_CASE("include: merges other files, with positions in the file that declares them",
          "[examples]") {
  ManifestFixture f;
  f.dir.Write("groups.yaml", "groups:\n  g: {runtime_mode: dev}\n");
  f.dir.Write("more/units.yaml",
              "units:\n"
              "  - {host: h1, dockers: [c2], group: [g]}\n"
              "  - {host: h1, dockers: [c1], group: [g]}\n");
  LoadResult r = f.Load(
      "project: p\n"
      "include: [groups.yaml, more/units.yaml]\n"
      "defaults: {image: img:1, template: t.tmpl}\n"
      "hosts: {h1: {address: 127.0.0.2}}\n"
      "units:\n"
      "  - {host: h1, dockers: [c1], group: [g], core: true}\n");
  CHECK_THAT(Lines(r), VectorContains(f.At(3, 26, "more/units.yaml") +
                                      ": error: container \"c1\" is declared twice on host \"h1\" "
                                      "(first at " +
                                      f.At(6, 26) + ")"));
  CHECK(r.error_count() == 1);
}

TEST_CASE("a folder manifest merges its *.yaml files and rejects double declarations",
          "[examples]") {
  ManifestFixture f;
  f.dir.Write("site/00-base.yaml",
              "project: p\n"
              "defaults: {image: img:1, template: ../t.tmpl}\n"
              "hosts: {h1: {address: 127.0.0.2}}\n"
              "groups: {g: {runtime_mode: dev}}\n");
  f.dir.Write("site/10-units.yml",
              "units:\n  - {host: h1, dockers: [c1], group: [g], core: true}\n");
  f.dir.Write("site/notes.txt", "not a manifest\n");
  LoadResult r = jlrec::LoadManifest(f.dir.Path("site"));
  INFO(Catch::Detail::stringify(Lines(r)));
  REQUIRE(r.ok());
  CHECK(r.state->containers.size() == 1);
  CHECK(r.state->manifest_path == f.dir.Path("site"));
  f.dir.Write("site/20-again.yaml", "project: q\ngroups: {g: {}}\n");
  LoadResult twice = jlrec::LoadManifest(f.dir.Path("site"));
  CHECK_THAT(Lines(twice), VectorContains(f.At(1, 10, "site/20-again.yaml") +
                                          ": error: project is already set at " +
                                          f.dir.Path("site/00-base.yaml") + ":1"));
  CHECK_THAT(Lines(twice), VectorContains(f.At(2, 10, "site/20-again.yaml") +
                                          ": error: group \"g\" is already declared at " +
                                          f.dir.Path("site/00-base.yaml") + ":4"));
}

TEST_CASE("a missing manifest file is one clear error", "[examples]") {
  LoadResult r = jlrec::LoadManifest("/nonexistent/jlrec.yaml");
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].ToString() ==
        "/nonexistent/jlrec.yaml: error: cannot read manifest \"/nonexistent/jlrec.yaml\": No "
        "such file or directory");
}

// Not a timing assertion (the machine is shared): prints the figure for the report.
TEST_CASE("a 10000-container manifest validates and its load time is printed",
          "[examples][scale]") {
  ManifestFixture f;
  std::string yaml =
      "project: big\n"
      "defaults:\n"
      "  image: 127.0.0.1:5000/jlrec-lab/base:1\n"
      "  command: [/bin/sh, /run.sh]\n"
      "  volumes: [/data/workspace:/workspace]\n"
      "  env: {TZ: Asia/Shanghai}\n"
      "  template: " +
      std::string(JLREC_SOURCE_DIR) +
      "/templates/jiliang_run.sh.tmpl\n"
      "host_defaults: {port: 22, user: root}\n"
      "groups:\n";
  for (int g = 0; g < 10; ++g) {
    yaml += "  g" + std::to_string(g) + ": {runtime_mode: dev_new, enable_monitor: true}\n";
  }
  yaml += "units:\n";
  for (int h = 0; h < 1000; ++h) {
    const std::string host = "10.0." + std::to_string(h / 250) + "." + std::to_string(h % 250);
    yaml += "  - host: " + host + "\n    dockers: [";
    for (int c = 0; c < 10; ++c)
      yaml += (c ? ", w_" : "w_") + std::to_string(h) + "_" + std::to_string(c);
    yaml += "]\n    group: [g" + std::to_string(h % 10) + "]\n";
    if (h < 10) yaml += "    core: true\n";
  }
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  LoadResult r = f.Load(yaml);
  const double cpu_ms = 1000.0 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  INFO(Catch::Detail::stringify(Lines(r)));
  REQUIRE(r.ok());
  CHECK(r.state->containers.size() == 10000);
  std::cout << "manifest scale: 10000 containers on 1000 hosts validated and rendered in "
            << elapsed.count() << " ms wall, " << static_cast<long>(cpu_ms)
            << " ms CPU (parse, checks, 10000 rendered scripts and digests)\n";
}
