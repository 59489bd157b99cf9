// Images from a registry that wants a login, on fake hosts: the refresh and the plan report
// a refused login per image as a warning (the host may hold the image), and apply fails
// exactly the actions that needed the pull, creating nothing.
#include <catch2/catch.hpp>

#include "apply_test_helpers.h"
#include "engine/diff.h"
#include "engine/refresh.h"
#include "providers/registry_auth.h"

namespace jlrec {
namespace {

using testing::Action;
using testing::MakePlan;
using testing::ProvidersFor;
using testing::RecordingObserver;
using State = ActionOutcome::State;

constexpr const char* kPrivateImage = "127.0.0.1:5001/jlrec-lab/private:1";
constexpr const char* kPassword = "fake-Secret-7";

// Logins given as a manifest's registries:, with no Docker client configuration.
std::shared_ptr<RegistryAuth> Logins(const std::string& password) {
  return std::make_shared<RegistryAuth>(
      std::map<std::string, RegistryLogin>{
          {"127.0.0.1:5001", RegistryLogin{"127.0.0.1:5001", "jlrec-lab", password}}},
      [] { return Result<std::optional<DockerClientConfig>>(std::nullopt); },
      [](const std::string&, const std::string&) {
        return Result<std::optional<RegistryCredential>>(std::nullopt);
      });
}

// A host whose registry 127.0.0.1:5001 wants jlrec-lab/kPassword and has the image.
void PrivateRegistry(FakeProvider& host) {
  host.RequireRegistryLogin("127.0.0.1:5001", "jlrec-lab", kPassword);
  host.SetRegistryDigest(kPrivateImage, "sha256:41dd");
}

// One container on lab1 from the private image.
DesiredState WantsPrivateImage() {
  DesiredState d;
  d.project = "jl";
  HostConnection h;
  h.key = "lab1";
  d.hosts["lab1"] = h;
  d.groups["product"] = GroupSettings{"product", false, "dev", ""};
  DesiredContainer c = testing::Desired("lab1/jl_private");
  c.spec.image = kPrivateImage;
  c.spec_digest = SpecDigest(c.spec);
  d.containers.push_back(c);
  return d;
}

// Creates lab1/jl_private from the private image, pulling it with `password`.
ApplyResult CreatePrivate(FakeProviderFactory& hosts, const std::string& password) {
  PlanAction create = Action(ActionKind::kCreate, "lab1/jl_private");
  create.desired->spec.image = kPrivateImage;
  create.desired->spec_digest = SpecDigest(create.desired->spec);
  Plan plan = MakePlan({create});
  PrivateRegistry(hosts.Host("lab1"));
  hosts.Host("lab1").SetRegistryAuth(Logins(password));
  Result<ApplyGraph> graph = BuildApplyGraph(plan);
  REQUIRE(graph.ok());
  RecordingObserver observer;
  return ExecutePlan(plan, *graph, ProvidersFor(hosts, plan), testing::FastApplyOptions(),
                     &observer);
}

TEST_CASE("apply pulls an image from a login-protected registry with the right login",
          "[engine][registry-auth]") {
  FakeProviderFactory hosts;
  ApplyResult r = CreatePrivate(hosts, kPassword);
  REQUIRE(r.succeeded == 1);
  CHECK(hosts.log().Count("PullImage") == 1);
  CHECK(hosts.Host("lab1").ImagePresent(kPrivateImage));
  CHECK(hosts.Host("lab1").Container("jl_private"));
}

TEST_CASE("a refused login fails the create with a clear error and creates nothing",
          "[engine][registry-auth]") {
  FakeProviderFactory hosts;
  ApplyResult r = CreatePrivate(hosts, "wrong-password");
  REQUIRE(r.failed == 1);
  const Status& error = r.outcomes[0].error;
  CHECK_THAT(error.message(),
             Catch::Contains("registry 127.0.0.1:5001 refused the credentials for jlrec-lab"));
  CHECK(error.message().find("wrong-password") == std::string::npos);
  CHECK(hosts.log().Count("CreateContainer") == 0);
  CHECK_FALSE(hosts.Host("lab1").Container("jl_private"));
  CHECK_FALSE(hosts.Host("lab1").ImagePresent(kPrivateImage));
}

TEST_CASE("the refresh checks a private tag with the login its ConnectOptions carry",
          "[engine][registry-auth]") {
  // Shared: the refresh's workers hold on to the factory.
  auto hosts = std::make_shared<FakeProviderFactory>();
  PrivateRegistry(hosts->Host("lab1"));
  DesiredState desired = WantsPrivateImage();
  RefreshOptions options;
  options.parallelism = 1;

  SECTION("the right login: the registry digest, and a plain create without warnings") {
    options.connect.registry_auth = Logins(kPassword);
    RefreshOutcome out = RefreshHosts(desired, {"lab1"}, hosts, options);
    REQUIRE(out.result.hosts.size() == 1);
    const HostSnapshot& snap = out.result.hosts[0];
    CHECK(snap.registry_digests.at(kPrivateImage) == "sha256:41dd");
    CHECK(snap.image_check_errors.empty());
    DiffOptions diff;
    diff.groups = {"product"};
    auto plan = ComputePlan(desired, out.result, diff);
    REQUIRE(plan.ok());
    CHECK(plan->warnings.empty());
    REQUIRE(plan->actions.size() == 1);
    CHECK(plan->actions[0].kind == ActionKind::kCreate);
  }
  SECTION("a wrong login: a warning naming registry and user; the image is not 'missing'") {
    options.connect.registry_auth = Logins("wrong-password");
    RefreshOutcome out = RefreshHosts(desired, {"lab1"}, hosts, options);
    const HostSnapshot& snap = out.result.hosts.at(0);
    CHECK(snap.missing_images.empty());
    DiffOptions diff;
    diff.groups = {"product"};
    auto plan = ComputePlan(desired, out.result, diff);
    REQUIRE(plan.ok());
    REQUIRE(plan->warnings.size() == 1);
    CHECK_THAT(
        plan->warnings[0],
        Catch::Contains("could not check the registry digest of " + std::string(kPrivateImage) +
                        " on lab1") &&
            Catch::Contains("registry 127.0.0.1:5001 refused the credentials for jlrec-lab"));
    CHECK(plan->actions.at(0).kind == ActionKind::kCreate);
  }
}

}  // namespace
}  // namespace jlrec
