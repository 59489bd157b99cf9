// Taking over containers the legacy deploy script made (issue 14): no jlrec labels, made with
// `docker run` by name and a /run.sh written by hand. jlrec adopts the ones that match the
// manifest, keeping their ids, and never destroys or recreates them to do so.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/lab_project.h"

using namespace jlrec::testing;
using nlohmann::json;

namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string Now() {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
}

// Docker's container events for `name` on lab host `host` since `since`, one action per line
// (reads of /run.sh, "archive-path", and exec probes left out: they change nothing).
std::string EventsOf(int host, const std::string& name, const std::string& since) {
  std::string until = std::to_string(std::stoll(Now()) + 1);
  auto e =
      LabDocker(host, {"events", "--since", since, "--until", until, "--filter", "type=container",
                       "--filter", "container=" + name, "--format", "{{.Action}}"});
  std::string out;
  std::istringstream lines(e.out);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("archive-path", 0) != 0 && line.rfind("exec_", 0) != 0) out += line + "\n";
  return out;
}

// Makes `name` on lab host `host` the way the legacy script did: a container by name, no
// labels, its /run.sh copied in by hand, then started.
void MakeTheLegacyWay(const LabProject& p, int host, const std::string& name,
                      const std::string& script) {
  const std::string full = p.Name(name);
  REQUIRE(LabDocker(host, {"create", "--name", full, "--network", "host", "--restart",
                           "unless-stopped", p.lab().image1, "/bin/sh", "/run.sh"})
              .exit_code == 0);
  std::string file = p.dir() + "/legacy-run-" + name + ".sh";
  std::ofstream(file) << script;
  REQUIRE(LabDocker(host, {"cp", file, full + ":/run.sh"}).exit_code == 0);
  REQUIRE(LabDocker(host, {"start", full}).exit_code == 0);
}

std::vector<LabUnit> Units() {
  return {LabUnit{1, {"core"}, {"product"}, true, ""},
          LabUnit{2, {"w1", "w2"}, {"product"}, false, ""}};
}

}  // namespace

TEST_CASE("containers made the legacy way are adopted: same ids, no restart, then managed",
          "[lab][adopt]") {
  LabProject p("e2eadopt1");
  p.Write(Units());
  // The /run.sh jlrec renders for each, so that the hand-written one matches it exactly: let
  // jlrec make them once, keep the scripts, and throw containers and state away.
  REQUIRE(p.Jlrec({"apply", "product", "--auto-approve"}).exit_code == 0);
  const std::string core_script = p.RunScript(1, "core");
  const std::string w1_script = p.RunScript(2, "w1");
  REQUIRE(Contains(core_script, "export RUNTIME_MODE='dev_new'"));
  p.RemoveContainers();
  std::filesystem::remove_all(p.dir() + "/.jlrec");
  MakeTheLegacyWay(p, 1, "core", core_script);
  // w1's /run.sh was written by the legacy script: not what jlrec renders.
  MakeTheLegacyWay(p, 2, "w1",
                   "export MONITOR_ENABLED=true\nexport RUNTIME_MODE=dev_new\n"
                   "exec sh /workspace/jiliang_system/deploy/run.sh\n");
  const std::string core_id = p.Inspect(1, "core", "{{.Id}}");
  const std::string w1_id = p.Inspect(2, "w1", "{{.Id}}");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const std::string since = Now();

  auto plan = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  INFO(plan.out << plan.err);
  CHECK(plan.exit_code == 2);
  CHECK(Contains(plan.out, "= lab1/" + p.Name("core")));
  CHECK(Contains(plan.out, "adopted as it is (same container, no restart)"));
  CHECK(Contains(plan.out, "= lab2/" + p.Name("w1")));
  CHECK(Contains(plan.out, "~ lab2/" + p.Name("w1")));
  CHECK(Contains(plan.out, "+ lab2/" + p.Name("w2")));  // not made by the legacy script
  CHECK(Contains(plan.out, "Plan: 2 to adopt, 1 to create, 0 to replace, 1 to update"));
  auto drift = p.Jlrec({"drift"});
  CHECK(drift.exit_code == 2);
  CHECK(Contains(drift.out, "unadopted  lab1/" + p.Name("core")));

  // Without --adopt, an unattended apply adopts nothing and says how.
  auto held = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(held.out << held.err);
  CHECK(held.exit_code == 1);
  CHECK(Contains(held.err, "apply adopts only with --adopt"));
  CHECK(EventsOf(1, p.Name("core"), since).empty());
  CHECK(EventsOf(2, p.Name("w1"), since).empty());

  auto adopted = p.Jlrec({"apply", "product", "--auto-approve", "--adopt"});
  INFO(adopted.out << adopted.err);
  CHECK(adopted.exit_code == 0);
  CHECK(p.Inspect(1, "core", "{{.Id}}") == core_id);
  CHECK(p.Inspect(2, "w1", "{{.Id}}") == w1_id);
  // core: nothing happened to it at all; w1: restarted for its new /run.sh, never recreated.
  CHECK(EventsOf(1, p.Name("core"), since).empty());
  const std::string w1_events = EventsOf(2, p.Name("w1"), since);
  CHECK_FALSE(Contains(w1_events, "create"));
  CHECK_FALSE(Contains(w1_events, "destroy"));
  CHECK(Contains(w1_events, "restart"));
  CHECK(p.RunScript(2, "w1") == w1_script);

  // From now on they are managed: in sync, drift quiet, history records the adoption.
  CHECK(p.Jlrec({"plan", "product", "--detailed-exitcode"}).exit_code == 0);
  CHECK(p.Jlrec({"drift", "--quiet"}).exit_code == 0);
  auto history = json::parse(p.Jlrec({"history", "--json"}).out);
  CHECK(history[0]["actions"][0]["action"] == "adopt");
  CHECK(history[0]["actions"][0]["result"] == "succeeded");

  // Dropped from the manifest, an adopted container is an orphan that --prune removes.
  auto units = Units();
  units[1].dockers = {"w2"};
  p.Write(units);
  auto orphaned = p.Jlrec({"plan", "product"});
  CHECK(Contains(orphaned.out,
                 "Orphaned (use --prune to remove):\n    lab2/" + p.Name("w1") + "  [product]"));
  auto pruned = p.Jlrec({"apply", "product", "--auto-approve", "--prune"});
  INFO(pruned.out << pruned.err);
  CHECK(pruned.exit_code == 0);
  CHECK(Contains(pruned.out, "- lab2/" + p.Name("w1")));
  CHECK(p.Inspect(2, "w1", "{{.Id}}").empty());
}

