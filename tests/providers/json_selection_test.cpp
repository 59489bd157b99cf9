// Parsing only the selected members of a JSON answer, as it is read.
#include "providers/json_selection.h"

#include <catch2/catch.hpp>

#include <sstream>

namespace jlrec {
namespace {

using nlohmann::json;

TEST_CASE("a selection keeps the named members, nested ones by their own selection",
          "[providers][json]") {
  std::istringstream in(R"({"Id":"abc","Env":["A=1","B=2"],"Config":{"Image":"app:1",)"
                        R"("Env":["SECRET=x"],"Labels":{"a":"1"}},"Mounts":[{"Source":"/x"}]})");
  const JsonSelection keep = {{"Id", {}}, {"Config", {{"Image", {}}, {"Labels", {}}}}};
  auto parsed = ParseSelectedJson(in, keep);
  REQUIRE(parsed.ok());
  CHECK(*parsed == json::parse(R"({"Id":"abc","Config":{"Image":"app:1","Labels":{"a":"1"}}})"));
}

TEST_CASE("a selection applies to each object of an array value", "[providers][json]") {
  std::istringstream in(R"({"Items":[{"Name":"a","Size":1},{"Name":"b","Size":2}],"X":1})");
  auto parsed = ParseSelectedJson(in, {{"Items", {{"Name", {}}}}});
  REQUIRE(parsed.ok());
  CHECK(*parsed == json::parse(R"({"Items":[{"Name":"a"},{"Name":"b"}]})"));
}

TEST_CASE("an empty selection keeps the whole document", "[providers][json]") {
  const std::string text = R"({"a":[1,2,{"b":null}],"c":true,"d":1.5,"e":-3})";
  std::istringstream in(text);
  auto parsed = ParseSelectedJson(in, {});
  REQUIRE(parsed.ok());
  CHECK(*parsed == json::parse(text));
}

TEST_CASE("text that is not one JSON document is refused as not JSON", "[providers][json]") {
  for (const char* text : {"", "{\"a\":", "{\"a\":1} trailing", "<html>"}) {
    std::istringstream in(text);
    auto parsed = ParseSelectedJson(in, {{"a", {}}});
    INFO(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == Status::Code::kRemoteError);
    CHECK_THAT(parsed.status().message(), Catch::StartsWith("not JSON"));
  }
}

TEST_CASE("a string or number longer than the token cap is refused before it is held whole",
          "[providers][json]") {
  const std::string huge(kMaxJsonTokenBytes + 1, '7');
  for (const std::string& text :
       {"[\"" + huge + "\"]", "{\"Id\":" + huge + "}", "[{\"Id\":\"x\\\"" + huge + "\"}]"}) {
    std::istringstream in(text);
    int elements = 0;
    Status parsed = ParseSelectedJsonArray(in, {{"Id", {}}}, [&](json&) {
      ++elements;
      return Status::Ok();
    });
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.code() == Status::Code::kRemoteError);
    CHECK_THAT(parsed.message(), Catch::Contains("longer than 4 MiB"));
    CHECK(elements == 0);
  }
}

TEST_CASE("long strings under the token cap, escapes and all, parse as before",
          "[providers][json]") {
  const std::string long_value(kMaxJsonTokenBytes - 16, 'a');
  // Quotes and backslashes inside strings neither end a token nor start one.
  const std::string text = R"({"Id":"a\"b\\","Env":[")" + long_value + R"("],"N":12345})";
  std::istringstream in(text);
  auto parsed = ParseSelectedJson(in, {});
  REQUIRE(parsed.ok());
  CHECK((*parsed)["Id"] == "a\"b\\");
  CHECK((*parsed)["Env"][0].get<std::string>().size() == long_value.size());
  CHECK((*parsed)["N"] == 12345);
}

TEST_CASE("an array's elements are handed over one at a time with what is selected of them",
          "[providers][json]") {
  std::istringstream in(R"([{"Id":"1","Big":"xxx"},{"Id":"2","Big":"yyy"},{"Id":"3"}])");
  std::vector<json> seen;
  Status parsed = ParseSelectedJsonArray(in, {{"Id", {}}}, [&](json& element) {
    seen.push_back(element);
    return Status::Ok();
  });
  REQUIRE(parsed.ok());
  REQUIRE(seen.size() == 3);
  CHECK(seen[0] == json::parse(R"({"Id":"1"})"));
  CHECK(seen[2] == json::parse(R"({"Id":"3"})"));
}

TEST_CASE("an element handler's error stops the parse and is returned", "[providers][json]") {
  std::istringstream in(R"([{"Id":"1"},{"Id":"2"},{"Id":"3"}])");
  int calls = 0;
  Status parsed = ParseSelectedJsonArray(in, {}, [&](json&) {
    return ++calls == 2 ? Status::RemoteError("second is bad") : Status::Ok();
  });
  CHECK(calls == 2);
  CHECK(parsed.message() == "second is bad");
}

TEST_CASE("a document that is not an array is refused where an array is expected",
          "[providers][json]") {
  std::istringstream in(R"({"message":"page not found"})");
  Status parsed = ParseSelectedJsonArray(in, {}, [](json&) { return Status::Ok(); });
  CHECK(parsed.code() == Status::Code::kRemoteError);
  CHECK(parsed.message() == "not a JSON array");
}

}  // namespace
}  // namespace jlrec
