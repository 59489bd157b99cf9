// One test per validation rule: each feeds an inline manifest and checks the exact
// FILE:LINE:COL: severity: message the operator would see.
#include <catch2/catch.hpp>

#include "manifest_test_support.h"

using Catch::Matchers::Contains;
using Catch::Matchers::VectorContains;
using jlrec::LoadResult;
using jlrec::testing::Edit;
using jlrec::testing::kMinimalManifest;
using jlrec::testing::Lines;
using jlrec::testing::ManifestFixture;

namespace {

// kMinimalManifest with its unit (lines 11-14) replaced by `units` (starting at line 11).
std::string WithUnits(const std::string& units) {
  std::string base = kMinimalManifest;
  return base.substr(0, base.find("  - host: h1")) + units;
}

}  // namespace

TEST_CASE("the minimal manifest used by these tests is valid", "[validate]") {
  ManifestFixture f;
  LoadResult r = f.Load(kMinimalManifest);
  INFO(Catch::Detail::stringify(Lines(r)));
  CHECK(r.ok());
  CHECK(r.diagnostics.empty());
}

TEST_CASE("a YAML syntax error is reported at the parser's line and column", "[validate]") {
  ManifestFixture f;
  LoadResult r = f.Load(
      "project: p\n"
      "units:\n"
      "  - host: h1\n"
      "    dockers: [c1, c2\n"
      "    group: [g]\n");
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].line == 5);
  CHECK(r.diagnostics[0].column == 10);
  CHECK_THAT(r.diagnostics[0].ToString(),
             Contains(f.At(5, 10) + ": error: YAML syntax error: end of sequence flow not found"));
}

TEST_CASE("an unknown unit key is an error with a did-you-mean suggestion", "[validate]") {
  ManifestFixture f;
  LoadResult r =
      f.Load(WithUnits("  - host: h1\n"       // 11
                       "    docker: [c1]\n"   // 12
                       "    group: [g]\n"));  // 13
  CHECK_THAT(Lines(r),
             VectorContains(f.At(12, 5) + ": error: unknown key \"docker\" in unit; did you mean "
                                          "\"dockers\"?"));
  CHECK(r.error_count() == 1);  // not also "unit has no dockers"
}

TEST_CASE("an unknown top-level key suggests the nearest known key", "[validate]") {
  ManifestFixture f;
  LoadResult r = f.Load(std::string(kMinimalManifest) + "max_per_hots: 3\n");
  CHECK_THAT(Lines(r),
             VectorContains(f.At(15, 1) + ": error: unknown key \"max_per_hots\" in the manifest; "
                                          "did you mean \"max_per_host\"?"));
}

TEST_CASE("an unknown key far from every known key gets no suggestion", "[validate]") {
  ManifestFixture f;
  LoadResult r = f.Load(std::string(kMinimalManifest) + "colour: blue\n");
  CHECK_THAT(Lines(r),
             VectorContains(f.At(15, 1) + ": error: unknown key \"colour\" in the manifest"));
}

TEST_CASE("a key given twice in one mapping is an error at the second one", "[validate]") {
  ManifestFixture f;
  LoadResult r =
      f.Load(WithUnits("  - host: h1\n"          // 11
                       "    dockers: [c1]\n"     // 12
                       "    group: [g]\n"        // 13
                       "    dockers: [c2]\n"));  // 14
  CHECK_THAT(Lines(r),
             VectorContains(f.At(14, 5) + ": error: duplicate key \"dockers\" in unit (first at "
                                          "line 12)"));
}

TEST_CASE("a scalar where a list is expected is a type error", "[validate]") {
  ManifestFixture f;
  LoadResult r =
      f.Load(WithUnits("  - host: h1\n"       // 11
                       "    dockers: c1\n"    // 12
                       "    group: [g]\n"));  // 13
  CHECK_THAT(Lines(r),
             VectorContains(f.At(12, 14) + ": error: \"dockers\" must be a list, got a scalar"));
}

TEST_CASE("a boolean key only accepts true or false", "[validate]") {
  ManifestFixture f;
  LoadResult r =
      f.Load(WithUnits("  - host: h1\n"       // 11
                       "    dockers: [c1]\n"  // 12
                       "    group: [g]\n"     // 13
                       "    core: yes\n"));   // 14
  CHECK_THAT(Lines(r),
             VectorContains(f.At(14, 11) + ": error: \"core\" must be true or false, got \"yes\""));
}

