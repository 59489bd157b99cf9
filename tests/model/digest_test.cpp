// Digests: the plain SHA-256 that compares specs, and the keyed one that stores nothing a
// guess could be checked against.
#include "model/digest.h"

#include <catch2/catch.hpp>

namespace jlrec {
namespace {

TEST_CASE("sha256 matches the published test vector", "[model][digest]") {
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("hmac-sha256 matches RFC 4231 and depends on the key", "[model][digest]") {
  // RFC 4231, test case 2.
  CHECK(HmacSha256Hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(HmacSha256Hex("another key", "what do ya want for nothing?") !=
        HmacSha256Hex("Jefe", "what do ya want for nothing?"));
  CHECK(HmacSha256Hex("Jefe", "what do ya want for nothing?") !=
        Sha256Hex("what do ya want for nothing?"));
}

TEST_CASE("digests compare equal only when every byte and the length are equal",
          "[model][digest]") {
  const std::string d = Sha256Hex("x");
  CHECK(DigestsEqual(d, d));
  CHECK_FALSE(DigestsEqual(d, d.substr(0, 63)));
  std::string last = d;
  last.back() = last.back() == '0' ? '1' : '0';
  CHECK_FALSE(DigestsEqual(d, last));
  CHECK(DigestsEqual("", ""));
}

}  // namespace
}  // namespace jlrec
