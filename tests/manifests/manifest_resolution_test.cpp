// How a valid manifest becomes the desired state: layering, multi-group units, derived env,
// hosts, dependencies, digests.
#include <catch2/catch.hpp>

#include "manifest_test_support.h"
#include "manifests/manifest_digest.h"

using Catch::Matchers::VectorContains;
using jlrec::DesiredContainer;
using jlrec::LoadResult;
using jlrec::testing::Container;
using jlrec::testing::Edit;
using jlrec::testing::kMinimalManifest;
using jlrec::testing::Lines;
using jlrec::testing::ManifestFixture;

namespace {

// Three layers that all set image, env.LEVEL and labels.tier; the group sets restart only.
constexpr const char* kLayered =
    "project: p\n"                                                     // 1
    "defaults:\n"                                                      // 2
    "  image: img:defaults\n"                                          // 3
    "  template: t.tmpl\n"                                             // 4
    "  restart: always\n"                                              // 5
    "  command: [/bin/sh, /run.sh]\n"                                  // 6
    "  env: {LEVEL: defaults, TZ: UTC}\n"                              // 7
    "  labels: {tier: defaults, team: ops}\n"                          // 8
    "hosts: {h1: {address: 127.0.0.2}}\n"                              // 9
    "groups:\n"                                                        // 10
    "  g:\n"                                                           // 11
    "    image: img:group\n"                                           // 12
    "    restart: unless-stopped\n"                                    // 13
    "    env: {LEVEL: group}\n"                                        // 14
    "    labels: {tier: group}\n"                                      // 15
    "    runtime_mode: dev\n"                                          // 16
    "units:\n"                                                         // 17
    "  - {host: h1, dockers: [from_group], group: [g], core: true}\n"  // 18
    "  - host: h1\n"                                                   // 19
    "    dockers: [from_unit]\n"                                       // 20
    "    group: [g]\n"                                                 // 21
    "    image: img:unit\n"                                            // 22
    "    env: {LEVEL: unit}\n"                                         // 23
    "    labels: {tier: unit}\n";                                      // 24

}  // namespace

TEST_CASE("settings layer as defaults < group < unit", "[resolve]") {
  ManifestFixture f;
  LoadResult r = f.Load(kLayered);
  INFO(Catch::Detail::stringify(Lines(r)));
  REQUIRE(r.ok());
  const DesiredContainer& g = Container(r, "h1/from_group");
  CHECK(g.spec.image == "img:group");
  CHECK(g.spec.restart == "unless-stopped");
  CHECK(g.spec.command == std::vector<std::string>{"/bin/sh", "/run.sh"});
  CHECK(g.env.at("LEVEL") == "group");
  CHECK(g.env.at("TZ") == "UTC");  // maps merge key by key
  CHECK(g.spec.labels == std::map<std::string, std::string>{{"team", "ops"}, {"tier", "group"}});
  const DesiredContainer& u = Container(r, "h1/from_unit");
  CHECK(u.spec.image == "img:unit");
  CHECK(u.spec.restart == "unless-stopped");
  CHECK(u.env.at("LEVEL") == "unit");
  CHECK(u.env.at("TZ") == "UTC");
  CHECK(u.spec.labels.at("tier") == "unit");
  CHECK(u.spec_digest != g.spec_digest);
}

