// RefreshHost on the fake provider: what it reads, and the /run.sh reads it can skip.
#include <catch2/catch.hpp>

#include <thread>

#include "engine/refresh.h"
#include "model/digest.h"
#include "support/fake_provider.h"

namespace jlrec {
namespace {

constexpr const char* kScript = "#!/bin/sh\nexport RUNTIME_MODE='dev'\nsleep 1\n";

DesiredState OneContainer(const std::string& script) {
  DesiredState d;
  d.project = "jl";
  DesiredContainer c;
  c.host = "lab1";
  c.name = "a";
  c.groups = {"product"};
  c.spec.image = "reg/base@sha256:0";  // pinned: no registry check
  c.script = script;
  c.script_digest = ScriptDigest("", script);
  d.containers.push_back(c);
  return d;
}

// A managed container "a" on `host` whose /run.sh holds `script`.
void Seed(FakeProvider& host, const std::string& script) {
  FakeContainer c;
  c.live.id = "id-a";
  c.live.name = "a";
  c.live.state = "running";
  c.live.jlrec_labels = {{labels::kProject, "jl"}, {labels::kHost, "lab1"}};
  c.files["/run.sh"] = script;
  host.AddContainer(c);
}

KnownScripts Remember(const HostSnapshot& snap) {
  KnownScripts known;
  for (const auto& c : snap.containers)
    if (c.script_digest && !c.script_stat.empty())
      known[c.id] = KnownScript{c.script_stat, *c.script_digest};
  return known;
}

TEST_CASE("the known containers are kept per host, and an unreachable host's are not known",
          "[refresh]") {
  auto snapshot = [](const std::string& host, std::vector<std::string> ids, bool reachable) {
    HostSnapshot h;
    h.host = host;
    h.reachable = reachable;
    h.observed_at = 1000;
    for (const auto& id : ids) {
      LiveContainer c;
      c.id = id;
      c.name = host + "_" + id;
      h.containers.push_back(c);
    }
    return h;
  };
  KnownContainers known(
      {snapshot("a", {"1", "2"}, true), snapshot("b", {"3"}, true), snapshot("c", {"4"}, false)});
  REQUIRE(known.by_host.count("a") == 1);
  CHECK(known.by_host.at("a").size() == 2);
  CHECK(known.by_host.at("a").count("3") == 0);
  REQUIRE(known.by_host.count("b") == 1);
  CHECK(known.by_host.at("b").size() == 1);
  CHECK(known.by_host.at("b").at("3")->name == "b_3");
  CHECK(known.by_host.count("c") == 0);
  CHECK(known.observed_at.count("c") == 0);
}

TEST_CASE("refresh reads /run.sh once, then only stats it while it is unchanged and wanted",
          "[refresh]") {
  FakeProvider host("lab1");
  Seed(host, kScript);
  DesiredState d = OneContainer(kScript);

  HostSnapshot first = RefreshHost(d, host, false, "");
  REQUIRE(first.reachable);
  REQUIRE(first.containers.size() == 1);
  CHECK(first.containers[0].script_digest == ScriptDigest("", kScript));
  CHECK_FALSE(first.containers[0].script_stat.empty());
  CHECK(first.containers[0].script_env.at("RUNTIME_MODE") == "dev");
  CHECK(host.log().CallsTo("ReadFile").size() == 1);
  KnownScripts known = Remember(first);

  SECTION("unchanged and wanted: stat only, same digest") {
    HostSnapshot again = RefreshHost(d, host, false, "", &known);
    CHECK(host.log().CallsTo("ReadFile").size() == 1);
    CHECK(host.log().CallsTo("StatFile").size() == 2);
    CHECK(again.containers[0].script_digest == ScriptDigest("", kScript));
  }
  SECTION("edited in the container: read again, new digest") {
    Seed(host, std::string(kScript) + "echo edited\n");
    HostSnapshot again = RefreshHost(d, host, false, "", &known);
    CHECK(host.log().CallsTo("ReadFile").size() == 2);
    CHECK(again.containers[0].script_digest ==
          ScriptDigest("", std::string(kScript) + "echo edited\n"));
  }
  SECTION("the manifest wants another script: read again so the plan can explain the env") {
    DesiredState changed = OneContainer("#!/bin/sh\nexport RUNTIME_MODE='prod'\nsleep 1\n");
    HostSnapshot again = RefreshHost(changed, host, false, "", &known);
    CHECK(host.log().CallsTo("ReadFile").size() == 2);
    CHECK(again.containers[0].script_env.at("RUNTIME_MODE") == "dev");
  }
  SECTION("a stat failure makes the host unreachable, not a guess") {
    host.FailNext("StatFile", Status::Unavailable("daemon went away"));
    HostSnapshot again = RefreshHost(d, host, false, "", &known);
    CHECK_FALSE(again.reachable);
    CHECK(again.error.find("daemon went away") != std::string::npos);
  }
}

TEST_CASE("refresh keeps a /run.sh's content only when the manifest wants another one",
          "[refresh]") {
  FakeProvider host("lab1");
  const std::string edited = std::string(kScript) + "echo edited\n";
  SECTION("in sync: no content kept") {
    Seed(host, kScript);
    HostSnapshot snap = RefreshHost(OneContainer(kScript), host, false, "");
    REQUIRE(snap.containers.size() == 1);
    CHECK_FALSE(snap.containers[0].script_content);
  }
  SECTION("edited in the container: kept, for the plan's diff") {
    Seed(host, edited);
    HostSnapshot snap = RefreshHost(OneContainer(kScript), host, false, "");
    REQUIRE(snap.containers.size() == 1);
    CHECK(snap.containers[0].script_content == edited);
  }
  SECTION("edited, and the unchanged stat of an earlier read would vouch for it: read anyway") {
    Seed(host, edited);
    HostSnapshot first = RefreshHost(OneContainer(edited), host, false, "");
    KnownScripts known = Remember(first);
    HostSnapshot again = RefreshHost(OneContainer(kScript), host, false, "", &known);
    CHECK(again.containers[0].script_content == edited);
  }
}

TEST_CASE("refresh leaves a container without /run.sh with no digest", "[refresh]") {
  FakeProvider host("lab1");
  Seed(host, kScript);
  FakeContainer c = *host.Container("a");
  c.files.clear();
  host.AddContainer(c);
  HostSnapshot snap = RefreshHost(OneContainer(kScript), host, false, "");
  REQUIRE(snap.reachable);
  CHECK_FALSE(snap.containers[0].script_digest);
  CHECK(host.log().CallsTo("ReadFile").empty());
}

TEST_CASE("a host that stops answering during a refresh is unreachable after one request timeout",
          "[refresh]") {
  FakeProvider host("lab1");
  Seed(host, kScript);
  DesiredState d = OneContainer(kScript);
  // Three wanted tags: each is checked at its registry through the host's daemon.
  for (const char* tag : {"reg/base:1", "reg/other:1", "reg/third:1"}) {
    DesiredContainer c = d.containers[0];
    c.name = std::string("c-") + tag;
    c.spec.image = tag;
    d.containers.push_back(c);
  }
  const Status unanswered =
      Status::Timeout("lab1: GET /distribution: no complete answer within 2s");
  for (const char* method : {"ResolveImageDigest", "HasImage", "LocalImageDigests"})
    host.FailAlways(method, "", unanswered);

  HostSnapshot snap = RefreshHost(d, host, /*check_image_digests=*/true, "");
  int timeouts = 0;
  for (const FakeCall& c : host.log().Calls())
    timeouts += c.status.code() == Status::Code::kTimeout;
  CHECK(timeouts == 1);
  CHECK_FALSE(snap.reachable);
  CHECK(snap.error == unanswered.message());
}

TEST_CASE("a registry answer is asked once per refresh and shared by the hosts that want it",
          "[refresh]") {
  FakeProvider lab1("lab1"), lab2("lab2");
  for (FakeProvider* host : {&lab1, &lab2}) host->SetRegistryDigest("reg/base:1", "sha256:aa");
  RegistryDigestMemo memo;
  auto first = memo.Resolve("reg/base:1", lab1);
  auto second = memo.Resolve("reg/base:1", lab2);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(*first == "sha256:aa");
  CHECK(*second == "sha256:aa");
  CHECK(lab1.log().CallsTo("ResolveImageDigest").size() == 1);
  CHECK(lab2.log().CallsTo("ResolveImageDigest").empty());

  // "Not found" is the registry's answer: shared too.
  lab1.SetRegistryMissing("reg/gone:1");
  CHECK(memo.Resolve("reg/gone:1", lab1).status().code() == Status::Code::kNotFound);
  CHECK(memo.Resolve("reg/gone:1", lab2).status().code() == Status::Code::kNotFound);
  CHECK(lab2.log().CallsTo("ResolveImageDigest").empty());
}

TEST_CASE("a registry the asking host could not reach is asked again by the next host",
          "[refresh]") {
  FakeProvider lab1("lab1"), lab2("lab2");
  for (FakeProvider* host : {&lab1, &lab2}) host->SetRegistryDigest("reg/base:1", "sha256:aa");
  lab1.SetRegistryUnreachable(true);
  RegistryDigestMemo memo;
  CHECK(memo.Resolve("reg/base:1", lab1).status().code() == Status::Code::kUnavailable);
  auto second = memo.Resolve("reg/base:1", lab2);
  REQUIRE(second.ok());
  CHECK(*second == "sha256:aa");
  CHECK(lab2.log().CallsTo("ResolveImageDigest").size() == 1);
}

TEST_CASE("hosts asking for one tag at once wait for the first one's answer", "[refresh]") {
  auto log = std::make_shared<FakeCallLog>();
  FakeProvider lab1("lab1", log), lab2("lab2", log);
  for (FakeProvider* host : {&lab1, &lab2}) host->SetRegistryDigest("reg/base:1", "sha256:aa");
  log->Hold("ResolveImageDigest");
  RegistryDigestMemo memo;
  Result<std::string> first = Status::Internal("not yet"), second = Status::Internal("not yet");
  std::thread a([&] { first = memo.Resolve("reg/base:1", lab1); });
  REQUIRE(log->WaitForInFlight("ResolveImageDigest", 1, std::chrono::seconds(10)));
  std::thread b([&] { second = memo.Resolve("reg/base:1", lab2); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  log->Release("ResolveImageDigest");
  a.join();
  b.join();
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(*second == "sha256:aa");
  CHECK(log->Count("ResolveImageDigest") == 1);
}

TEST_CASE("refresh says how many containers it inspected", "[refresh]") {
  FakeProvider host("lab1");
  Seed(host, kScript);
  HostSnapshot snap = RefreshHost(OneContainer(kScript), host, false, "");
  REQUIRE(snap.reachable);
  REQUIRE(snap.traffic);
  CHECK(snap.traffic->inspected == 1);
  CHECK(snap.traffic->reused == 0);
}

}  // namespace
}  // namespace jlrec
