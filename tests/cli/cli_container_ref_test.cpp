// Naming a container on the command line (cli/container_ref.h): HOST/NAME or a unique NAME,
// with "did you mean ...?" for typos and the candidates for ambiguous names.
#include "cli/container_ref.h"

#include <catch2/catch.hpp>

namespace jlrec::cli {
namespace {

// lab1 has web and worker, lab2 has web and db, lab3 none; the groups do not matter.
DesiredState Fleet() {
  DesiredState desired;
  for (const char* host : {"lab1", "lab2", "lab3"}) desired.hosts[host].key = host;
  auto add = [&](const char* host, const char* name, const char* group) {
    DesiredContainer c;
    c.host = host;
    c.name = name;
    c.groups = {group};
    desired.containers.push_back(c);
  };
  add("lab1", "web", "product");
  add("lab1", "worker", "test");
  add("lab2", "web", "product");
  add("lab2", "db", "test");
  return desired;
}

TEST_CASE("a name the manifest has on one host only resolves to that host, whatever its group",
          "[cli][container-ref]") {
  auto worker = ResolveContainerRef(Fleet(), "worker");
  REQUIRE(worker.ok());
  CHECK(worker->host == "lab1");
  CHECK(worker->container == "worker");
  CHECK(worker->in_manifest);
  CHECK(worker->Text() == "lab1/worker");
  auto db = ResolveContainerRef(Fleet(), "db");
  REQUIRE(db.ok());
  CHECK(db->Text() == "lab2/db");
}

TEST_CASE("HOST/NAME names a container of the manifest or any other container on a manifest host",
          "[cli][container-ref]") {
  auto web = ResolveContainerRef(Fleet(), "lab2/web");
  REQUIRE(web.ok());
  CHECK(web->Text() == "lab2/web");
  CHECK(web->in_manifest);
  // A replace's leftover, or a container of another tool: the host's daemon decides.
  auto previous = ResolveContainerRef(Fleet(), "lab1/web.jlrec-prev");
  REQUIRE(previous.ok());
  CHECK(previous->Text() == "lab1/web.jlrec-prev");
  CHECK_FALSE(previous->in_manifest);
}

TEST_CASE("a name on several hosts is refused with each of them as HOST/NAME",
          "[cli][container-ref]") {
  auto web = ResolveContainerRef(Fleet(), "web");
  CHECK(web.status().code() == Status::Code::kInvalidArgument);
  CHECK(web.status().message() ==
        "container 'web' is on 2 hosts: lab1/web, lab2/web; name one as HOST/NAME");
}

TEST_CASE("an unknown name or host suggests the nearest one", "[cli][container-ref]") {
  auto typo = ResolveContainerRef(Fleet(), "wroker");
  CHECK(typo.status().code() == Status::Code::kNotFound);
  CHECK(typo.status().message() ==
        "no container 'wroker' in the manifest (did you mean 'worker'?)");
  auto far = ResolveContainerRef(Fleet(), "postgres");
  CHECK(far.status().message() == "no container 'postgres' in the manifest");
  auto host = ResolveContainerRef(Fleet(), "lab4/web");
  CHECK(host.status().code() == Status::Code::kNotFound);
  CHECK(host.status().message() ==
        "no host 'lab4' in the manifest (did you mean 'lab1'?) (hosts: lab1, lab2, lab3)");
}

TEST_CASE("a host named alone lists the containers the manifest places on it",
          "[cli][container-ref]") {
  CHECK(ResolveContainerRef(Fleet(), "lab1").status().message() ==
        "'lab1' is a host: name a container on it as lab1/NAME (the manifest's: web, worker)");
  CHECK(ResolveContainerRef(Fleet(), "lab3").status().message() ==
        "'lab3' is a host: name a container on it as lab3/NAME (the manifest places none there)");
}

TEST_CASE("malformed refs are refused as such", "[cli][container-ref]") {
  for (const char* bad : {"", "/web", "lab1/", "lab1/web/x", "/"}) {
    INFO("'" << bad << "'");
    CHECK(ResolveContainerRef(Fleet(), bad).status().code() == Status::Code::kInvalidArgument);
  }
}

TEST_CASE("a container its host does not have is explained with the manifest's near names",
          "[cli][container-ref]") {
  const DesiredState fleet = Fleet();
  CHECK(MissingContainerMessage(fleet, ContainerRef{"lab1", "wokrer", false}) ==
        "no container wokrer on lab1 (did you mean 'lab1/worker'?)");
  CHECK(MissingContainerMessage(fleet, ContainerRef{"lab1", "cache", false}) ==
        "no container cache on lab1");
  CHECK(MissingContainerMessage(fleet, ContainerRef{"lab2", "db", true}) ==
        "no container db on lab2 yet (the manifest places it there: jlrec apply creates it)");
}

}  // namespace
}  // namespace jlrec::cli
