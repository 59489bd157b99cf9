#include "providers/url_encoding.h"

#include <catch2/catch.hpp>

#include "providers/fake_streams.h"

namespace jlrec {
namespace {

TEST_CASE("percent-encodes everything but unreserved characters", "[providers][url]") {
  CHECK(PercentEncode("abcXYZ019-._~") == "abcXYZ019-._~");
  CHECK(PercentEncode("a b&c=d/e?f#g%h+i") == "a%20b%26c%3Dd%2Fe%3Ff%23g%25h%2Bi");
  CHECK(PercentEncode(std::string("\0\xff\n", 3)) == "%00%FF%0A");
  CHECK(PercentEncode("测") == "%E6%B5%8B");
  CHECK(PercentEncode("127.0.0.1:5000/repo/name:1@sha256:ab", "/:@") ==
        "127.0.0.1:5000/repo/name:1@sha256:ab");
  CHECK(PercentEncode("a b", "/:@") == "a%20b");
}

TEST_CASE("builds query strings that decode back to the values", "[providers][url]") {
  CHECK(BuildQuery({}).empty());
  const std::string filters = R"({"label":["jlrec.project=a&b c"],"name":["^/x\\.y$"]})";
  std::string q = BuildQuery({{"all", "1"}, {"filters", filters}});
  CHECK(q.rfind("?all=1&filters=", 0) == 0);
  CHECK(q.find_first_of(" \"{}[]&=", 15) == std::string::npos);
  CHECK(testing::PercentDecode(q.substr(15)) == filters);
}

}  // namespace
}  // namespace jlrec