TEST_CASE("a manifest without project is an error at its first line", "[validate]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "project: p\n", "# no project\n");
  LoadResult r = f.Load(yaml);
  CHECK_THAT(Lines(r), VectorContains(f.At(1, 1) +
                                      ": error: missing required key \"project\" (the name every "
                                      "managed container is labelled with)"));
}

TEST_CASE("a unit without host or dockers is an error at the unit", "[validate]") {
  ManifestFixture f;
  LoadResult r =
      f.Load(WithUnits("  - group: [g]\n"     // 11
                       "    core: true\n"));  // 12
  CHECK_THAT(Lines(r),
             VectorContains(f.At(11, 5) + ": error: unit has no \"host\" (the host key its "
                                          "containers run on)"));
  CHECK_THAT(Lines(r),
             VectorContains(f.At(11, 5) + ": error: unit has no \"dockers\" (the containers to run "
                                          "on its host)"));
}

TEST_CASE("a container name Docker would reject is an error at the name", "[validate]") {
  ManifestFixture f;
  LoadResult r =
      f.Load(WithUnits("  - host: h1\n"                              // 11
                       "    dockers: [ok_1, \"bad name\", -x, a]\n"  // 12
                       "    group: [g]\n"                            // 13
                       "    core: true\n"));                         // 14
  const std::string rule = " is not valid for Docker ([a-zA-Z0-9][a-zA-Z0-9_.-]+)";
  CHECK_THAT(Lines(r),
             VectorContains(f.At(12, 21) + ": error: container name \"bad name\"" + rule));
  CHECK_THAT(Lines(r), VectorContains(f.At(12, 33) + ": error: container name \"-x\"" + rule));
  CHECK_THAT(Lines(r), VectorContains(f.At(12, 37) + ": error: container name \"a\"" + rule));
}

TEST_CASE("the same container name twice on one host is an error naming the first", "[validate]") {
  ManifestFixture f;
  LoadResult r =
      f.Load(WithUnits("  - host: h1\n"           // 11
                       "    dockers: [c1]\n"      // 12
                       "    group: [g]\n"         // 13
                       "    core: true\n"         // 14
                       "  - host: h1\n"           // 15
                       "    dockers: [c2, c1]\n"  // 16
                       "    group: [g]\n"));      // 17
  CHECK_THAT(Lines(r), VectorContains(f.At(16, 19) +
                                      ": error: container \"c1\" is declared twice on host \"h1\" "
                                      "(first at " +
                                      f.At(12, 15) + ")"));
}

TEST_CASE("the same container name on two hosts is fine", "[validate]") {
  ManifestFixture f;
  LoadResult r =
      f.Load(std::string(kMinimalManifest) + "  - {host: h2, dockers: [c1], group: [g]}\n" +
             "host_defaults: {user: root}\n");
  INFO(Catch::Detail::stringify(Lines(r)));
  CHECK(r.ok());
}

TEST_CASE("a unit with no groups is an error", "[validate]") {
  ManifestFixture f;
  LoadResult missing =
      f.Load(WithUnits("  - host: h1\n"          // 11
                       "    dockers: [c1]\n"));  // 12
  CHECK_THAT(Lines(missing),
             VectorContains(f.At(11, 5) + ": error: unit has no groups: add \"group: [NAME]\""));
  LoadResult empty =
      f.Load(WithUnits("  - host: h1\n"       // 11
                       "    dockers: [c1]\n"  // 12
                       "    group: []\n"));   // 13
  CHECK_THAT(Lines(empty),
             VectorContains(f.At(13, 12) + ": error: unit has no groups: list at least one in "
                                           "\"group\""));
}

TEST_CASE("a unit naming an undeclared group gets a did-you-mean", "[validate]") {
  ManifestFixture f;
  LoadResult r =
      f.Load(WithUnits("  - host: h1\n"             // 11
                       "    dockers: [c1]\n"        // 12
                       "    group: [g, gg, zzz]\n"  // 13
                       "    core: true\n"));        // 14
  CHECK_THAT(Lines(r), VectorContains(f.At(13, 16) +
                                      ": error: group \"gg\" is not declared under groups:; did "
                                      "you mean \"g\"?"));
  CHECK_THAT(Lines(r),
             VectorContains(f.At(13, 20) + ": error: group \"zzz\" is not declared under groups:"));
}

TEST_CASE("a group used by no unit is a warning, not an error", "[validate]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  g: {runtime_mode: dev}\n",
       "  g: {runtime_mode: dev}\n  spare: {runtime_mode: dev}\n");
  LoadResult r = f.Load(yaml);
  CHECK(r.ok());
  CHECK_THAT(Lines(r),
             VectorContains(f.At(10, 3) + ": warning: group \"spare\" is used by no unit"));
}

