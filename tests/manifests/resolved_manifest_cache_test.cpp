// The resolved-manifest cache's two halves: what a load read (ManifestInputs, and whether
// it is unchanged) and the desired state without scripts or env (the codec).
#include <catch2/catch.hpp>

#include <filesystem>

#include "manifests/manifest_inputs.h"
#include "manifests/manifest_loader.h"
#include "manifests/manifest_test_support.h"
#include "manifests/resolved_manifest_codec.h"

using jlrec::DecodeManifestInputs;
using jlrec::DecodeResolvedManifest;
using jlrec::DesiredState;
using jlrec::Diagnostic;
using jlrec::DigestInputs;
using jlrec::EncodeManifestInputs;
using jlrec::EncodeResolvedManifest;
using jlrec::LoadManifest;
using jlrec::LoadOptions;
using jlrec::LoadResult;
using jlrec::ManifestInputs;
using jlrec::RecordedInputsDigest;
using jlrec::testing::kMinimalManifest;
using jlrec::testing::kTestTemplate;
using jlrec::testing::ScratchDir;

namespace {

// A manifest with an include, a template, an expanded variable and a secret.
struct CachedManifestFixture {
  ScratchDir dir;
  std::map<std::string, std::string> env{{"DB_PASS", "hunter2-secret-value"}, {"HOME", "/root"}};
  std::string root;

  CachedManifestFixture() {
    dir.Write("t.tmpl", kTestTemplate);
    dir.Write("more.yaml",
              "units:\n"
              "  - host: h1\n"
              "    dockers: [c2]\n"
              "    group: [g]\n");
    root = dir.Write("m.yaml", std::string(kMinimalManifest) + "include: [more.yaml]\n");
  }

  jlrec::EnvLookup Lookup() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
  }

  LoadResult Load(ManifestInputs* inputs) const {
    LoadOptions options;
    options.getenv = Lookup();
    options.inputs = inputs;
    return LoadManifest(root, options);
  }
};

// kMinimalManifest plus an include and a secret env value read from ${DB_PASS}.
std::string WithSecret() {
  std::string m = kMinimalManifest;
  jlrec::testing::Edit(m, "  template: t.tmpl\n",
                       "  template: t.tmpl\n"
                       "  env: {DB_PASSWORD: \"${DB_PASS}\", TZ: Asia/Shanghai}\n"
                       "  secret_env: [DB_PASSWORD]\n");
  return m + "include: [more.yaml]\n";
}

}  // namespace

TEST_CASE("a load records every file it read and every variable it looked up",
          "[manifests][cache]") {
  CachedManifestFixture f;
  f.dir.Write("m.yaml", WithSecret());
  ManifestInputs inputs;
  LoadResult r = f.Load(&inputs);
  for (const auto& line : jlrec::testing::Lines(r)) UNSCOPED_INFO(line);
  REQUIRE(r.ok());
  CHECK(inputs.files ==
        std::vector<std::string>{f.root, f.dir.Path("more.yaml"), f.dir.Path("t.tmpl")});
  CHECK(inputs.env_names == std::vector<std::string>{"DB_PASS"});
  CHECK(inputs.cwd.empty());  // an absolute manifest path does not depend on it
  CHECK(inputs.listed_folder.empty());
  auto encoded = EncodeManifestInputs(inputs);
  CHECK(encoded.find("hunter2") == std::string::npos);
  auto decoded = DecodeManifestInputs(encoded);
  REQUIRE(decoded.ok());
  CHECK(decoded->files == inputs.files);
  CHECK(decoded->env_names == inputs.env_names);
}

TEST_CASE("the inputs digest changes with any file, variable or folder listing it covers",
          "[manifests][cache]") {
  CachedManifestFixture f;
  f.dir.Write("m.yaml", WithSecret());
  ManifestInputs inputs;
  REQUIRE(f.Load(&inputs).ok());
  const std::string recorded = RecordedInputsDigest(inputs);
  REQUIRE(recorded.size() == 64);
  auto now = DigestInputs(inputs, f.Lookup());
  REQUIRE(now.ok());
  CHECK(*now == recorded);  // nothing changed since the load

  SECTION("the template") {
    f.dir.Write("t.tmpl", std::string(kTestTemplate) + "# edited\n");
    CHECK(*DigestInputs(inputs, f.Lookup()) != recorded);
  }
  SECTION("an included file") {
    f.dir.Write("more.yaml", "units: []\n");
    CHECK(*DigestInputs(inputs, f.Lookup()) != recorded);
  }
  SECTION("a variable's value") {
    f.env["DB_PASS"] = "another";
    CHECK(*DigestInputs(inputs, f.Lookup()) != recorded);
  }
  SECTION("a variable that becomes unset") {
    f.env.erase("DB_PASS");
    CHECK(*DigestInputs(inputs, f.Lookup()) != recorded);
  }
  SECTION("a variable the manifest does not use") {
    f.env["UNRELATED"] = "x";
    CHECK(*DigestInputs(inputs, f.Lookup()) == recorded);
  }
  SECTION("a file that is gone is an error, never a match") {
    std::filesystem::remove(f.dir.Path("more.yaml"));
    CHECK_FALSE(DigestInputs(inputs, f.Lookup()).ok());
  }
}