TEST_CASE("a unit in two groups that disagree on a key is an error naming key and groups",
          "[resolve]") {
  ManifestFixture f;
  LoadResult r = f.Load(
      "project: p\n"                                                // 1
      "defaults: {image: img:1, template: t.tmpl}\n"                // 2
      "hosts: {h1: {address: 127.0.0.2}}\n"                         // 3
      "groups:\n"                                                   // 4
      "  a: {runtime_mode: dev, image: img:a, env: {X: \"1\"}}\n"   // 5
      "  b: {runtime_mode: test, image: img:a, env: {X: \"2\"}}\n"  // 6
      "units:\n"                                                    // 7
      "  - host: h1\n"                                              // 8
      "    dockers: [c1]\n"                                         // 9
      "    group: [b, a]\n"                                         // 10
      "    core: true\n");                                          // 11
  CHECK_THAT(Lines(r), VectorContains(f.At(10, 12) +
                                      ": error: groups \"a\" and \"b\" disagree on "
                                      "\"runtime_mode\" (" +
                                      f.At(5, 21) + " vs " + f.At(6, 21) +
                                      "): set it on the unit to choose"));
  CHECK_THAT(
      Lines(r),
      VectorContains(f.At(10, 12) + ": error: groups \"a\" and \"b\" disagree on \"env.X\" (" +
                     f.At(5, 49) + " vs " + f.At(6, 50) + "): set it on the unit to choose"));
  CHECK(r.error_count() == 2);  // both groups agree on image: no conflict there
}

TEST_CASE("a unit resolves its groups' conflict by setting the key itself", "[resolve]") {
  ManifestFixture f;
  LoadResult r = f.Load(
      "project: p\n"
      "defaults: {image: img:1, template: t.tmpl}\n"
      "hosts: {h1: {address: 127.0.0.2}}\n"
      "groups:\n"
      "  a: {runtime_mode: dev, enable_monitor: true}\n"
      "  b: {runtime_mode: test}\n"
      "units:\n"
      "  - {host: h1, dockers: [c1], group: [b, a], core: true, runtime_mode: both}\n");
  INFO(Catch::Detail::stringify(Lines(r)));
  REQUIRE(r.ok());
  const DesiredContainer& c = Container(r, "h1/c1");
  CHECK(c.groups == std::vector<std::string>{"a", "b"});
  CHECK(c.env.at("JL_GROUP") == "a,b");
  CHECK(c.env.at("RUNTIME_MODE") == "both");
  CHECK(c.env.at("MONITOR_ENABLED") == "true");  // only group a sets it: no conflict
}

TEST_CASE("containers get the derived legacy variables", "[resolve]") {
  ManifestFixture f;
  LoadResult r = f.Load(
      "project: p\n"
      "defaults: {image: img:1, template: t.tmpl}\n"
      "hosts:\n"
      "  h1: {address: 10.1.0.1}\n"
      "  h2: {address: 10.1.0.2}\n"
      "  h3: {address: 10.1.0.3}\n"
      "groups:\n"
      "  product: {enable_monitor: true, runtime_mode: dev_new}\n"
      "units:\n"
      "  - {host: h1, dockers: [core_a], group: [product], core: true}\n"
      "  - {host: h3, dockers: [core_b], group: [product], core: true}\n"
      "  - {host: h2, dockers: [w1, w2], group: [product]}\n");
  INFO(Catch::Detail::stringify(Lines(r)));
  REQUIRE(r.ok());
  const DesiredContainer& w = Container(r, "h2/w2");
  CHECK(w.env == std::map<std::string, std::string>{{"JL_CONTAINER", "w2"},
                                                    {"JL_GROUP", "product"},
                                                    {"JL_HOST", "10.1.0.2"},
                                                    {"JL_MASTER_HOST", "10.1.0.1,10.1.0.3"},
                                                    {"JL_ROLE", "worker"},
                                                    {"MONITOR_ENABLED", "true"},
                                                    {"RUNTIME_MODE", "dev_new"}});
  CHECK_FALSE(w.core);
  CHECK(w.unit_index == 2);
  const DesiredContainer& m = Container(r, "h1/core_a");
  CHECK(m.core);
  CHECK(m.env.at("JL_ROLE") == "master");
  CHECK(m.env.at("JL_MASTER_HOST") == "10.1.0.1,10.1.0.3");
}

