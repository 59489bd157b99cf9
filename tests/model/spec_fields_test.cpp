// The spec's field list (model/spec_fields.h): it names every field in the order the
// encodings were written in, and every field it names reaches the digest and the binary
// form. The encodings' bytes themselves are pinned in container_spec_test.cpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "model/byte_codec.h"
#include "model/member_count.h"
#include "model/spec_fields.h"
#include "spec_field_samples.h"

namespace jlrec {
namespace {

template <class Struct>
std::vector<std::string> Names() {
  std::vector<std::string> names;
  ForEachField<Struct>([&](const auto& field) { names.emplace_back(field.traits.name); });
  return names;
}

std::string Encoded(const ContainerSpec& spec) {
  ByteWriter w;
  WriteSpec(w, spec);
  return w.Take();
}

ContainerSpec Decoded(const std::string& bytes) {
  ByteReader r(bytes);
  ContainerSpec spec;
  ReadSpec(r, spec);
  CHECK(r.ok());
  CHECK(r.AtEnd());
  return spec;
}

struct Three {
  std::string a;
  std::vector<std::string> b;
  int c = 0;
};
static_assert(MemberCount<Three>() == 3);
static_assert(MemberCount<ContainerSpec>() == FieldCount<ContainerSpec>());

// The first N names of Struct's list (all of them if it has fewer).
template <class Struct>
std::vector<std::string> FirstNames(size_t n) {
  std::vector<std::string> names = Names<Struct>();
  names.resize(std::min(n, names.size()));
  return names;
}

TEST_CASE("the field list keeps the fields the encodings always had, in their order") {
  // The order is part of the digest and of the binary form: it never changes. New fields
  // come after these.
  CHECK(FirstNames<ContainerSpec>(8) == std::vector<std::string>{"image", "command", "network_mode",
                                                                 "volumes", "restart", "ports",
                                                                 "labels", "healthcheck"});
  CHECK(FirstNames<Healthcheck>(4) ==
        std::vector<std::string>{"command", "timeout", "interval", "retries"});
}

TEST_CASE("a spec with every field set leaves no field at its default") {
  const ContainerSpec spec = spec_samples::EveryFieldSet();
  ForEachField<ContainerSpec>([&](const auto& field) {
    INFO(field.traits.name);
    CHECK_FALSE(HoldsDefault(field, spec));
  });
  ForEachField<Healthcheck>([&](const auto& field) {
    INFO(field.traits.name);
    CHECK_FALSE(HoldsDefault(field, *spec.healthcheck));
  });
}

TEST_CASE("every field reaches the digest and the binary form, and reads back") {
  for (const ContainerSpec& base : {ContainerSpec{}, spec_samples::EveryFieldSet()}) {
    CHECK(Decoded(Encoded(base)) == base);
    std::set<std::string> digests = {SpecDigest(base)};
    for (const auto& [name, changed] : spec_samples::EachFieldChanged(base)) {
      INFO(name);
      CHECK(digests.insert(SpecDigest(changed)).second);  // differs from base and the others
      CHECK(Encoded(changed) != Encoded(base));
      CHECK(Decoded(Encoded(changed)) == changed);
    }
  }
}

}  // namespace
}  // namespace jlrec