TEST_CASE("a folder manifest's digest covers its listing", "[manifests][cache]") {
  ScratchDir dir;
  dir.Write("t.tmpl", kTestTemplate);
  std::string m = kMinimalManifest;
  jlrec::testing::Edit(m, "  template: t.tmpl\n", "  template: ../t.tmpl\n");
  dir.Write("site/a.yaml", m);
  ManifestInputs inputs;
  LoadOptions options;
  options.getenv = [](const std::string&) { return std::nullopt; };
  options.inputs = &inputs;
  LoadResult r = LoadManifest(dir.Path("site"), options);
  REQUIRE(r.ok());
  CHECK(inputs.listed_folder == dir.Path("site"));
  const std::string recorded = RecordedInputsDigest(inputs);
  CHECK(*DigestInputs(inputs, options.getenv) == recorded);
  dir.Write("site/b.yml", "units: []\n");
  CHECK(*DigestInputs(inputs, options.getenv) != recorded);
}

TEST_CASE("a cached desired state keeps everything a plan compares and no secret",
          "[manifests][cache]") {
  CachedManifestFixture f;
  std::string m = WithSecret();
  jlrec::testing::Edit(m, "  g: {runtime_mode: dev}\n",
                       "  g: {runtime_mode: dev}\n  idle: {runtime_mode: x}\n");  // a warning
  f.dir.Write("m.yaml", m);
  LoadResult r = f.Load(nullptr);
  REQUIRE(r.ok());
  REQUIRE(r.warning_count() > 0);
  const DesiredState& full = *r.state;
  std::vector<Diagnostic> diagnostics = r.diagnostics;
  Diagnostic error;
  error.message = "an error is never cached";
  diagnostics.push_back(error);

  std::string bytes = EncodeResolvedManifest(full, diagnostics);
  CHECK(bytes.find("hunter2-secret-value") == std::string::npos);
  CHECK(bytes.find("echo start") == std::string::npos);  // no rendered script

  auto decoded = DecodeResolvedManifest(bytes);
  REQUIRE(decoded.ok());
  const DesiredState& cached = decoded->state;
  CHECK(cached.digests_only);
  CHECK(cached.project == full.project);
  CHECK(cached.manifest_digest == full.manifest_digest);
  CHECK(cached.hosts == full.hosts);
  CHECK(cached.max_per_host == full.max_per_host);
  REQUIRE(cached.groups.size() == full.groups.size());
  for (const auto& [name, g] : full.groups) {
    CHECK(cached.groups.at(name).runtime_mode == g.runtime_mode);
    CHECK(cached.groups.at(name).enable_monitor == g.enable_monitor);
    CHECK(cached.groups.at(name).max_unavailable == g.max_unavailable);
  }
  REQUIRE(cached.containers.size() == full.containers.size());
  for (size_t i = 0; i < full.containers.size(); ++i) {
    const auto& a = full.containers[i];
    const auto& b = cached.containers[i];
    CHECK(b.Ref() == a.Ref());
    CHECK(b.groups == a.groups);
    CHECK(b.core == a.core);
    CHECK(b.unit_index == a.unit_index);
    CHECK(b.spec == a.spec);
    CHECK(b.secret_env == a.secret_env);
    CHECK(b.spec.healthcheck == a.spec.healthcheck);
    CHECK(b.script_digest == a.script_digest);
    CHECK(b.spec_digest == a.spec_digest);
    CHECK(b.depends_on == a.depends_on);
    CHECK(b.script.empty());
    CHECK(b.env.empty());
  }
  int warnings = 0;
  for (const auto& d : diagnostics) warnings += d.severity == Diagnostic::Severity::kWarning;
  CHECK(static_cast<int>(decoded->warnings.size()) == warnings);
  for (const auto& w : decoded->warnings) CHECK(w.message != error.message);
}

TEST_CASE("a truncated or corrupt cache record is refused, never half-read", "[manifests][cache]") {
  CachedManifestFixture f;
  f.dir.Write("m.yaml", WithSecret());
  LoadResult r = f.Load(nullptr);
  REQUIRE(r.ok());
  std::string bytes = EncodeResolvedManifest(*r.state, {});
  for (size_t cut = 0; cut < bytes.size(); cut += 7)
    CHECK_FALSE(DecodeResolvedManifest(std::string_view(bytes).substr(0, cut)).ok());
  CHECK_FALSE(DecodeResolvedManifest(bytes + "x").ok());
  std::string other_format = bytes;
  other_format[4] = 9;
  auto refused = DecodeResolvedManifest(other_format);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().find("format") != std::string::npos);
  // A count far larger than the record: refused without trying to allocate for it.
  std::string huge_count = bytes;
  for (size_t i = 0; i < huge_count.size(); i += 13) {
    std::string flipped = huge_count;
    flipped[i] = static_cast<char>(0xff);
    (void)DecodeResolvedManifest(flipped);  // must not crash or hang
  }
}