TEST_CASE("enable_monitor false and an unset runtime_mode export false and empty", "[resolve]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  g: {runtime_mode: dev}\n", "  g: {}\n");
  LoadResult r = f.Load(yaml);
  REQUIRE(r.ok());
  CHECK(Container(r, "h1/c1").env.at("MONITOR_ENABLED") == "false");
  CHECK(Container(r, "h1/c1").env.at("RUNTIME_MODE") == "");
  CHECK_THAT(Lines(r),
             VectorContains(f.At(9, 3) + ": warning: group \"g\" sets no runtime_mode (nor do "
                                         "defaults): RUNTIME_MODE will be empty unless each unit "
                                         "sets it"));
}

TEST_CASE("containers come out in manifest order with their unit index", "[resolve]") {
  ManifestFixture f;
  LoadResult r =
      f.Load(std::string(kMinimalManifest) + "  - {host: h1, dockers: [zz, aa, mm], group: [g]}\n");
  REQUIRE(r.ok());
  std::vector<std::string> refs;
  std::vector<int> units;
  for (const auto& c : r.state->containers) {
    refs.push_back(c.Ref());
    units.push_back(c.unit_index);
  }
  CHECK(refs == std::vector<std::string>{"h1/c1", "h1/zz", "h1/aa", "h1/mm"});
  CHECK(units == std::vector<int>{0, 1, 1, 1});
  CHECK(jlrec::CountUnits(*r.state) == 2);
}

TEST_CASE("host connections take host_defaults, then the host entry", "[resolve]") {
  ManifestFixture f;
  LoadResult r = f.Load(std::string(kMinimalManifest) +
                        "host_defaults:\n"
                        "  port: 2222\n"
                        "  user: root\n"
                        "  identity_file: keys/id\n"
                        "  known_hosts: ~/kh\n"
                        "  docker_socket: /run/docker.sock\n");
  REQUIRE(r.ok());
  const auto& h = r.state->hosts.at("h1");
  CHECK(h.key == "h1");
  CHECK(h.address == "127.0.0.2");
  CHECK(h.port == 2222);
  CHECK(h.user == "root");
  CHECK(h.identity_file == f.dir.Path("keys/id"));  // relative to the manifest's folder
  CHECK(h.known_hosts == "/home/operator/kh");
  CHECK(h.docker_socket == "/run/docker.sock");
}

TEST_CASE("a hosts entry without address is reached at its key", "[resolve]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  h1: {address: 127.0.0.2}\n", "  h1: {port: 2200}\n");
  LoadResult r = f.Load(yaml);
  REQUIRE(r.ok());
  CHECK(r.state->hosts.at("h1").address == "h1");
  CHECK(r.state->hosts.at("h1").port == 2200);
  CHECK(Container(r, "h1/c1").env.at("JL_HOST") == "h1");
}

TEST_CASE("max_per_host defaults to 4 and is read at top level or under apply", "[resolve]") {
  ManifestFixture f;
  CHECK(f.Load(kMinimalManifest).state->max_per_host == 4);
  CHECK(f.Load(std::string(kMinimalManifest) + "max_per_host: 2\n").state->max_per_host == 2);
  CHECK(f.Load(std::string(kMinimalManifest) + "apply: {max_per_host: 7}\n").state->max_per_host ==
        7);
  LoadResult both =
      f.Load(std::string(kMinimalManifest) + "max_per_host: 2\napply: {max_per_host: 3}\n");
  CHECK_THAT(Lines(both), VectorContains(f.At(16, 23) + ": error: max_per_host is already set at " +
                                         f.dir.Path("m.yaml") + ":15"));
}

TEST_CASE("group settings keep max_unavailable and fall back to defaults", "[resolve]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  g: {runtime_mode: dev}\n", "  g: {max_unavailable: 50%}\n");
  Edit(yaml, "  image: img:1\n", "  image: img:1\n  enable_monitor: true\n  runtime_mode: prod\n");
  LoadResult r = f.Load(yaml);
  INFO(Catch::Detail::stringify(Lines(r)));
  REQUIRE(r.ok());
  const auto& g = r.state->groups.at("g");
  CHECK(g.name == "g");
  CHECK(g.enable_monitor);
  CHECK(g.runtime_mode == "prod");
  CHECK(g.max_unavailable == "50%");
}

