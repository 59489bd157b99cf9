// The resolved-manifest cache table: one record per manifest path, replaced in place.
#include <catch2/catch.hpp>

#include "state/state_test_support.h"

namespace jlrec {
namespace {

ResolvedManifestRecord Record(const std::string& manifest, const std::string& digest) {
  ResolvedManifestRecord r;
  r.manifest = manifest;
  r.inputs = "file " + manifest + "\n";
  r.inputs_digest = digest;
  r.model = std::string("JLRM\0\x01binary\xff", 13);
  r.saved_at = 1700000000;
  return r;
}

TEST_CASE("a resolved manifest record loads back byte for byte, by manifest path",
          "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  auto none = store->LoadResolvedManifest("/m/jlrec.yaml");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  auto no_digest = store->ResolvedManifestDigest("/m/jlrec.yaml");
  REQUIRE(no_digest.ok());
  CHECK(no_digest->empty());

  REQUIRE(store->SaveResolvedManifest(Record("/m/jlrec.yaml", "d1")).ok());
  REQUIRE(store->SaveResolvedManifest(Record("/other/jlrec.yaml", "d9")).ok());
  auto reader = state.Open();
  auto got = reader->LoadResolvedManifest("/m/jlrec.yaml");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  const ResolvedManifestRecord want = Record("/m/jlrec.yaml", "d1");
  CHECK((*got)->inputs == want.inputs);
  CHECK((*got)->inputs_digest == "d1");
  CHECK((*got)->model == want.model);
  CHECK((*got)->saved_at == want.saved_at);
  CHECK(*reader->ResolvedManifestDigest("/other/jlrec.yaml") == "d9");
}

TEST_CASE("saving a manifest's resolution again replaces its record", "[state][contract]") {
  test::ScratchState state(EACH_STATE_BACKEND);
  INFO(state.Name());
  auto store = state.Open();
  REQUIRE(store->SaveResolvedManifest(Record("/m/jlrec.yaml", "d1")).ok());
  ResolvedManifestRecord newer = Record("/m/jlrec.yaml", "d2");
  newer.model = "newer";
  REQUIRE(store->SaveResolvedManifest(newer).ok());
  auto got = store->LoadResolvedManifest("/m/jlrec.yaml");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((*got)->inputs_digest == "d2");
  CHECK((*got)->model == "newer");
}

}  // namespace
}  // namespace jlrec