TEST_CASE("a group without a core unit is a warning: nothing is ordered first", "[validate]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "    core: true\n", "    core: false\n");
  LoadResult r = f.Load(yaml);
  CHECK(r.ok());
  CHECK_THAT(Lines(r),
             VectorContains(f.At(9, 3) + ": warning: group \"g\" has no core unit: nothing is "
                                         "ordered first (set core: true on its master unit)"));
}

TEST_CASE("a host with no connection settings and no host_defaults is an error", "[validate]") {
  ManifestFixture f;
  LoadResult r =
      f.Load(WithUnits("  - host: h2\n"       // 11
                       "    dockers: [c1]\n"  // 12
                       "    group: [g]\n"     // 13
                       "    core: true\n"));  // 14
  CHECK_THAT(Lines(r), VectorContains(f.At(11, 11) +
                                      ": error: host \"h2\" has no connection settings: declare "
                                      "it under hosts: or set host_defaults:; did you mean "
                                      "\"h1\"?"));
}

TEST_CASE("host_defaults makes any host key usable as its own address", "[validate]") {
  ManifestFixture f;
  LoadResult r = f.Load(std::string(kMinimalManifest) +
                        "  - {host: 10.0.0.9, dockers: [c2], group: [g]}\n"
                        "host_defaults: {port: 2200, user: deploy, identity_file: ~/.ssh/k}\n");
  INFO(Catch::Detail::stringify(Lines(r)));
  REQUIRE(r.ok());
  const auto& h = r.state->hosts.at("10.0.0.9");
  CHECK(h.address == "10.0.0.9");
  CHECK(h.port == 2200);
  CHECK(h.user == "deploy");
  CHECK(h.identity_file == "/home/operator/.ssh/k");
  CHECK(h.docker_socket == "/var/run/docker.sock");
}

TEST_CASE("a malformed host address or port is an error at the value", "[validate]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  h1: {address: 127.0.0.2}\n", "  h1: {address: -oProxyCommand=x, port: 70000}\n");
  LoadResult r = f.Load(yaml);
  CHECK_THAT(Lines(r), VectorContains(f.At(7, 17) + ": error: address must not start with \"-\""));
  CHECK_THAT(Lines(r), VectorContains(f.At(7, 41) +
                                      ": error: \"port\" must be an integer from 1 to 65535, got "
                                      "\"70000\""));
}

TEST_CASE("a malformed image reference is an error at the value", "[validate]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n", "  image: Jiliang/System:2.3\n");
  LoadResult r = f.Load(yaml);
  CHECK_THAT(Lines(r),
             VectorContains(f.At(4, 10) + ": error: malformed image \"Jiliang/System:2.3\": "
                                          "repository name must be lower-case (\"Jiliang\")"));
  CHECK(r.error_count() == 1);  // no follow-on "no image for this unit"
}

TEST_CASE("a malformed volume spec is an error at the list item", "[validate]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n",
       "  image: img:1\n  volumes: [/data:/workspace, data:workspace:ro]\n");
  LoadResult r = f.Load(yaml);
  CHECK_THAT(Lines(r),
             VectorContains(f.At(5, 31) + ": error: malformed volume \"data:workspace:ro\": "
                                          "destination must be an absolute path"));
}

TEST_CASE("a malformed port, restart policy or network mode is an error", "[validate]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n",
       "  image: img:1\n"                        // 4
       "  ports: [\"8080:80\", \"80:99999\"]\n"  // 5
       "  restart: sometimes\n"                  // 6
       "  network_mode: \"host mode\"\n");       // 7
  LoadResult r = f.Load(yaml);
  CHECK_THAT(Lines(r),
             VectorContains(f.At(5, 22) + ": error: malformed port \"80:99999\": invalid container "
                                          "port \"99999\" (1..65535, or a range N-M)"));
  CHECK_THAT(Lines(r), VectorContains(f.At(6, 12) +
                                      ": error: malformed restart \"sometimes\": restart must be "
                                      "no, always, unless-stopped, on-failure or on-failure:N"));
  CHECK_THAT(Lines(r),
             VectorContains(f.At(7, 17) + ": error: malformed network_mode \"host mode\": "
                                          "network_mode must be host, none, bridge, container:NAME "
                                          "or a network name"));
}

