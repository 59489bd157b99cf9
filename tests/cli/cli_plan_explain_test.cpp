// What the real binary's plan says about a container it will create: every attribute of the
// spec, its role and what it waits for, and never a secret's value. Planned from a state file
// whose cache holds the host empty, so no host is contacted (the env listing with its
// (sensitive) values needs a refresh: tests/lab/plan_explain_lab_test.cpp).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "model/state_store.h"
#include "state/sqlite_state_store.h"
#include "support/subprocess.h"

using jlrec::testing::ProcessResult;
using jlrec::testing::RunJlrec;

namespace jlrec {
namespace {

constexpr const char* kSecret = "Zq9-s3cr3t-Value";

class CreateFixture {
 public:
  CreateFixture() {
    std::random_device random;
    dir_ =
        std::filesystem::temp_directory_path() / ("jlrec-cli-explain-" + std::to_string(random()));
    std::filesystem::create_directories(dir_);
    std::ofstream(Path("run.sh.tmpl")) << "#!/bin/sh\necho {{container}}\nexec sleep 1000\n";
    std::ofstream(Path("jlrec.yaml"))
        << "version: 1\n"
           "project: explain\n"
           "defaults:\n"
           "  image: 127.0.0.1:5000/jlrec-lab/base:1\n"
           "  command: [/bin/sh, /run.sh]\n"
           "  network_mode: host\n"
           "  restart: unless-stopped\n"
           "  volumes: [/srv/explain/data/first-long-directory:/data/one:ro, "
           "/srv/explain/data/second-long-directory:/data/two]\n"
           "  labels: {team: ops}\n"
           "  healthcheck: {command: [/bin/true], timeout: 5s, interval: 500ms}\n"
           "  env: {TZ: Asia/Shanghai, GREETING: \"say \\\"hi\\\"\", DB_PASSWORD: \""
        << kSecret
        << "\"}\n"
           "  secret_env: [DB_PASSWORD]\n"
           "  template: run.sh.tmpl\n"
           "hosts:\n"
           "  h1: {address: 127.0.0.1, port: 1}\n"
           "groups:\n"
           "  product: {runtime_mode: dev_new}\n"
           "units:\n"
           "  - {host: h1, dockers: [core], group: [product], core: true}\n"
           "  - {host: h1, dockers: [w1], group: [product], depends_on: [core]}\n";
    auto opened = OpenSqliteStateStore(Path("state.db"));
    REQUIRE(opened.ok());
    HostSnapshot h1;
    h1.host = "h1";
    h1.reachable = true;
    h1.observed_at = 1700000000;
    REQUIRE((*opened)->SaveSnapshots("explain", {h1}).ok());
  }
  ~CreateFixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  ProcessResult Jlrec(std::vector<std::string> args) const {
    args.insert(args.end(), {"-m", Path("jlrec.yaml"), "--state", Path("state.db"), "--no-color"});
    return RunJlrec(args);
  }

 private:
  std::filesystem::path dir_;
};

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("a create plan lists the attributes of what it makes and never a secret's value",
          "[cli][plan]") {
  CreateFixture f;
  // Twice: the second plan reads the manifest's resolution from the state file's cache,
  // which keeps no env values, and says so.
  ProcessResult full = f.Jlrec({"plan", "product", "--refresh=false"});
  ProcessResult cached = f.Jlrec({"plan", "product", "--refresh=false"});
  for (const ProcessResult* r : {&full, &cached}) {
    INFO(r->out << r->err);
    CHECK(r->exit_code == 0);
    CHECK_FALSE(Has(r->out + r->err, kSecret));
    CHECK(Has(r->out, "+ h1/core  [product, core]  create\n"));
    CHECK(Has(r->out,
              "image:        127.0.0.1:5000/jlrec-lab/base:1 (digest unknown: planned from the "
              "state cache)\n"));
    CHECK(Has(r->out, "command:      [/bin/sh, /run.sh]\n"));
    CHECK(Has(r->out, "network_mode: host\n"));
    CHECK(Has(r->out, "restart:      unless-stopped\n"));
    CHECK(Has(r->out,
              "volumes:\n"
              "            - /srv/explain/data/first-long-directory:/data/one:ro\n"
              "            - /srv/explain/data/second-long-directory:/data/two\n"));
    CHECK(Has(r->out, "labels:       [team=ops]\n"));
    CHECK(Has(r->out, "healthcheck:  [/bin/true] every 500ms, timeout 5s, 3 retries\n"));
    CHECK(Has(r->out, "role:         core (its group's master)\n"));
    CHECK(Has(r->out, "role:         worker\n"));
    CHECK(Has(r->out, "depends_on:   h1/core\n"));
    CHECK_FALSE(Has(r->out, "ports:"));  // none asked for: not listed
  }
  // The same words either way: the cache's resolution holds no env value to list.
  CHECK(full.out == cached.out);
  CHECK(Has(full.out,
            "env:          (not listed: planned from the state cache, which keeps no env "
            "values)\n"));
}

}  // namespace jlrec
