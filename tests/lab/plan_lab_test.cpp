// `jlrec plan` against the lab's real sshd + dockerd hosts: every action from real state.
#include <catch2/catch.hpp>
#include <regex>

#include <fstream>
#include <iterator>

#include "model/digest.h"
#include "model/state_store.h"
#include "state/sqlite_state_store.h"
#include "support/lab_project.h"

using namespace jlrec::testing;

namespace {

std::vector<LabUnit> ProductUnits() {
  LabUnit core{1, {"core"}, {"product"}, true, ""};
  LabUnit w{2, {"w1", "w2"}, {"product"}, false, ""};
  LabUnit w3{3, {"w3"}, {"product"}, false, ""};
  LabUnit t{3, {"t1"}, {"test"}, true, ""};
  return {core, w, w3, t};
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Applies the product group and checks it converged, so each test starts from "in sync".
void ApplyProduct(const LabProject& p) {
  auto r = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

}  // namespace

TEST_CASE("plan on a fresh lab creates every container of the group, core first", "[lab][plan]") {
  LabProject p("e2eplan1");
  p.Write(ProductUnits());
  auto r = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.out, "+ lab1/" + p.Name("core")));
  CHECK(Contains(r.out, "+ lab2/" + p.Name("w1")));
  CHECK(Contains(
      r.out,
      "Plan: 4 to create, 0 to replace, 0 to update, 0 to start, 0 to remove. 0 unchanged."));
  CHECK_FALSE(Contains(r.out, p.Name("t1")));  // another group
  CHECK(r.out.find(p.Name("core")) < r.out.find(p.Name("w1")));
  CHECK_FALSE(Contains(r.out + r.err, "s3cr3t-value"));
}

TEST_CASE("after apply the plan has no changes and exits 0 with --detailed-exitcode",
          "[lab][plan]") {
  LabProject p("e2eplan2");
  p.Write(ProductUnits());
  ApplyProduct(p);
  auto r = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.out, "No changes. Live containers match the manifest."));
}

