// `jlrec plan --refresh=false` and the resolved-manifest cache, as an operator meets them:
// the second plan of an unchanged manifest reads its resolution from the state file, prints
// exactly what a full load prints, and any edit or variable change loads it again.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "model/state_store.h"
#include "state/sqlite_state_store.h"
#include "state/state_key.h"
#include "support/subprocess.h"

using jlrec::testing::ProcessResult;
using jlrec::testing::RunJlrec;

namespace {

const std::string kSource = JLREC_SOURCE_DIR;
constexpr const char* kFromCache = "from the cache";

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class PlanCacheFixture {
 public:
  PlanCacheFixture() {
    std::random_device random;
    dir_ = std::filesystem::temp_directory_path() / ("jlrec-cli-cache-" + std::to_string(random()));
    std::filesystem::create_directories(dir_);
    Write(Manifest("dev_new"));
  }
  ~PlanCacheFixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Two hosts, a core and a worker, a variable from the environment and a secret.
  static std::string Manifest(const std::string& runtime_mode) {
    return "version: 1\n"
           "project: cachetest\n"
           "defaults:\n"
           "  image: 127.0.0.1:5000/jlrec-lab/base:1\n"
           "  template: " +
           kSource +
           "/templates/jiliang_run.sh.tmpl\n"
           "  env: {TZ: Asia/Shanghai, DB_PASSWORD: \"${JLREC_TEST_DB_PASSWORD}\"}\n"
           "  secret_env: [DB_PASSWORD]\n"
           "hosts:\n"
           "  h1: {address: 127.0.0.2, port: 2222}\n"
           "  h2: {address: 127.0.0.3, port: 2222}\n"
           "groups:\n"
           "  product: {runtime_mode: " +
           runtime_mode +
           "}\n"
           "units:\n"
           "  - {host: h1, dockers: [core], group: [product], core: true}\n"
           "  - {host: h2, dockers: [w1, w2], group: [product]}\n";
  }

  void Write(const std::string& text) const {
    std::ofstream(Path("jlrec.yaml"), std::ios::trunc) << text;
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  ProcessResult Plan(const std::string& password = "s3cret-pw",
                     std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {"plan", "product",         "--refresh=false",
                                     "-v",   "--state",         Path("state.db"),
                                     "-m",   Path("jlrec.yaml")};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunJlrec(args, "", {{"JLREC_TEST_DB_PASSWORD", password}});
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace

TEST_CASE(
    "a second plan from the cache reads the unchanged manifest's resolution and prints "
    "the same plan",
    "[cli][plan][cache]") {
  PlanCacheFixture f;
  ProcessResult first = f.Plan();
  INFO(first.out << first.err);
  CHECK(first.exit_code == 1);  // nothing refreshed yet: every host is unknown
  CHECK(Has(first.out, "? h1/core"));
  CHECK_FALSE(Has(first.err, kFromCache));

  ProcessResult second = f.Plan();
  INFO(second.err);
  CHECK(Has(second.err, kFromCache));
  CHECK(second.exit_code == first.exit_code);
  CHECK(second.out == first.out);

  ProcessResult json_full = f.Plan("another-pw", {"--json"});
  ProcessResult json_cached = f.Plan("another-pw", {"--json"});
  CHECK_FALSE(Has(json_full.err, kFromCache));
  CHECK(Has(json_cached.err, kFromCache));
  CHECK(json_cached.out == json_full.out);

  std::ifstream state(f.Path("state.db"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(state)), std::istreambuf_iterator<char>());
  CHECK(bytes.find("s3cret-pw") == std::string::npos);
  CHECK(bytes.find("another-pw") == std::string::npos);
}

TEST_CASE("an edited manifest, template input or variable is loaded again, never served stale",
          "[cli][plan][cache]") {
  PlanCacheFixture f;
  REQUIRE_FALSE(Has(f.Plan().err, kFromCache));
  REQUIRE(Has(f.Plan().err, kFromCache));

  SECTION("a variable the manifest expands") {
    ProcessResult r = f.Plan("changed-pw");
    CHECK_FALSE(Has(r.err, kFromCache));
    CHECK(Has(f.Plan("changed-pw").err, kFromCache));
  }
  SECTION("the manifest") {
    f.Write(PlanCacheFixture::Manifest("prod_new"));
    CHECK_FALSE(Has(f.Plan().err, kFromCache));
  }
  SECTION("an edit that breaks the manifest is reported, with its position") {
    f.Write(PlanCacheFixture::Manifest("prod_new") + "units: oops\n");
    ProcessResult r = f.Plan();
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(Has(r.err, f.Path("jlrec.yaml") + ":"));
    CHECK_FALSE(Has(r.err, kFromCache));
    CHECK(r.out.empty());
  }
}

// The attack the adversarial round found: an altered cached model in the state file planned
// (and, through a saved plan, applied) another image than the manifest asks for.
TEST_CASE("a cached resolution altered inside the state file is never used", "[cli][plan][cache]") {
  PlanCacheFixture f;
  ProcessResult full = f.Plan();
  REQUIRE(Has(f.Plan().err, kFromCache));
  {
    auto store = jlrec::OpenSqliteStateStore(f.Path("state.db"));
    REQUIRE(store.ok());
    auto records = (*store)->LoadResolvedManifest(f.Path("jlrec.yaml"));
    REQUIRE(records.ok());
    REQUIRE(records->has_value());
    jlrec::ResolvedManifestRecord record = **records;
    const auto at = record.model.find("jlrec-lab/base:1");
    REQUIRE(at != std::string::npos);
    record.model.replace(at, std::string("jlrec-lab/base:1").size(), "jlrec-lab/evil:1");
    REQUIRE((*store)->SaveResolvedManifest(record).ok());
  }
  ProcessResult altered = f.Plan();
  INFO(altered.err);
  CHECK_FALSE(Has(altered.err, kFromCache));
  CHECK(Has(altered.err, "failed its integrity check"));
  CHECK(altered.out == full.out);
  CHECK_FALSE(Has(altered.out, "evil"));
  // The full load wrote a good record again.
  CHECK(Has(f.Plan().err, kFromCache));
}

TEST_CASE("a record written under another state key is loaded again in full, quietly",
          "[cli][plan][cache]") {
  PlanCacheFixture f;
  ProcessResult full = f.Plan();
  REQUIRE(Has(f.Plan().err, kFromCache));
  const std::string key = jlrec::StateKeyPath(f.Path("state.db"));
  REQUIRE(std::filesystem::remove(key));
  ProcessResult keyless = f.Plan();
  INFO(keyless.err);
  CHECK_FALSE(Has(keyless.err, kFromCache));
  CHECK_FALSE(Has(keyless.err, "integrity"));
  CHECK(keyless.out == full.out);
  CHECK(std::filesystem::exists(key));
  CHECK(Has(f.Plan().err, kFromCache));
}