TEST_CASE("a legacy container that differs from the manifest is a conflict naming the fields",
          "[lab][adopt]") {
  LabProject p("e2eadopt2");
  p.Write({Units()[0]});
  // The legacy script ran it with the image's default command and no restart policy.
  REQUIRE(LabDocker(1, {"run", "-d", "--name", p.Name("core"), "--network", "host", p.lab().image1,
                        "sleep", "600"})
              .exit_code == 0);
  auto plan = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  INFO(plan.out << plan.err);
  CHECK(plan.exit_code == 2);
  CHECK(Contains(plan.out, "! lab1/" + p.Name("core")));
  CHECK(Contains(plan.out, "differs from the manifest (command, restart)"));
  CHECK(Contains(plan.out, "restart: no -> unless-stopped"));
  auto r = p.Jlrec({"apply", "product", "--auto-approve", "--adopt"});
  CHECK(r.exit_code == 1);
  CHECK(p.Inspect(1, "core", "{{.Config.Cmd}}") == "[sleep 600]");
}

namespace {

// A legacy deploy script written like the seed's (../shared/seed/), for the lab's hosts.
std::string LegacyScript(const LabProject& p) {
  return "# -*- coding: utf-8 -*-\n"
         "IMAGE = \"" +
         p.lab().image1 +
         "\"\n"
         "container_list = [\n"
         "    # ------------ 生产节点组 ---------------------\n"
         "    {\n"
         "        \"host\": \"" +
         p.lab().Host(1).address +
         "\",\n"
         "        \"dockers\": [\"" +
         p.Name("core_1") +
         "\"],\n"
         "        \"group\": [\"product\"],\n"
         "        \"core\": True\n"
         "    },\n"
         "    {\n"
         "        \"host\": \"" +
         p.lab().Host(2).address +
         "\",\n"
         "        \"dockers\": [\"" +
         p.Name("slave_1") + "\", \"" + p.Name("slave_2") +
         "\"],\n"
         "        \"group\": [\"product\"],\n"
         "        \"core\": False,\n"
         "    },\n"
         "]\n\n"
         "def deploy_system(group=\"test\", enable_monitor=False, runtime_mode=\"test\"):\n"
         "    pass\n\n"
         "if __name__ == \"__main__\":\n"
         "    deploy_system(group=\"product\", \n"
         "        enable_monitor=True, \n"
         "        runtime_mode=\"dev_new\")\n"
         "    # create_group_containers(group=\"product\")\n";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE(
    "a fleet the legacy script runs is imported and adopted: same ids, nothing destroyed "
    "or created",
    "[lab][adopt][import]") {
  LabProject p("e2eadopt3");
  // The legacy way: docker run by name (here: create, copy /run.sh in, start), /run.sh as
  // deploy_system() wrote it: its env lines, then the legacy template's body.
  const std::string legacy_run_sh =
      "export MONITOR_ENABLED=true\nexport RUNTIME_MODE=dev_new\n"
      "sh /workspace/jiliang_system/deploy/install.sh\n"
      "exec sh /workspace/jiliang_system/deploy/run.sh\n";
  struct Legacy {
    int host;
    std::string name;
  };
  const std::vector<Legacy> fleet = {{1, "core_1"}, {2, "slave_1"}, {2, "slave_2"}};
  std::map<std::string, std::string> ids;
  for (const auto& c : fleet) {
    REQUIRE(LabDocker(c.host, {"create", "--name", p.Name(c.name), "--network", "host",
                               p.lab().image1, "/bin/sh", "/run.sh"})
                .exit_code == 0);
    std::string file = p.dir() + "/run-" + c.name + ".sh";
    std::ofstream(file) << legacy_run_sh;
    REQUIRE(LabDocker(c.host, {"cp", file, p.Name(c.name) + ":/run.sh"}).exit_code == 0);
    REQUIRE(LabDocker(c.host, {"start", p.Name(c.name)}).exit_code == 0);
    ids[c.name] = p.Inspect(c.host, c.name, "{{.Id}}");
  }

  // Import it into an empty folder: a manifest that validates there at once.
  std::ofstream(p.dir() + "/jiliang_deploy.py") << LegacyScript(p);
  const std::string site = p.dir() + "/site";
  auto imported = RunJlrec({"import-legacy", p.dir() + "/jiliang_deploy.py", "-o",
                            site + "/jlrec.yaml", "--project", p.project()});
  INFO(imported.out << imported.err);
  REQUIRE(imported.exit_code == 0);
  CHECK(Contains(imported.err, "review before the first apply"));
  std::string manifest = ReadFile(site + "/jlrec.yaml");
  CHECK(Contains(manifest, "enable_monitor: true\n    runtime_mode: dev_new"));
  auto valid = RunJlrec({"validate", "-m", site + "/jlrec.yaml"});
  INFO(valid.out << valid.err);
  CHECK(valid.exit_code == 0);

  // What the review list asks the operator to check: how the hosts are reached, and the
  // command the legacy containers run.
  for (int n : {1, 2}) {
    const auto h = p.lab().Host(n);
    const std::string entry = "{address: " + h.address + "}";
    const auto at = manifest.find(entry);
    REQUIRE(at != std::string::npos);
    manifest.replace(at, entry.size(),
                     "{address: " + h.address + ", port: " + std::to_string(h.port) +
                         ", user: root, identity_file: " + p.lab().identity_file +
                         ", known_hosts: " + p.lab().known_hosts +
                         ", docker_socket: " + h.docker_socket + "}");
  }
  manifest.replace(manifest.find("defaults:\n"), 10,
                   "defaults:\n  command: [\"/bin/sh\", \"/run.sh\"]\n");
  std::ofstream(site + "/jlrec.yaml") << manifest;
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const std::string since = Now();

  auto plan = RunJlrec(
      {"plan", "product", "-m", site + "/jlrec.yaml", "--no-color", "--detailed-exitcode"});
  INFO(plan.out << plan.err);
  CHECK(plan.exit_code == 2);
  for (const auto& c : fleet) {
    // The import names hosts by their legacy address.
    CHECK(Contains(plan.out, "= " + p.lab().Host(c.host).address + "/" + p.Name(c.name)));
  }
  CHECK(Contains(plan.out, "Plan: 3 to adopt, 0 to create, 0 to replace, 3 to update"));

  auto applied = RunJlrec(
      {"apply", "product", "-m", site + "/jlrec.yaml", "--no-color", "--auto-approve", "--adopt"});
  INFO(applied.out << applied.err);
  CHECK(applied.exit_code == 0);
  for (const auto& c : fleet) {
    CAPTURE(c.name);
    CHECK(p.Inspect(c.host, c.name, "{{.Id}}") == ids[c.name]);
    const std::string events = EventsOf(c.host, p.Name(c.name), since);
    CHECK_FALSE(Contains(events, "create"));
    CHECK_FALSE(Contains(events, "destroy"));
    CHECK(Contains(p.RunScript(c.host, c.name), "export RUNTIME_MODE='dev_new'"));
  }
  auto again = RunJlrec(
      {"plan", "product", "-m", site + "/jlrec.yaml", "--no-color", "--detailed-exitcode"});
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
}
