#include "support/fake_provider.h"

#include <thread>

#include <catch2/catch.hpp>

#include "model/rfc3339.h"

namespace jlrec {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kImage = "reg/base:1";

CreateContainerRequest Request(const std::string& name) {
  CreateContainerRequest req;
  req.name = name;
  req.spec.image = kImage;
  req.jlrec_labels = {{labels::kProject, "jl"}};
  return req;
}

// The RFC 3339 time `text` in nanoseconds; fails the test when it does not parse.
std::int64_t Nanos(const std::string& text) {
  std::optional<std::int64_t> nanos = ParseRfc3339(text);
  INFO(text);
  REQUIRE(nanos);
  return *nanos;
}

// The mtime in StatFile(`id`, `path`)'s key; fails the test when there is none.
std::int64_t ModifiedAt(FakeProvider& host, const std::string& id, const std::string& path) {
  Result<std::optional<std::string>> stat = host.StatFile(id, path);
  REQUIRE(stat.ok());
  REQUIRE(stat->has_value());
  std::optional<std::int64_t> mtime = FileModifiedAt(**stat);
  INFO(**stat);
  REQUIRE(mtime);
  return *mtime;
}

// What Docker does that callers rely on is in the Provider contract
// (tests/support/provider_contract.h), which provider_contract_fake_test.cpp holds the fake
// to; the tests here are of what only the fake does: seeding, simulating, recording, failing
// and pacing.

TEST_CASE("the fake's seeding and simulating abilities", "[fake_provider]") {
  FakeProvider host("lab1");

  SECTION("a container can be told to die when started") {
    host.AddImage(kImage);
    host.SetStateAfterStart("a", "exited");
    const std::string id = *host.CreateContainer(Request("a"));
    REQUIRE(host.StartContainer(id).ok());
    CHECK(host.InspectContainer(id)->state == "exited");
  }

  SECTION("the exec handler decides what an exec returns, by container and argv") {
    host.AddImage(kImage);
    const std::string id = *host.CreateContainer(Request("a"));
    REQUIRE(host.UploadFile(id, "/run.sh", "echo hi\n", 0755).ok());
    CHECK(host.Container("a")->file_modes.at("/run.sh") == 0755);
    REQUIRE(host.StartContainer(id).ok());
    CHECK(*host.Exec(id, {"anything"}, seconds(1)) == 0);  // unless told: exit code 0
    host.SetExecHandler([](const std::string& name, const std::vector<std::string>& argv) {
      return Result<int>(name == "a" && argv.at(0) == "test" ? 3 : 0);
    });
    CHECK(*host.Exec(id, {"test", "-f", "/ready"}, seconds(1)) == 3);
    CHECK(*host.Exec(id, {"true"}, seconds(1)) == 0);
  }

  SECTION("containers seeded with AddContainer are listed like created ones, without digests") {
    FakeContainer mine;
    mine.live.name = "mine";
    mine.live.jlrec_labels = {{labels::kProject, "jl"}};
    mine.live.script_digest = "abc";
    FakeContainer other_project;
    other_project.live.name = "theirs";
    other_project.live.jlrec_labels = {{labels::kProject, "other"}};
    FakeContainer hand_made;
    hand_made.live.name = "jl_core_1";
    for (const auto& c : {mine, other_project, hand_made}) host.AddContainer(c);
    Result<std::vector<LiveContainer>> list = host.ListContainers("jl", {"jl_core_1"});
    REQUIRE(list.ok());
    REQUIRE(list->size() == 2);
    CHECK(list->at(0).name == "jl_core_1");
    CHECK(list->at(1).name == "mine");
    CHECK_FALSE(list->at(1).script_digest);
  }

  SECTION("registry digests, and a registry that cannot be reached") {
    host.SetRegistryDigest(kImage, "sha256:aaa");
    CHECK(*host.ResolveImageDigest(kImage) == "sha256:aaa");
    CHECK(host.ResolveImageDigest("reg/x:1").status().code() == Status::Code::kNotFound);
    host.SetRegistryUnreachable(true);
    CHECK(host.ResolveImageDigest(kImage).status().code() == Status::Code::kUnavailable);
    host.SetLocalImageDigests(kImage, {"reg/base@sha256:aaa"});
    CHECK(host.LocalImageDigests(kImage)->size() == 1);
    CHECK(host.LocalImageDigests("reg/x:1")->empty());
  }
}

TEST_CASE("the fake's clock orders creates, starts and file writes to the nanosecond",
          "[fake_provider]") {
  FakeProvider host("lab1");
  host.AddImage(kImage);
  const std::string id = *host.CreateContainer(Request("a"));
  REQUIRE(host.UploadFile(id, "/run.sh", "echo hi\n", 0755).ok());
  Result<std::optional<std::string>> stat = host.StatFile(id, "/run.sh");
  REQUIRE(stat.ok());
  REQUIRE(stat->has_value());
  // Docker's key: size, the mode in decimal (Go's FileMode), the RFC 3339 mtime.
  CHECK_THAT(**stat, Catch::StartsWith("8:493:"));
  const std::int64_t written = ModifiedAt(host, id, "/run.sh");
  CHECK(written > Nanos(host.Container("a")->live.created));

  REQUIRE(host.StartContainer(id).ok());
  const std::int64_t started = Nanos(host.InspectContainer(id)->started_at);
  CHECK(written < started);  // the process started from this script

  // Rewritten with the same content right after the start: a later mtime, a new key.
  REQUIRE(host.UploadFile(id, "/run.sh", "echo hi\n", 0755).ok());
  CHECK(ModifiedAt(host, id, "/run.sh") > started);
  CHECK(**host.StatFile(id, "/run.sh") != **stat);

  std::int64_t last = ModifiedAt(host, id, "/run.sh");
  for (int i = 0; i < 100; ++i) {
    REQUIRE(host.UploadFile(id, "/run.sh", "echo hi\n", 0755).ok());
    const std::int64_t now = ModifiedAt(host, id, "/run.sh");
    REQUIRE(now > last);
    last = now;
  }
  REQUIRE(host.RestartContainer(id, seconds(1)).ok());
  CHECK(Nanos(host.InspectContainer(id)->started_at) > last);
}

TEST_CASE("seeded files get mtimes, and an edit seeded over a copy is a rewrite",
          "[fake_provider]") {
  FakeProvider host("lab1");
  FakeContainer seeded;
  seeded.live.name = "a";
  seeded.files["/run.sh"] = "v1\n";
  const std::string id = host.AddContainer(seeded);
  const std::string first = **host.StatFile(id, "/run.sh");
  CHECK(FileModifiedAt(first));

  FakeContainer copy = *host.Container("a");
  host.AddContainer(copy);  // unchanged: same key
  CHECK(**host.StatFile(id, "/run.sh") == first);
  copy.files["/run.sh"] = "v2\n";  // same size, same mode, carried-over mtime
  host.AddContainer(copy);
  CHECK(**host.StatFile(id, "/run.sh") != first);
  CHECK(ModifiedAt(host, id, "/run.sh") > *FileModifiedAt(first));

  FakeContainer explicit_time = *host.Container("a");
  explicit_time.files["/run.sh"] = "v3\n";
  explicit_time.file_mtimes["/run.sh"] = 1000000000;  // a test may date a write itself
  host.AddContainer(explicit_time);
  CHECK(**host.StatFile(id, "/run.sh") == "3:0:1970-01-01T00:00:01.000000000Z");
}

TEST_CASE("the fake's health, restart count and exit code are set by tests and follow starts",
          "[fake_provider]") {
  FakeProvider host("lab1");
  host.AddImage(kImage);
  CreateContainerRequest checked = Request("checked");
  checked.spec.healthcheck =
      Healthcheck{{"test", "-f", "/ready"}, milliseconds(3000), milliseconds(500), 2};
  const std::string id = *host.CreateContainer(checked);
  const std::string plain = *host.CreateContainer(Request("plain"));

  SECTION("a healthchecked container is healthy once running; one without has no health") {
    REQUIRE(host.StartContainer(id).ok());
    REQUIRE(host.StartContainer(plain).ok());
    CHECK(host.InspectContainer(id)->health == "healthy");
    CHECK(host.InspectContainer(plain)->health.empty());
    REQUIRE(host.SetHealth("checked", "unhealthy"));
    CHECK(host.InspectContainer(id)->health == "unhealthy");
    REQUIRE(host.SetHealth("checked", "healthy"));
    REQUIRE(host.StopContainer(id, seconds(1)).ok());
    CHECK(host.InspectContainer(id)->health == "unhealthy");  // Docker's monitor stopped
    CHECK_FALSE(host.SetHealth("nobody", "healthy"));
  }
  SECTION("the health after the next starts can be set") {
    host.SetHealthAfterStart("checked", "unhealthy");
    REQUIRE(host.StartContainer(id).ok());
    CHECK(host.InspectContainer(id)->health == "unhealthy");
    REQUIRE(host.SetHealth("checked", "healthy"));
    REQUIRE(host.RestartContainer(id, seconds(1)).ok());
    CHECK(host.InspectContainer(id)->health == "unhealthy");
    host.SetHealthAfterStart("checked", "starting");
    REQUIRE(host.RestartContainer(id, seconds(1)).ok());
    CHECK(host.InspectContainer(id)->health == "starting");
  }
  SECTION("a container whose process dies at once is unhealthy, as Docker reports it") {
    host.SetStateAfterStart("checked", "exited", 3);
    REQUIRE(host.StartContainer(id).ok());
    const LiveContainer c = *host.InspectContainer(id);
    CHECK(c.state == "exited");
    CHECK(c.exit_code == 3);
    CHECK(c.health == "unhealthy");
  }
  SECTION("a start or restart resets the restart count; a crash loop keeps its exit code") {
    REQUIRE(host.StartContainer(id).ok());
    REQUIRE(host.SetRestartCount("checked", 5));
    CHECK(host.InspectContainer(id)->restart_count == 5);
    REQUIRE(host.RestartContainer(id, seconds(1)).ok());
    CHECK(host.InspectContainer(id)->restart_count == 0);
    REQUIRE(host.SetRestartCount("checked", 2));
    REQUIRE(host.StartContainer(id).ok());  // already running: nothing happens
    CHECK(host.InspectContainer(id)->restart_count == 2);

    host.SetStateAfterStart("plain", "restarting", 1);
    REQUIRE(host.StartContainer(plain).ok());
    REQUIRE(host.SetRestartCount("plain", 7));
    const LiveContainer looping = *host.InspectContainer(plain);
    CHECK(looping.restarting());
    CHECK(looping.exit_code == 1);
    CHECK(looping.restart_count == 7);
    host.SetStateAfterStart("plain", "running");
    REQUIRE(host.StopContainer(plain, seconds(1)).ok());
    REQUIRE(host.StartContainer(plain).ok());
    CHECK(host.InspectContainer(plain)->exit_code == 0);
    CHECK(host.InspectContainer(plain)->restart_count == 0);
    CHECK_FALSE(host.SetRestartCount("nobody", 1));
  }
}

TEST_CASE("the fake's registry tells a missing tag from an unreachable registry",
          "[fake_provider]") {
  FakeProvider host("lab1");
  host.SetRegistryDigest(kImage, "sha256:aaa");
  host.SetRegistryMissing(kImage);  // the tag was deleted
  Result<std::string> missing = host.ResolveImageDigest(kImage);
  CHECK(missing.status().code() == Status::Code::kNotFound);
  CHECK(missing.status().message() ==
        "lab1: resolve reg/base:1 at its registry: manifest unknown: manifest unknown (HTTP 404)");
  // Never set: kNotFound as well, naming the ref.
  Result<std::string> unknown = host.ResolveImageDigest("reg/x:1");
  CHECK(unknown.status().code() == Status::Code::kNotFound);
  CHECK(unknown.status().message() == "manifest unknown: reg/x:1");
  host.SetRegistryUnreachable(true);
  CHECK(host.ResolveImageDigest(kImage).status().code() == Status::Code::kUnavailable);
  host.SetRegistryUnreachable(false);
  host.SetRegistryDigest(kImage, "sha256:bbb");  // pushed again
  CHECK(*host.ResolveImageDigest(kImage) == "sha256:bbb");
}

TEST_CASE("IsMutatingProviderMethod names exactly the calls that change a host",
          "[fake_provider]") {
  for (const char* method :
       {"CreateContainer", "StartContainer", "StopContainer", "RestartContainer", "RemoveContainer",
        "RenameContainer", "UploadFile", "PullImage"})
    CHECK(IsMutatingProviderMethod(method));
  for (const char* method : {"ListContainers", "InspectContainer", "ReadFile", "StatFile", "Exec",
                             "HasImage", "ResolveImageDigest", "LocalImageDigests", "Bogus"})
    CHECK_FALSE(IsMutatingProviderMethod(method));
}

TEST_CASE("the fake records every call in order, naming the container", "[fake_provider]") {
  FakeProvider host("lab1");
  host.AddImage(kImage);
  const std::string id = *host.CreateContainer(Request("a"));
  REQUIRE(host.StartContainer(id).ok());
  REQUIRE(host.StopContainer(id, seconds(7)).ok());
  CHECK_FALSE(host.StartContainer("nope").ok());

  std::vector<FakeCall> calls = host.log().Calls();
  REQUIRE(calls.size() == 4);
  CHECK(calls[0].method == "CreateContainer");
  CHECK(calls[0].target == "a");
  CHECK(calls[0].args.at(0) == kImage);
  CHECK(calls[1].method == "StartContainer");
  CHECK(calls[1].target == id);
  CHECK(calls[1].container == "a");
  CHECK(calls[2].args == std::vector<std::string>{"7s"});
  CHECK(calls[3].status.code() == Status::Code::kNotFound);
  for (std::size_t i = 1; i < calls.size(); ++i) {
    CHECK(calls[i].seq > calls[i - 1].end_seq);
    CHECK(calls[i].host == "lab1");
  }
  CHECK(host.log().CallsFor("lab1", "a").size() == 3);
  CHECK(host.log().Count("StartContainer") == 2);
  CHECK(host.log().MutatingCalls() == 4);
  CHECK(host.log().MutatingCalls("lab2") == 0);
  // A refused call changes nothing but counts all the same.
  for (const char* name : {"a", "bad name"})
    CHECK(host.RenameContainer(id, name).code() == Status::Code::kInvalidArgument);
  CHECK(host.log().MutatingCalls() == 6);
}

TEST_CASE("the fake fails on demand", "[fake_provider]") {
  FakeProvider host("lab1");
  host.AddImage(kImage);
  const std::string id = *host.CreateContainer(Request("a"));

  SECTION("FailNext fails exactly the next call to that method") {
    host.FailNext("StartContainer", Status::RemoteError("boom"));
    Status first = host.StartContainer(id);
    CHECK(first.code() == Status::Code::kRemoteError);
    CHECK(first.message() == "boom");
    CHECK(host.Container("a")->live.state == "created");  // nothing happened
    CHECK(host.StartContainer(id).ok());
  }
  SECTION("FailAlways by name also hits calls that use the id, until cleared") {
    host.FailAlways("UploadFile", "a", Status::Unavailable("ssh down"));
    CHECK(host.UploadFile(id, "/run.sh", "x", 0755).code() == Status::Code::kUnavailable);
    CHECK(host.UploadFile("a", "/run.sh", "x", 0755).code() == Status::Code::kUnavailable);
    host.ClearFailures();
    CHECK(host.UploadFile(id, "/run.sh", "x", 0755).ok());
  }
  SECTION("FailAfterNext acts, then reports the failure: the answer was lost") {
    host.FailAfterNext("UploadFile", Status::Timeout("no complete answer within 30s"));
    Status lost = host.UploadFile(id, "/run.sh", "v1", 0755);
    CHECK(lost.code() == Status::Code::kTimeout);
    CHECK(**host.ReadFile(id, "/run.sh") == "v1");  // written all the same
    CHECK(host.log().CallsTo("UploadFile").back().status.code() == Status::Code::kTimeout);
    CHECK(host.UploadFile(id, "/run.sh", "v2", 0755).ok());  // only the next call

    host.FailAfterNext("CreateContainer", Status::Unavailable("ssh channel closed"));
    CHECK(host.CreateContainer(Request("b")).status().code() == Status::Code::kUnavailable);
    CHECK(host.Container("b"));  // created; a retry meets the name taken
    CHECK(host.CreateContainer(Request("b")).status().code() == Status::Code::kConflict);
  }
  SECTION("FailNext takes precedence over FailAfterNext, which waits for the next call") {
    host.FailAfterNext("StartContainer", Status::Timeout("lost"));
    host.FailNext("StartContainer", Status::RemoteError("boom"));
    CHECK(host.StartContainer(id).code() == Status::Code::kRemoteError);
    CHECK(host.Container("a")->live.state == "created");
    CHECK(host.StartContainer(id).code() == Status::Code::kTimeout);
    CHECK(host.Container("a")->live.state == "running");
    CHECK(host.StartContainer(id).ok());
  }
  SECTION("ClearFailures also forgets FailAfterNext") {
    host.FailAfterNext("StartContainer", Status::Timeout("lost"));
    host.ClearFailures();
    CHECK(host.StartContainer(id).ok());
  }
  SECTION("FailAlways with an empty target hits every call to the method") {
    host.FailAlways("PullImage", "", Status::RemoteError("manifest unknown"));
    CHECK(host.PullImage("reg/x:1").message() == "manifest unknown");
    CHECK_FALSE(host.ImagePresent("reg/x:1"));
  }
}

TEST_CASE("the fake can hold calls back to create overlap without sleeping", "[fake_provider]") {
  auto log = std::make_shared<FakeCallLog>();
  FakeProvider lab1("lab1", log), lab2("lab2", log);

  SECTION("a rendezvous lets calls through only together") {
    log->SetRendezvous("HasImage", 2);
    std::thread t([&] { (void)lab1.HasImage(kImage); });
    (void)lab2.HasImage(kImage);
    t.join();
    CHECK(log->RendezvousTimeouts() == 0);
    CHECK(log->MaxConcurrent() == 2);
    CHECK(log->MaxConcurrent("lab1") == 1);
  }
  SECTION("a held method waits for Release") {
    log->Hold("PullImage");
    std::thread t([&] { (void)lab1.PullImage(kImage); });
    REQUIRE(log->WaitForInFlight("PullImage", 1, seconds(10)));
    CHECK_FALSE(lab1.ImagePresent(kImage));
    log->Release("PullImage");
    t.join();
    CHECK(lab1.ImagePresent(kImage));
    CHECK(log->Calls().at(0).end_seq > 0);
  }
  SECTION("a rendezvous that never fills gives up after its fallback and says so") {
    log->SetRendezvous("HasImage", 2, milliseconds(1));
    CHECK(lab1.HasImage(kImage).ok());
    CHECK(log->RendezvousTimeouts() == 1);
  }
}

TEST_CASE("the factory hands out one fake per host and refuses unreachable hosts",
          "[fake_provider]") {
  FakeProviderFactory factory;
  HostConnection lab1;
  lab1.key = "lab1";
  HostConnection lab2;
  lab2.key = "lab2";
  factory.SetUnreachable("lab2", "connection refused");

  Result<std::unique_ptr<Provider>> p1 = factory.Open(lab1, {});
  REQUIRE(p1.ok());
  CHECK((*p1)->host() == "lab1");
  factory.Host("lab1").AddImage(kImage);
  CHECK(*(*p1)->HasImage(kImage));  // the handle reaches the factory's fake

  Result<std::unique_ptr<Provider>> p2 = factory.Open(lab2, {});
  REQUIRE_FALSE(p2.ok());
  CHECK(p2.status().code() == Status::Code::kUnavailable);
  CHECK(p2.status().message() == "lab2: connection refused");
  factory.SetReachable("lab2");
  CHECK(factory.Open(lab2, {}).ok());
  CHECK(factory.OpenCount("lab2") == 2);

  (void)factory.Host("lab2").HasImage(kImage);
  CHECK(factory.log().Count("HasImage") == 2);  // both hosts write to the factory's log
}

}  // namespace
}  // namespace jlrec