TEST_CASE("a healthcheck needs a command and durations with units", "[validate]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n", "  image: img:1\n  healthcheck: {timeout: 60}\n");
  LoadResult r = f.Load(yaml);
  CHECK_THAT(Lines(r),
             VectorContains(f.At(5, 26) + ": error: healthcheck.timeout: duration \"60\" needs a "
                                          "unit: ms, s, m or h"));
}

TEST_CASE("a max_unavailable that is not N or N% is an error", "[validate]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  g: {runtime_mode: dev}\n", "  g: {runtime_mode: dev, max_unavailable: 150%}\n");
  LoadResult r = f.Load(yaml);
  CHECK_THAT(Lines(r),
             VectorContains(f.At(9, 43) + ": error: max_unavailable must be a count N >= 1 or a "
                                          "percentage N% (1..100), got \"150%\""));
}

TEST_CASE("env may not set the variables jlrec derives", "[validate]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n", "  image: img:1\n  env: {RUNTIME_MODE: x, \"1BAD\": y}\n");
  LoadResult r = f.Load(yaml);
  CHECK_THAT(Lines(r),
             VectorContains(f.At(5, 9) + ": error: RUNTIME_MODE is set by jlrec from runtime_mode; "
                                         "do not set it in env"));
  CHECK_THAT(Lines(r),
             VectorContains(f.At(5, 26) + ": error: env name \"1BAD\" is not a valid variable name "
                                          "([A-Za-z_][A-Za-z0-9_]*)"));
}

TEST_CASE("labels may not use jlrec's reserved prefix", "[validate]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n", "  image: img:1\n  labels: {jlrec.project: other}\n");
  LoadResult r = f.Load(yaml);
  CHECK_THAT(Lines(r),
             VectorContains(f.At(5, 12) + ": error: label \"jlrec.project\" uses the prefix "
                                          "\"jlrec.\", which jlrec reserves"));
}

TEST_CASE("an unset ${VAR} is an error naming the variable, never a value", "[validate]") {
  ManifestFixture f;
  f.env["DB_USER"] = "admin-user-value";
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n", "  image: img:1\n  env: {DB: \"${DB_USER}:${DB_PASSWORD}\"}\n");
  LoadResult r = f.Load(yaml);
  CHECK_FALSE(r.ok());
  CHECK_THAT(Lines(r),
             VectorContains(f.At(5, 13) + ": error: environment variable DB_PASSWORD is not set on "
                                          "this machine (referenced as ${DB_PASSWORD})"));
  for (const auto& line : Lines(r)) CHECK_THAT(line, !Contains("admin-user-value"));
}

TEST_CASE("an unsupported manifest version is an error", "[validate]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "version: 1", "version: 2");
  LoadResult r = f.Load(yaml);
  CHECK_THAT(Lines(r), VectorContains(f.At(1, 10) +
                                      ": error: unsupported manifest version 2 (this jlrec reads "
                                      "version 1)"));
}

TEST_CASE("a depends_on naming no declared container gets a did-you-mean", "[validate]") {
  ManifestFixture f;
  LoadResult r = f.Load(std::string(kMinimalManifest) +
                        "    depends_on: [h1/wbe]\n"  // 15
                        "  - {host: h1, dockers: [web], group: [g]}\n");
  CHECK_THAT(Lines(r),
             VectorContains(f.At(15, 18) + ": error: depends_on names \"h1/wbe\", which is not a "
                                           "declared container; did you mean \"h1/web\"?"));
}

TEST_CASE("a dependency cycle is an error naming the cycle", "[validate]") {
  ManifestFixture f;
  LoadResult r = f.Load(std::string(kMinimalManifest) +
                        "    depends_on: [c3]\n"                                         // 15
                        "  - {host: h1, dockers: [c2], group: [g], depends_on: [c1]}\n"  // 16
                        "  - {host: h1, dockers: [c3], group: [g], depends_on: [h1/c2]}\n");
  // Reported where the cycle closes (c2 -> c1), naming every step.
  CHECK_THAT(Lines(r),
             VectorContains(f.At(16, 56) + ": error: dependency cycle: h1/c1 -> h1/c3 -> h1/c2 -> "
                                           "h1/c1"));
  CHECK(r.error_count() == 1);
}

TEST_CASE("a container depending on itself is a cycle", "[validate]") {
  ManifestFixture f;
  LoadResult r = f.Load(std::string(kMinimalManifest) + "    depends_on: [c1]\n");
  CHECK_THAT(Lines(r),
             VectorContains(f.At(15, 18) + ": error: dependency cycle: h1/c1 depends on itself"));
}

