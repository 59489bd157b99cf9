#include "providers/fake_provider.h"

#include <thread>

#include <catch2/catch.hpp>

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

TEST_CASE("the fake behaves like a Docker daemon where callers rely on it", "[fake_provider]") {
  FakeProvider host("lab1");

  SECTION("create needs the image and a free name") {
    Result<std::string> missing = host.CreateContainer(Request("a"));
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.status().code() == Status::Code::kNotFound);
    host.AddImage(kImage);
    Result<std::string> id = host.CreateContainer(Request("a"));
    REQUIRE(id.ok());
    CHECK(id->size() == 64);
    CHECK(host.Container("a")->live.state == "created");
    CHECK(host.Container("a")->live.jlrec_labels.at(labels::kProject) == "jl");
    Result<std::string> again = host.CreateContainer(Request("a"));
    REQUIRE_FALSE(again.ok());
    CHECK(again.status().code() == Status::Code::kConflict);
  }

  SECTION("start, stop, remove; a running container cannot be removed") {
    host.AddImage(kImage);
    const std::string id = *host.CreateContainer(Request("a"));
    REQUIRE(host.StartContainer(id).ok());
    CHECK(host.InspectContainer("a")->state == "running");
    CHECK(host.RemoveContainer(id).code() == Status::Code::kConflict);
    REQUIRE(host.StopContainer(id, seconds(1)).ok());
    CHECK(host.InspectContainer(id)->state == "exited");
    REQUIRE(host.RemoveContainer(id).ok());
    CHECK_FALSE(host.Container("a"));
    CHECK(host.RemoveContainer(id).ok());  // already gone is fine
    CHECK(host.InspectContainer(id).status().code() == Status::Code::kNotFound);
  }

  SECTION("a container can be told to die when started") {
    host.AddImage(kImage);
    host.SetStateAfterStart("a", "exited");
    const std::string id = *host.CreateContainer(Request("a"));
    REQUIRE(host.StartContainer(id).ok());
    CHECK(host.InspectContainer(id)->state == "exited");
  }

  SECTION("files are uploaded and read back; exec needs a running container") {
    host.AddImage(kImage);
    const std::string id = *host.CreateContainer(Request("a"));
    REQUIRE(host.UploadFile(id, "/run.sh", "echo hi\n", 0755).ok());
    CHECK(**host.ReadFile(id, "/run.sh") == "echo hi\n");
    CHECK(host.Container("a")->file_modes.at("/run.sh") == 0755);
    CHECK_FALSE(*host.ReadFile(id, "/missing"));
    CHECK(host.Exec(id, {"true"}, seconds(1)).status().code() == Status::Code::kConflict);
    REQUIRE(host.StartContainer(id).ok());
    host.SetExecHandler([](const std::string& name, const std::vector<std::string>& argv) {
      return Result<int>(name == "a" && argv.at(0) == "test" ? 3 : 0);
    });
    CHECK(*host.Exec(id, {"test", "-f", "/ready"}, seconds(1)) == 3);
  }

  SECTION("list returns the project's containers and the named ones, without digests") {
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