TEST_CASE("plan reads what the hosts run: each kind of drift gives its action", "[lab][plan]") {
  LabProject p("e2eplan3");
  p.Write(ProductUnits());
  ApplyProduct(p);

  SECTION("a runtime_mode change updates every container of that group only") {
    p.Write(ProductUnits(), "", "prod_new");
    auto r = p.Jlrec({"plan", "--all", "--detailed-exitcode"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK(Contains(r.out, "~ lab1/" + p.Name("core")));
    CHECK(Contains(r.out, "~ lab3/" + p.Name("w3")));
    CHECK(Contains(r.out, "env.RUNTIME_MODE: dev_new -> prod_new"));
    CHECK(Contains(r.out, "+ lab3/" + p.Name("t1")));  // test group: never applied, create
    CHECK(Contains(r.out, "1 to create, 0 to replace, 4 to update"));
  }
  SECTION("an image tag change replaces, naming old and new") {
    p.Write(ProductUnits(), p.lab().image2);
    auto r = p.Jlrec({"plan", "product"});
    INFO(r.out << r.err);
    CHECK(Contains(r.out, "-/+ lab2/" + p.Name("w1")));
    CHECK(Contains(r.out, "image: " + p.lab().image1 + " -> " + p.lab().image2));
    CHECK(Contains(r.out, "0 to create, 4 to replace"));
  }
  SECTION("a container stopped by hand is started") {
    REQUIRE(LabDocker(2, {"stop", "-t", "1", p.Name("w2")}).exit_code == 0);
    auto r = p.Jlrec({"plan", "product", "--detailed-exitcode"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK(Contains(r.out, "> lab2/" + p.Name("w2")));
    CHECK(Contains(r.out, "container is exited"));
    CHECK(Contains(r.out, "0 to update, 1 to start"));
  }
  SECTION("a /run.sh edited by hand is updated") {
    REQUIRE(LabDocker(3, {"exec", p.Name("w3"), "sh", "-c", "echo '# hand edit' >> /run.sh"})
                .exit_code == 0);
    auto r = p.Jlrec({"plan", "product"});
    INFO(r.out << r.err);
    CHECK(Contains(r.out, "~ lab3/" + p.Name("w3")));
    CHECK(Contains(r.out, "1 to update"));
  }
  SECTION("a hand-made container with a wanted name is a conflict, not destroyed") {
    REQUIRE(LabDocker(2, {"rm", "-f", p.Name("w1")}).exit_code == 0);
    REQUIRE(LabDocker(2, {"run", "-d", "--name", p.Name("w1"), "--network", "host", p.lab().image1,
                          "sleep", "600"})
                .exit_code == 0);
    auto r = p.Jlrec({"plan", "product", "--detailed-exitcode"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);  // a conflict counts: the manifest is not reached
    CHECK(Contains(r.out, "! lab2/" + p.Name("w1")));
    CHECK(Contains(r.out, "--replace-unmanaged"));
    CHECK_FALSE(Contains(r.out, "match the manifest"));
    CHECK(Contains(r.out, "1 conflict skipped."));
    // apply has nothing it may do, and says it did not reach the manifest.
    auto applied = p.Jlrec({"apply", "product", "--auto-approve"});
    CHECK(applied.exit_code == 1);
    CHECK(Contains(applied.err, "conflict(s) keep the manifest from being reached"));
    CHECK(LabDocker(2, {"inspect", "-f", "{{.Config.Cmd}}", p.Name("w1")}).out == "[sleep 600]\n");
    auto r2 = p.Jlrec({"plan", "product", "--replace-unmanaged"});
    CHECK(Contains(r2.out, "-/+ lab2/" + p.Name("w1")));
  }
  SECTION("a container no longer in the manifest is an orphan, removed only with --prune") {
    auto units = ProductUnits();
    units[1].dockers = {"w1"};
    p.Write(units);
    auto r = p.Jlrec({"plan", "product"});
    INFO(r.out << r.err);
    CHECK(Contains(r.out, "Orphaned (use --prune to remove)"));
    CHECK(Contains(r.out, "lab2/" + p.Name("w2")));
    auto pruned = p.Jlrec({"plan", "product", "--prune"});
    CHECK(Contains(pruned.out, "- lab2/" + p.Name("w2")));
    CHECK(Contains(pruned.out, "1 to remove"));
  }
}

TEST_CASE("two host keys on one Docker daemon neither orphan nor adopt each other's containers",
          "[lab][plan]") {
  LabProject p("e2eplan8");
  p.Write({LabUnit{1, {"mine"}, {"product"}, true, ""}});
  // A second host key, lab1b, that reaches lab1's sshd and dockerd, with one unit.
  std::string manifest;
  {
    std::ifstream in(p.manifest());
    manifest.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto h = p.lab().Host(1);
  std::string alias = "  lab1b: {address: " + h.address + ", port: " + std::to_string(h.port) +
                      ", user: root, identity_file: " + p.lab().identity_file +
                      ", known_hosts: " + p.lab().known_hosts +
                      ", docker_socket: " + h.docker_socket + "}\n";
  manifest.replace(manifest.find("hosts:\n"), 7, "hosts:\n" + alias);
  manifest += "  - host: lab1b\n    dockers: [" + p.Name("theirs") +
              "]\n    group: [product]\n    core: false\n";
  std::ofstream(p.manifest()) << manifest;

  auto applied = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(applied.out << applied.err);
  REQUIRE(applied.exit_code == 0);
  CHECK(p.Inspect(1, "theirs", "{{index .Config.Labels \"jlrec.host\"}}") == "lab1b");
  CHECK(p.Inspect(1, "mine", "{{index .Config.Labels \"jlrec.host\"}}") == "lab1");

  auto r = p.Jlrec({"plan", "product", "--prune", "--detailed-exitcode"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.out, "No changes. Live containers match the manifest."));
  CHECK_FALSE(Contains(r.out, "rphan"));
}

TEST_CASE("a stopped lab host makes plan exit 1 with its containers unknown", "[lab][plan]") {
  LabProject p("e2eplan4");
  p.Write(ProductUnits());
  REQUIRE(LabCommand({"stop-host", "3"}).exit_code == 0);
  auto r = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  auto restarted = LabCommand({"start-host", "3"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.out, "? lab3/" + p.Name("w3")));
  CHECK(Contains(r.out, "host lab3 could not be refreshed"));
  CHECK(Contains(r.out, "+ lab1/" + p.Name("core")));
  REQUIRE(restarted.exit_code == 0);
}

TEST_CASE("plan --json is the documented versioned document", "[lab][plan]") {
  LabProject p("e2eplan5");
  p.Write(ProductUnits());
  auto r = p.Jlrec({"plan", "product", "--json"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(Contains(r.out, "\"format_version\": 1"));
  CHECK(Contains(r.out, "\"action\": \"create\""));
  CHECK(Contains(r.out, "\"create\": 4"));
}

TEST_CASE("plan with refresh off reads the cache and says how old it is", "[lab][plan]") {
  LabProject p("e2eplan6");
  p.Write(ProductUnits());
  ApplyProduct(p);
  REQUIRE(LabDocker(1, {"stop", "-t", "1", p.Name("core")}).exit_code == 0);
  auto cached = p.Jlrec({"plan", "product", "--refresh=false", "--detailed-exitcode"});
  INFO(cached.out << cached.err);
  CHECK(cached.exit_code == 0);  // the cache still shows it running
  CHECK(Contains(cached.out, "Planned from the state cache"));
  auto fresh = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  CHECK(fresh.exit_code == 2);
  CHECK(Contains(fresh.out, "> lab1/" + p.Name("core")));
}

TEST_CASE("a saved plan goes stale after a hand change and apply refuses it", "[lab][plan]") {
  LabProject p("e2eplan7");
  p.Write(ProductUnits());
  ApplyProduct(p);
  REQUIRE(LabDocker(2, {"stop", "-t", "1", p.Name("w1")}).exit_code == 0);
  std::string file = p.dir() + "/product.plan";
  auto saved = p.Jlrec({"plan", "product", "--out", file});
  INFO(saved.out << saved.err);
  REQUIRE(saved.exit_code == 0);
  REQUIRE(LabDocker(2, {"start", p.Name("w1")}).exit_code == 0);
  auto stale = p.Jlrec({"apply", file});
  INFO(stale.out << stale.err);
  CHECK(stale.exit_code == 1);
  CHECK(
      Contains(stale.err, "stale plan: lab2/" + p.Name("w1") + " changed since the plan was made"));

  REQUIRE(LabDocker(2, {"stop", "-t", "1", p.Name("w1")}).exit_code == 0);
  auto again = p.Jlrec({"plan", "product", "--out", file});
  REQUIRE(again.exit_code == 0);
  auto applied = p.Jlrec({"apply", file});
  INFO(applied.out << applied.err);
  CHECK(applied.exit_code == 0);
  CHECK(p.Inspect(2, "w1", "{{.State.Running}}") == "true");
}

TEST_CASE("plan from the cache after a manifest edit plans from the edited manifest",
          "[lab][plan]") {
  LabProject p("e2eplan8");
  p.Write(ProductUnits());
  ApplyProduct(p);
  // Apply loaded the manifest in full and recorded its resolution; this plan reads it.
  auto cached = p.Jlrec({"plan", "product", "--refresh=false", "--detailed-exitcode", "-v"});
  INFO(cached.out << cached.err);
  CHECK(cached.exit_code == 0);
  CHECK(Contains(cached.err, "from the cache"));
  CHECK(Contains(cached.out, "No changes."));

  p.Write(ProductUnits(), "", "prod_new");
  auto edited = p.Jlrec({"plan", "product", "--refresh=false", "--detailed-exitcode", "-v"});
  INFO(edited.out << edited.err);
  CHECK(edited.exit_code == 2);
  CHECK_FALSE(Contains(edited.err, "from the cache"));
  CHECK(Contains(edited.out, "~ lab1/" + p.Name("core")));
  auto again = p.Jlrec({"plan", "product", "--refresh=false", "--detailed-exitcode", "-v"});
  CHECK(Contains(again.err, "from the cache"));
  CHECK(again.exit_code == 2);
  // The same plan, word for word, but for the cache's age, which may have ticked a second
  // between the two runs (a sanitized build is slow enough to cross one).
  const std::regex age("oldest observation [0-9]+s old");
  CHECK(std::regex_replace(again.out, age, "oldest observation Ns old") ==
        std::regex_replace(edited.out, age, "oldest observation Ns old"));
}

// The adversarial round's finding: the state's cached resolution of the manifest, altered to
// name another image, made a saved plan whose apply replaced healthy containers with that
// image. Now the altered record is refused, and a saved plan applies only what it showed.
TEST_CASE("an altered manifest cache in the state file never reaches an apply", "[lab][plan]") {
  LabProject p("e2eplan9");
  p.Write(ProductUnits());
  ApplyProduct(p);
  auto cached = p.Jlrec({"plan", "product", "--refresh=false", "-v"});
  REQUIRE(Contains(cached.err, "from the cache"));
  {
    auto store = jlrec::OpenSqliteStateStore(p.dir() + "/.jlrec/state.db");
    REQUIRE(store.ok());
    auto record = (*store)->LoadResolvedManifest(p.manifest());
    REQUIRE(record.ok());
    REQUIRE(record->has_value());
    jlrec::ResolvedManifestRecord altered = **record;
    const std::string& from = p.lab().image1;
    const std::string& to = p.lab().image2;
    REQUIRE(from.size() == to.size());
    std::size_t replaced = 0;
    for (auto at = altered.model.find(from); at != std::string::npos;
         at = altered.model.find(from, at + 1), ++replaced)
      altered.model.replace(at, from.size(), to);
    REQUIRE(replaced > 0);
    REQUIRE((*store)->SaveResolvedManifest(altered).ok());
  }
  const std::string file = p.dir() + "/product.plan";
  auto saved =
      p.Jlrec({"plan", "product", "--refresh=false", "--out", file, "--detailed-exitcode"});
  INFO(saved.out << saved.err);
  CHECK(Contains(saved.err, "failed its integrity check"));
  CHECK(saved.exit_code == 0);
  CHECK_FALSE(Contains(saved.out, p.lab().image2));
  auto applied = p.Jlrec({"apply", file});
  INFO(applied.out << applied.err);
  CHECK(applied.exit_code == 0);
  for (const char* w : {"w1", "w2"}) CHECK(p.Inspect(2, w, "{{.Config.Image}}") == p.lab().image1);
  CHECK(p.Inspect(1, "core", "{{.Config.Image}}") == p.lab().image1);
}

// The jlrec.script-digest label of a /run.sh that holds DB_PASSWORD is keyed with the state
// key beside the state file: without the key, no guess of the password can be checked.
TEST_CASE("the script digest a container carries is keyed with the state key", "[lab][plan]") {
  LabProject p("e2eplan10");
  p.Write(ProductUnits());
  ApplyProduct(p);
  const std::string script = p.RunScript(1, "core");
  REQUIRE(script.find("s3cr3t-value") != std::string::npos);
  const std::string label =
      p.Inspect(1, "core", "{{index .Config.Labels \"jlrec.script-digest\"}}");
  std::ifstream key_file(p.dir() + "/.jlrec/state.db.key", std::ios::binary);
  REQUIRE(key_file);
  const std::string key((std::istreambuf_iterator<char>(key_file)),
                        std::istreambuf_iterator<char>());
  REQUIRE(key.size() == 32);
  CHECK(label == jlrec::ScriptDigest(key, script));
  CHECK(label != jlrec::Sha256Hex(script));
  auto plan = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  INFO(plan.out << plan.err);
  CHECK(plan.exit_code == 0);
}