TEST_CASE("a missing template file is an error at the template key's value", "[validate]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  template: t.tmpl\n", "  template: missing.tmpl\n");
  LoadResult r = f.Load(yaml);
  CHECK_THAT(Lines(r),
             VectorContains(f.At(5, 13) + ": error: cannot read template \"" +
                            f.dir.Path("missing.tmpl") + "\": No such file or directory"));
}

TEST_CASE("a mustache syntax error is reported at the template's own line", "[validate]") {
  ManifestFixture f;
  f.dir.Write("t.tmpl",
              "#!/bin/sh\n"      // 1
              "echo hi\n"        // 2
              "{{#core}}\n"      // 3
              "echo master\n");  // 4
  LoadResult r = f.Load(kMinimalManifest);
  CHECK_THAT(Lines(r), VectorContains(f.At(3, 1, "t.tmpl") +
                                      ": error: template syntax error: unclosed section "
                                      "\"core\""));
}

TEST_CASE("an unclosed tag is reported at the tag's line and column", "[validate]") {
  ManifestFixture f;
  f.dir.Write("t.tmpl", "#!/bin/sh\necho {{container}} {{host\n");
  LoadResult r = f.Load(kMinimalManifest);
  CHECK_THAT(Lines(r), VectorContains(f.At(2, 20, "t.tmpl") +
                                      ": error: template syntax error: unclosed tag"));
}

TEST_CASE("an undefined template variable is an error at its use, with a suggestion",
          "[validate]") {
  ManifestFixture f;
  f.dir.Write("t.tmpl", "#!/bin/sh\n\necho {{contaner}} {{TZ}}\n");
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n", "  image: img:1\n  env: {TZ: UTC}\n");
  LoadResult r = f.Load(yaml);
  CHECK_THAT(Lines(r), VectorContains(f.At(3, 6, "t.tmpl") +
                                      ": error: template variable \"contaner\" is not defined for "
                                      "h1/c1; did you mean \"container\"?"));
  CHECK(r.error_count() == 1);  // {{TZ}} is an env name: defined
}

TEST_CASE("template partials, delimiter changes and boolean variables are rejected", "[validate]") {
  ManifestFixture f;
  f.dir.Write("t.tmpl", "{{>other}}\necho {{core}}\n");
  LoadResult r = f.Load(kMinimalManifest);
  CHECK_THAT(Lines(r), VectorContains(f.At(1, 1, "t.tmpl") +
                                      ": error: template partials ({{>name}}) are not supported"));
  CHECK_THAT(Lines(r), VectorContains(f.At(2, 6, "t.tmpl") +
                                      ": error: template variable \"core\" is true or false: use "
                                      "{{#core}}...{{/core}} (or {{^core}} for false)"));
}

TEST_CASE("a unit that resolves to no image or template is an error at the unit", "[validate]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n  template: t.tmpl\n", "  restart: always\n");
  LoadResult r = f.Load(yaml);
  CHECK_THAT(Lines(r),
             VectorContains(f.At(10, 5) + ": error: no image for this unit: set \"image\" in "
                                          "defaults, its group or the unit"));
  CHECK_THAT(Lines(r),
             VectorContains(f.At(10, 5) + ": error: no startup-script template for this unit: set "
                                          "\"template\" in defaults, its group or the unit"));
}

TEST_CASE("every error is collected, sorted by position, not just the first", "[validate]") {
  ManifestFixture f;
  LoadResult r = f.Load(
      "project: p\n"                                                  // 1
      "defaults: {image: \"BAD\", template: t.tmpl}\n"                // 2
      "groups: {g: {}}\n"                                             // 3
      "units:\n"                                                      // 4
      "  - {host: h9, dockers: [\"x y\"], group: [g], core: true}\n"  // 5
      "  - {hots: h1}\n");                                            // 6
  CHECK(r.error_count() >= 5);
  for (size_t i = 1; i < r.diagnostics.size(); ++i) {
    CHECK(r.diagnostics[i - 1].line <= r.diagnostics[i].line);
  }
}

TEST_CASE("a manifest that is not a mapping is an error", "[validate]") {
  ManifestFixture f;
  CHECK_THAT(Lines(f.Load("- a\n- b\n")),
             VectorContains(f.At(1, 1) + ": error: the manifest must be a mapping, got a list"));
  CHECK_THAT(Lines(f.Load("")), VectorContains(f.At(1, 1) + ": error: the manifest is empty"));
}
