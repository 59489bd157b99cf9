// RefreshHost on the fake provider: what it reads, and the /run.sh reads it can skip.
#include <catch2/catch.hpp>

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

}  // namespace
}  // namespace jlrec
