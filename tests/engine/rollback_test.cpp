// The release record built from an apply, and rollback's choice of release (issue 13).
#include <catch2/catch.hpp>

#include "engine/release.h"
#include "engine/rollback.h"

using namespace jlrec;

namespace {

ReleasedContainer Entry(const std::string& name, const std::string& image_id,
                        const std::string& digest, std::vector<std::string> groups = {"product"}) {
  ReleasedContainer e;
  e.host = "h1";
  e.container = name;
  e.groups = std::move(groups);
  e.action = "replace";
  e.outcome = "succeeded";
  e.image = "127.0.0.1:5000/app:" + image_id;
  e.image_digest = digest;
  e.image_id = "sha256:" + image_id;
  e.container_id = "c-" + name;
  e.script_digest = "s";
  return e;
}

RefreshResult Running(std::map<std::string, std::string> image_by_name) {
  HostSnapshot h;
  h.host = "h1";
  h.reachable = true;
  for (const auto& [name, image] : image_by_name) {
    LiveContainer lc;
    lc.name = name;
    lc.id = "c-" + name;
    lc.image_id = "sha256:" + image;
    h.containers.push_back(lc);
  }
  return RefreshResult{{h}};
}

}  // namespace

TEST_CASE("rollback goes to the newest successful release that differs from what runs",
          "[rollback]") {
  std::vector<ReleaseCandidate> newest_first = {
      {3, false, {Entry("a", "3", "sha256:d3")}},  // failed: never a target
      {2, true, {Entry("a", "2", "sha256:d2")}},   // what runs now
      {1, true, {Entry("a", "1", "sha256:d1")}},
  };
  auto target = PreviousRelease(newest_first, "product", Running({{"a", "2"}}));
  REQUIRE(target.ok());
  CHECK(*target == 1);
  // After a rollback to 1, the same question goes forward again.
  target = PreviousRelease(newest_first, "product", Running({{"a", "1"}}));
  REQUIRE(target.ok());
  CHECK(*target == 2);
}

TEST_CASE("rollback refuses when no earlier release of the group exists", "[rollback]") {
  auto none = PreviousRelease({}, "product", Running({}));
  CHECK(none.status().code() == Status::Code::kNotFound);
  CHECK(none.status().message().find("no successful apply") != std::string::npos);
  auto same = PreviousRelease({{1, true, {Entry("a", "1", "sha256:d1")}}}, "product",
                              Running({{"a", "1"}}));
  CHECK(same.status().message().find("left the images it runs now") != std::string::npos);
  auto other_group = PreviousRelease({{1, true, {Entry("a", "1", "sha256:d1", {"test"})}}},
                                     "product", Running({{"a", "2"}}));
  CHECK_FALSE(other_group.ok());
}

TEST_CASE("a rollback pins each container of the group to the digest its release ran",
          "[rollback]") {
  DesiredState d;
  d.project = "jl";
  for (const char* name : {"a", "b", "t"}) {
    DesiredContainer c;
    c.host = "h1";
    c.name = name;
    c.groups = {std::string(name) == "t" ? "test" : "product"};
    c.spec.image = "127.0.0.1:5000/app:3";
    c.spec_digest = SpecDigest(c.spec);
    d.containers.push_back(c);
  }
  ReleasedContainer local_only = Entry("b", "1", "");
  std::vector<std::string> missing;
  DesiredState pinned =
      PinnedToRelease(d, "product", {Entry("a", "1", "sha256:d1"), local_only}, &missing);
  CHECK(pinned.containers[0].spec.image == "127.0.0.1:5000/app@sha256:d1");
  CHECK(pinned.containers[0].spec_digest == SpecDigest(pinned.containers[0].spec));
  CHECK(pinned.containers[1].spec.image == "sha256:1");  // no registry digest: the image id
  CHECK(pinned.containers[2].spec.image == "127.0.0.1:5000/app:3");  // another group
  CHECK(missing.empty());
  PinnedToRelease(d, "product", {Entry("a", "1", "sha256:d1")}, &missing);
  CHECK(missing == std::vector<std::string>{"h1/b"});
}

TEST_CASE("the release record holds every container of the plan as the hosts show it after",
          "[release]") {
  Plan plan;
  PlanAction replace;
  replace.kind = ActionKind::kReplace;
  replace.host = "h1";
  replace.name = "a";
  replace.groups = {"product"};
  replace.desired = DesiredContainer{};
  replace.desired->spec.image = "127.0.0.1:5000/app:2";
  PlanAction conflict;
  conflict.kind = ActionKind::kConflict;
  conflict.host = "h1";
  conflict.name = "c";
  plan.actions = {replace, conflict};
  plan.noops.push_back({"h1", "b", {"product"}, true});
  ApplyResult result;
  result.outcomes.resize(2);
  result.outcomes[0].state = ActionOutcome::State::kFailed;
  result.outcomes[0].rolled_back = true;
  result.outcomes[1].state = ActionOutcome::State::kSkipped;
  RefreshResult after = Running({{"a", "1"}, {"b", "1"}});
  after.hosts[0].containers[0].script_digest = "sa";
  after.hosts[0].containers[1].spec.image = "127.0.0.1:5000/app:1";
  std::map<std::string, const HostSnapshot*> view{{"h1", &after.hosts[0]}};
  auto release = ReleaseOf(plan, result, view,
                           [](const std::string&, const std::string& image, const std::string& id) {
                             return "sha256:of-" + image + "-" + id;
                           });
  REQUIRE(release.size() == 3);
  CHECK(release[0].container == "a");
  CHECK(release[0].outcome == "rolled back");
  CHECK(release[0].image == "127.0.0.1:5000/app:2");  // what the run asked for
  CHECK(release[0].image_id == "sha256:1");           // what runs
  CHECK(release[0].script_digest == "sa");
  CHECK(release[1].container == "c");
  CHECK(release[1].outcome == "skipped");
  CHECK(release[1].container_id.empty());
  CHECK(release[2].container == "b");
  CHECK(release[2].outcome == "unchanged");
  CHECK(release[2].action == "noop");
  CHECK(release[2].core);
  CHECK(release[2].image == "127.0.0.1:5000/app:1");
  CHECK(release[2].image_digest == "sha256:of-127.0.0.1:5000/app:1-sha256:1");
}