TEST_CASE("depends_on resolves bare names on the unit's host", "[resolve]") {
  ManifestFixture f;
  LoadResult r = f.Load(std::string(kMinimalManifest) +
                        "  - {host: h1, dockers: [c2, c3], group: [g], depends_on: [c1]}\n");
  REQUIRE(r.ok());
  CHECK(Container(r, "h1/c2").depends_on == std::vector<std::string>{"h1/c1"});
  CHECK(Container(r, "h1/c3").depends_on == std::vector<std::string>{"h1/c1"});
  CHECK(Container(r, "h1/c1").depends_on.empty());
}

TEST_CASE("secret_env is the union of the layers and unknown names are warned about", "[resolve]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n",
       "  image: img:1\n  env: {DB_PASSWORD: x, API_KEY: y}\n  secret_env: [DB_PASWORD]\n");
  Edit(yaml, "  g: {runtime_mode: dev}\n", "  g: {runtime_mode: dev, secret_env: [API_KEY]}\n");
  LoadResult r = f.Load(yaml);
  REQUIRE(r.ok());
  CHECK(Container(r, "h1/c1").secret_env == std::set<std::string>{"API_KEY", "DB_PASWORD"});
  CHECK_THAT(Lines(r),
             VectorContains(f.At(6, 16) + ": warning: secret_env lists \"DB_PASWORD\", but no env "
                                          "entry of that name reaches h1/c1; did you mean "
                                          "\"DB_PASSWORD\"?"));
}

TEST_CASE("${VAR} in env values is expanded from the control machine's environment", "[resolve]") {
  ManifestFixture f;
  f.env["JLREC_TEST_PASSWORD"] = "s3cr3t";
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n",
       "  image: img:1\n  env: {DB_PASSWORD: \"${JLREC_TEST_PASSWORD}\", "
       "LITERAL: \"$${NOT_EXPANDED} $HOME\"}\n  secret_env: [DB_PASSWORD]\n");
  LoadResult r = f.Load(yaml);
  REQUIRE(r.ok());
  const DesiredContainer& c = Container(r, "h1/c1");
  CHECK(c.env.at("DB_PASSWORD") == "s3cr3t");
  CHECK(c.env.at("LITERAL") == "${NOT_EXPANDED} $HOME");
}

TEST_CASE("the manifest digest changes with any desired change and only then", "[resolve]") {
  ManifestFixture f;
  const std::string base = f.Load(kMinimalManifest).state->manifest_digest;
  CHECK(base.size() == 64);
  CHECK(f.Load(kMinimalManifest).state->manifest_digest == base);
  // Formatting and comments do not matter.
  std::string reformatted = kMinimalManifest;
  Edit(reformatted, "    core: true\n", "    core: true   # the master\n");
  CHECK(f.Load(reformatted).state->manifest_digest == base);
  auto changed = [&](const std::string& from, const std::string& to) {
    std::string yaml = kMinimalManifest;
    Edit(yaml, from, to);
    LoadResult r = f.Load(yaml);
    INFO(to);
    REQUIRE(r.ok());
    return r.state->manifest_digest;
  };
  CHECK(changed("img:1", "img:2") != base);
  CHECK(changed("runtime_mode: dev", "runtime_mode: dev2") != base);
  CHECK(changed("127.0.0.2", "127.0.0.3") != base);
  CHECK(changed("[c1]", "[c1, c2]") != base);
  CHECK(changed("version: 1\n", "version: 1\nmax_per_host: 3\n") != base);
}

TEST_CASE("the manifest digest is recomputable from the state", "[resolve]") {
  ManifestFixture f;
  LoadResult r = f.Load(kMinimalManifest);
  REQUIRE(r.ok());
  CHECK(jlrec::ManifestDigest(*r.state, "") == r.state->manifest_digest);
  jlrec::DesiredState copy = *r.state;
  copy.containers[0].env["TZ"] = "UTC";
  CHECK(jlrec::ManifestDigest(copy, "") != r.state->manifest_digest);
}
