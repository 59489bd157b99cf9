// The manifest's `registries:` key: one login per registry, its password only ever a
// ${VAR} reference, never kept in the digest or the resolved-manifest cache.
#include <catch2/catch.hpp>

#include "manifest_test_support.h"
#include "manifests/manifest_digest.h"
#include "manifests/resolved_manifest_codec.h"

using Catch::Matchers::Contains;
using Catch::Matchers::VectorContains;
using jlrec::LoadResult;
using jlrec::testing::Edit;
using jlrec::testing::kMinimalManifest;
using jlrec::testing::Lines;
using jlrec::testing::ManifestFixture;

namespace {

constexpr const char* kPassword = "pw-Zq81-never-shown";

// kMinimalManifest pulling from 127.0.0.1:5001, followed (from line 15) by `registries`.
std::string WithRegistries(const std::string& registries) {
  std::string m = kMinimalManifest;
  Edit(m, "  image: img:1\n", "  image: 127.0.0.1:5001/team/app:1\n");
  return m + registries;
}

// A fixture whose environment holds the registry password.
struct PasswordFixture : ManifestFixture {
  PasswordFixture() { env["REGISTRY_PASSWORD"] = kPassword; }
};

// True when no diagnostic of `r` mentions `secret`.
bool Silent(const LoadResult& r, const std::string& secret) {
  for (const auto& line : Lines(r))
    if (line.find(secret) != std::string::npos) return false;
  return true;
}

}  // namespace

TEST_CASE("a registry login takes its password from the ${VAR} it names",
          "[manifests][registries]") {
  PasswordFixture f;
  f.env["REGISTRY_USER"] = "deployer";
  LoadResult r =
      f.Load(WithRegistries("registries:\n"
                            "  127.0.0.1:5001: {username: \"${REGISTRY_USER}\", password: "
                            "\"${REGISTRY_PASSWORD}\"}\n"
                            "  registry.example.com:\n"
                            "    username: ci\n"
                            "    password: ${REGISTRY_PASSWORD}\n"));
  INFO(Catch::Detail::stringify(Lines(r)));
  REQUIRE(r.ok());
  REQUIRE(r.state->registries.size() == 2);
  const auto& lab = r.state->registries.at("127.0.0.1:5001");
  CHECK(lab.registry == "127.0.0.1:5001");
  CHECK(lab.username == "deployer");
  CHECK(lab.password == kPassword);
  CHECK(r.state->registries.at("registry.example.com").username == "ci");
  // The second registry serves no image of this manifest: worth a warning, not an error.
  CHECK_THAT(Lines(r),
             VectorContains(f.At(17, 3) + ": warning: registry \"registry.example.com\" is the "
                                          "registry of no image in the manifest"));
}

TEST_CASE("a password written in the manifest is an error that does not repeat it",
          "[manifests][registries]") {
  PasswordFixture f;
  LoadResult r =
      f.Load(WithRegistries("registries:\n"
                            "  127.0.0.1:5001:\n"
                            "    username: ci\n"
                            "    password: hunter2-literal\n"));
  CHECK_FALSE(r.ok());
  CHECK_THAT(Lines(r),
             VectorContains(f.At(18, 15) +
                            ": error: the password of registry \"127.0.0.1:5001\" must be a "
                            "${VAR} reference to an environment variable of this machine, e.g. "
                            "\"${REGISTRY_PASSWORD}\" (a password written in the manifest is not "
                            "accepted)"));
  CHECK(Silent(r, "hunter2"));

  SECTION("so is a reference with text around it, or an escaped one") {
    for (const char* value : {"\"x${REGISTRY_PASSWORD}\"", "\"$${REGISTRY_PASSWORD}\"",
                              "\"${REGISTRY_PASSWORD}x\"", "\"${}\"", "[a, b]"}) {
      LoadResult bad = f.Load(WithRegistries(std::string("registries:\n"
                                                         "  127.0.0.1:5001:\n"
                                                         "    username: ci\n"
                                                         "    password: ") +
                                             value + "\n"));
      INFO(value);
      CHECK(bad.error_count() == 1);
      CHECK_THAT(Lines(bad)[0], Contains("must be a ${VAR} reference"));
      CHECK(Silent(bad, kPassword));
    }
  }
}

TEST_CASE("an unset or empty password variable is an error naming the variable only",
          "[manifests][registries]") {
  ManifestFixture f;
  const std::string manifest = WithRegistries(
      "registries:\n"
      "  127.0.0.1:5001: {username: ci, password: \"${LAB_REGISTRY_PASSWORD}\"}\n");
  LoadResult unset = f.Load(manifest);
  CHECK_THAT(Lines(unset),
             VectorContains(f.At(16, 44) + ": error: environment variable LAB_REGISTRY_PASSWORD is "
                                           "not set on this machine (referenced as "
                                           "${LAB_REGISTRY_PASSWORD})"));
  f.env["LAB_REGISTRY_PASSWORD"] = "";
  LoadResult empty = f.Load(manifest);
  CHECK_THAT(Lines(empty),
             VectorContains(f.At(16, 44) + ": error: the password of registry \"127.0.0.1:5001\" "
                                           "is empty (${LAB_REGISTRY_PASSWORD} is set to \"\")"));
}

