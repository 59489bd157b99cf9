// The list- and map-valued columns: what the writer produces, the reader gives back exactly,
// escapes and non-ASCII included; anything else is a named error, never a crash.
#include <catch2/catch.hpp>

#include "state/json_columns.h"

namespace jlrec {
namespace {

TEST_CASE("column lists and maps round-trip escapes, control characters and UTF-8") {
  std::vector<std::string> list = {"",
                                   "plain",
                                   "quote \" backslash \\ slash /",
                                   "tab\tnewline\ncr\r",
                                   std::string("nul\0byte", 8),
                                   "\x01\x1f",
                                   "中文 容器",
                                   "emoji \xF0\x9F\x90\xB3"};
  auto back = StringListFromJson(StringListToJson(list), "t.list");
  REQUIRE(back.ok());
  CHECK(*back == list);

  std::map<std::string, std::string> map = {
      {"RUNTIME_MODE", "dev \"x\""}, {"键", "值\n"}, {"", "empty key"}};
  auto map_back = StringMapFromJson(StringMapToJson(map), "t.map");
  REQUIRE(map_back.ok());
  CHECK(*map_back == map);
}

TEST_CASE("column reader decodes \\u escapes, surrogate pairs included, and ignores spacing") {
  auto back = StringListFromJson(R"( [ "a\u00e9b" , "\ud83d\udc33", "\u4e2d" ] )", "t");
  REQUIRE(back.ok());
  CHECK(*back == std::vector<std::string>{"a\xC3\xA9"
                                          "b",
                                          "\xF0\x9F\x90\xB3", "\xE4\xB8\xAD"});
}

TEST_CASE("malformed columns are errors that name the column") {
  for (const char* text : {"", "[", "[\"a\"", "[\"a\",]", "{\"a\":1}", "[1]", "\"a\"", "[\"\\q\"]",
                           "[\"\\ud800\"]", "[\"a\"] x", "{\"a\" \"b\"}"}) {
    INFO(text);
    auto list = StringListFromJson(text, "containers.volumes");
    auto map = StringMapFromJson(text, "containers.labels");
    CHECK_FALSE(list.ok());
    CHECK_FALSE(map.ok());
    if (!list.ok()) CHECK(list.status().message().find("containers.volumes") != std::string::npos);
    if (!map.ok()) CHECK(map.status().message().find("containers.labels") != std::string::npos);
  }
}

TEST_CASE("spec column round-trips, skips fields a newer version added, and needs every field") {
  ContainerSpec spec;
  spec.command = {"/bin/sh", "-c", "echo \"hi\""};
  spec.network_mode = "host";
  spec.volumes = {"/data:/data:ro"};
  spec.restart = "unless-stopped";
  spec.ports = {"8080:80/tcp"};
  ContainerSpec back;
  REQUIRE(SpecFieldsFromJson(SpecFieldsToJson(spec), back).ok());
  CHECK(back.command == spec.command);
  CHECK(back.network_mode == spec.network_mode);
  CHECK(back.volumes == spec.volumes);
  CHECK(back.restart == spec.restart);
  CHECK(back.ports == spec.ports);

  ContainerSpec newer;
  CHECK(SpecFieldsFromJson(R"({"command":[],"network_mode":"none","volumes":[],"restart":"no",)"
                           R"("ports":[],"future_list":["x"],"future_text":"y"})",
                           newer)
            .ok());
  CHECK(newer.network_mode == "none");

  ContainerSpec partial;
  Status missing = SpecFieldsFromJson(R"({"command":[],"network_mode":"none"})", partial);
  CHECK_FALSE(missing.ok());
  CHECK(missing.message().find("missing volumes") != std::string::npos);
}

}  // namespace
}  // namespace jlrec
