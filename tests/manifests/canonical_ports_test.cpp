// Ports resolve to Docker's canonical form, so what apply wrote reads back unchanged.
#include <catch2/catch.hpp>

#include "manifest_test_support.h"

using jlrec::testing::Container;
using jlrec::testing::Edit;
using jlrec::testing::kMinimalManifest;
using jlrec::testing::ManifestFixture;

TEST_CASE("ports resolve to the canonical form Docker reads back", "[resolution]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n",
       "  image: img:1\n  ports: [\"9090:90\", \"8080:80/udp\", \"127.0.0.1:7000-7001:70-71\"]\n");
  auto loaded = f.Load(yaml);
  const auto& c = Container(loaded, "h1/c1");
  CHECK(c.spec.ports == std::vector<std::string>{"127.0.0.1:7000:70/tcp", "127.0.0.1:7001:71/tcp",
                                                 "8080:80/udp", "9090:90/tcp"});
}