TEST_CASE("a registry is written HOST[:PORT] as image references begin",
          "[manifests][registries]") {
  PasswordFixture f;
  auto problem_of = [&](const std::string& key) {
    LoadResult r = f.Load(WithRegistries(
        "registries:\n  \"" + key + "\": {username: ci, password: \"${REGISTRY_PASSWORD}\"}\n"));
    return r.error_count() == 1 ? Lines(r)[0] : Catch::Detail::stringify(Lines(r));
  };
  CHECK_THAT(problem_of("https://registry.example.com"),
             Contains(f.At(16, 3) + ": error: registry \"https://registry.example.com\": write "
                                    "the registry as HOST[:PORT]"));
  CHECK_THAT(problem_of("registry.example.com/team"), Contains("not as a URL or path"));
  CHECK_THAT(problem_of("index.docker.io"), Contains("Docker Hub is written docker.io"));
  CHECK_THAT(problem_of("127.0.0.1:0"), Contains("a number from 1 to 65535"));
  CHECK_THAT(problem_of("bad_host.example"), Contains("a DNS name or IPv4 address"));
  CHECK_THAT(problem_of("myregistry"),
             Contains("\"myregistry/app\" would be the Docker Hub repository myregistry/app"));
  for (const char* fine : {"docker.io", "localhost", "localhost:5000", "registry.example.com"}) {
    INFO(fine);
    LoadResult r = f.Load(WithRegistries(std::string("registries:\n  ") + fine +
                                         ": {username: ci, password: \"${REGISTRY_PASSWORD}\"}\n"));
    CHECK(r.ok());
  }
}

TEST_CASE("a registry entry needs a username and a password, and nothing else",
          "[manifests][registries]") {
  PasswordFixture f;
  LoadResult r =
      f.Load(WithRegistries("registries:\n"
                            "  127.0.0.1:5001: {usernme: ci, password: \"${REGISTRY_PASSWORD}\"}\n"
                            "  registry.example.com: {username: ci}\n"));
  // The misspelt key is not reported missing on top.
  CHECK(r.error_count() == 2);
  CHECK_THAT(Lines(r),
             VectorContains(f.At(16, 20) + ": error: unknown key \"usernme\" in registry "
                                           "\"127.0.0.1:5001\"; did you mean \"username\"?"));
  CHECK_THAT(Lines(r),
             VectorContains(f.At(17, 25) + ": error: registry \"registry.example.com\" has no "
                                           "\"password\" (a ${VAR} reference)"));
}

TEST_CASE("a registry declared in two manifest files is an error", "[manifests][registries]") {
  PasswordFixture f;
  f.dir.Write("more.yaml",
              "registries:\n"
              "  127.0.0.1:5001: {username: other, password: \"${REGISTRY_PASSWORD}\"}\n");
  LoadResult r = f.Load(
      WithRegistries("include: [more.yaml]\n"
                     "registries:\n"
                     "  127.0.0.1:5001: {username: ci, password: \"${REGISTRY_PASSWORD}\"}\n"));
  CHECK_THAT(Lines(r), VectorContains(f.At(2, 3, "more.yaml") +
                                      ": error: registry \"127.0.0.1:5001\" is already declared "
                                      "at " +
                                      f.dir.Path("m.yaml") + ":17"));
}

TEST_CASE("registry logins change neither the manifest digest nor the cached record",
          "[manifests][registries]") {
  PasswordFixture f;
  LoadResult without = f.Load(WithRegistries(""));
  LoadResult with = f.Load(WithRegistries(
      "registries:\n"
      "  127.0.0.1:5001: {username: cache-user, password: \"${REGISTRY_PASSWORD}\"}\n"));
  REQUIRE(without.ok());
  REQUIRE(with.ok());
  CHECK(with.state->manifest_digest == without.state->manifest_digest);
  CHECK(jlrec::ManifestDigest(*with.state, "") == with.state->manifest_digest);

  const std::string record = jlrec::EncodeResolvedManifest(*with.state, with.diagnostics);
  CHECK(record.find(kPassword) == std::string::npos);
  CHECK(record.find("cache-user") == std::string::npos);
  auto decoded = jlrec::DecodeResolvedManifest(record);
  REQUIRE(decoded.ok());
  CHECK(decoded->state.registries.empty());
  CHECK(decoded->state.manifest_digest == with.state->manifest_digest);
}
