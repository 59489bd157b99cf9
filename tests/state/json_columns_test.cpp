// The list- and map-valued columns: what the writer produces, the reader gives back exactly,
// escapes and non-ASCII included; anything else is a named error, never a crash.
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>

#include "../model/spec_field_samples.h"
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

// Found by tests/fuzz/json_columns_fuzzer (corpus: regress-map-keys-collide).
TEST_CASE("map keys that differ only in invalid UTF-8 are written once, as the reader reads them") {
  // Both keys are written with U+FFFD for their stray byte: the same key twice, which the
  // reader would collapse, so a rewrite of what was read differed from what was written.
  const std::map<std::string, std::string> map = {{"k\xF8", "first"}, {"k\xFF", "second"}};
  const std::string written = StringMapToJson(map);
  CHECK(written == "{\"k\xEF\xBF\xBD\":\"second\"}");
  auto back = StringMapFromJson(written, "t.map");
  REQUIRE(back.ok());
  CHECK(StringMapToJson(*back) == written);
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
  Status skipped = SpecFieldsFromJson(
      R"({"command":[],"network_mode":"none","volumes":[],"restart":"no","ports":[],)"
      R"("future_list":["x"],"future_text":"y","future_number":-12,)"
      R"("future_object":{"a":[1,{"b":"c"}],"d":{}},"future_mixed":[[],"e",3]})",
      newer);
  INFO(skipped.ToString());
  CHECK(skipped.ok());
  CHECK(newer.network_mode == "none");

  ContainerSpec partial;
  Status missing = SpecFieldsFromJson(R"({"command":[],"network_mode":"none"})", partial);
  CHECK_FALSE(missing.ok());
  CHECK(missing.message().find("missing volumes") != std::string::npos);
}

constexpr const char* kSpecWithoutHealthcheck =
    R"({"command":[],"network_mode":"host","volumes":[],"restart":"no","ports":[]})";

ContainerSpec SpecWithHealthcheck() {
  ContainerSpec spec;
  spec.command = {"/run.sh"};
  spec.network_mode = "host";
  spec.restart = "always";
  Healthcheck& h = spec.healthcheck.emplace();
  h.command = {"/bin/sh", "-c", "test -f \"/tmp/ready ✓\""};
  h.timeout = std::chrono::milliseconds(3000);
  h.interval = std::chrono::milliseconds(250);
  h.retries = 5;
  return spec;
}

TEST_CASE("spec column round-trips a healthcheck, extreme values included") {
  ContainerSpec spec = SpecWithHealthcheck();
  ContainerSpec back;
  REQUIRE(SpecFieldsFromJson(SpecFieldsToJson(spec), back).ok());
  CHECK(back.healthcheck == spec.healthcheck);

  Healthcheck& h = *spec.healthcheck;
  h.command.clear();
  h.timeout = std::chrono::milliseconds(std::numeric_limits<std::int64_t>::max());
  h.interval = std::chrono::milliseconds(std::numeric_limits<std::int64_t>::min());
  h.retries = std::numeric_limits<int>::min();
  REQUIRE(SpecFieldsFromJson(SpecFieldsToJson(spec), back).ok());
  CHECK(back.healthcheck == spec.healthcheck);
  h.retries = std::numeric_limits<int>::max();
  h.interval = std::chrono::milliseconds(0);
  REQUIRE(SpecFieldsFromJson(SpecFieldsToJson(spec), back).ok());
  CHECK(back.healthcheck == spec.healthcheck);
}

TEST_CASE("spec column without a healthcheck member reads as no healthcheck") {
  ContainerSpec spec = SpecWithHealthcheck();
  spec.healthcheck.reset();
  CHECK(SpecFieldsToJson(spec).find("healthcheck") == std::string::npos);

  // As written before healthchecks were cached, into a spec that had one.
  ContainerSpec back = SpecWithHealthcheck();
  REQUIRE(SpecFieldsFromJson(kSpecWithoutHealthcheck, back).ok());
  CHECK_FALSE(back.healthcheck.has_value());
}

TEST_CASE("spec column healthcheck skips members a newer version added") {
  ContainerSpec back;
  Status s = SpecFieldsFromJson(
      R"({"command":[],"network_mode":"host","volumes":[],"restart":"no","ports":[],)"
      R"("healthcheck":{"command":["true"],"start_interval_ms":100,"timeout_ms":10,)"
      R"("interval_ms":20,"retries":1,"note":"x"}})",
      back);
  INFO(s.ToString());
  REQUIRE(s.ok());
  REQUIRE(back.healthcheck.has_value());
  CHECK(back.healthcheck->command == std::vector<std::string>{"true"});
  CHECK(back.healthcheck->timeout == std::chrono::milliseconds(10));
  CHECK(back.healthcheck->interval == std::chrono::milliseconds(20));
  CHECK(back.healthcheck->retries == 1);
}

TEST_CASE("spec column with a malformed healthcheck is an I/O error that names the column") {
  const std::string prefix =
      R"({"command":[],"network_mode":"host","volumes":[],"restart":"no","ports":[],)"
      R"("healthcheck":)";
  for (const std::string& healthcheck : std::vector<std::string>{
           "null",
           "[]",
           R"("curl")",
           "7",
           "{}",
           R"({"command":["true"],"timeout_ms":10,"interval_ms":20})",
           R"({"timeout_ms":10,"interval_ms":20,"retries":1})",
           R"({"command":["true"],"timeout_ms":10,"interval_ms":20,"retries":"3"})",
           R"({"command":["true"],"timeout_ms":10,"interval_ms":20,"retries":3.5})",
           R"({"command":["true"],"timeout_ms":10,"interval_ms":20,"retries":1e3})",
           R"({"command":["true"],"timeout_ms":10,"interval_ms":20,"retries":03})",
           R"({"command":["true"],"timeout_ms":10,"interval_ms":20,"retries":-})",
           R"({"command":["true"],"timeout_ms":10,"interval_ms":20,"retries":2147483648})",
           R"({"command":["true"],"timeout_ms":10,"interval_ms":20,"retries":-2147483649})",
           R"({"command":["true"],"timeout_ms":10,"interval_ms":20,"retries":true})",
           R"({"command":"true","timeout_ms":10,"interval_ms":20,"retries":1})",
           R"({"command":[1],"timeout_ms":10,"interval_ms":20,"retries":1})",
           R"({"command":["true"],"timeout_ms":9223372036854775808,"interval_ms":20,"retries":1})",
           R"({"command":["true"],"timeout_ms":10,"interval_ms":-9223372036854775809,"retries":1})",
           R"({"command":["true"],"timeout_ms":10,"interval_ms":20,"retries":1)",
           R"({"command":["true"],"timeout_ms":10,"interval_ms":20,"retries":1,"x":null})",
       }) {
    INFO(healthcheck);
    ContainerSpec spec;
    Status s = SpecFieldsFromJson(prefix + healthcheck + "}", spec);
    CHECK(s.code() == Status::Code::kIoError);
    CHECK(s.message().find("containers.spec") != std::string::npos);
  }
}

TEST_CASE("spec column refuses an unknown member nested beyond reason") {
  const std::string deep = std::string(64, '[') + std::string(64, ']');
  ContainerSpec spec;
  Status s = SpecFieldsFromJson(
      R"({"command":[],"network_mode":"host","volumes":[],"restart":"no","ports":[],"future":)" +
          deep + "}",
      spec);
  CHECK(s.code() == Status::Code::kIoError);
  CHECK(s.message().find("nested too deeply") != std::string::npos);
}

// --- The spec column's text is stored in every state file: pinned, so that the column
// written from the spec's field list (model/spec_fields.h) stays what was written by hand.

ContainerSpec FullSpec() {
  ContainerSpec spec = SpecWithHealthcheck();
  spec.image = "registry.example.com/app:2";  // its own column: not in the JSON
  spec.command = {"/bin/sh", "-c", "exec \"/run.sh\""};
  spec.network_mode = "bridge";
  spec.volumes = {"/data:/data:ro", "/logs:/var/log/app"};
  spec.restart = "on-failure:5";
  spec.ports = {"127.0.0.1:8080:80/tcp", "9000:9000/udp"};
  spec.labels = {{"team", "core"}};  // its own column: not in the JSON
  return spec;
}

TEST_CASE("spec column text is pinned, with and without a healthcheck") {
  ContainerSpec spec = FullSpec();
  CHECK(SpecFieldsToJson(spec) ==
        R"({"command":["/bin/sh","-c","exec \"/run.sh\""],)"
        R"("healthcheck":{"command":["/bin/sh","-c","test -f \"/tmp/ready ✓\""],)"
        R"("interval_ms":250,"retries":5,"timeout_ms":3000},)"
        R"("network_mode":"bridge","ports":["127.0.0.1:8080:80/tcp","9000:9000/udp"],)"
        R"("restart":"on-failure:5","volumes":["/data:/data:ro","/logs:/var/log/app"]})");
  spec.healthcheck.reset();
  CHECK(SpecFieldsToJson(spec) ==
        R"({"command":["/bin/sh","-c","exec \"/run.sh\""],"network_mode":"bridge",)"
        R"("ports":["127.0.0.1:8080:80/tcp","9000:9000/udp"],"restart":"on-failure:5",)"
        R"("volumes":["/data:/data:ro","/logs:/var/log/app"]})");
  CHECK(SpecFieldsToJson(ContainerSpec{}) ==
        R"({"command":[],"network_mode":"","ports":[],"restart":"","volumes":[]})");
}

TEST_CASE("spec column rows as older versions wrote them read back, image and labels untouched") {
  ContainerSpec back = FullSpec();
  REQUIRE(SpecFieldsFromJson(
              R"({"ports":["1:1/tcp"],"volumes":[],"restart":"always","network_mode":"host",)"
              R"("command":["a"]})",
              back)
              .ok());
  CHECK(back.image == "registry.example.com/app:2");
  CHECK(back.labels == std::map<std::string, std::string>{{"team", "core"}});
  CHECK(back.command == std::vector<std::string>{"a"});
  CHECK(back.network_mode == "host");
  CHECK(back.volumes.empty());
  CHECK(back.restart == "always");
  CHECK(back.ports == std::vector<std::string>{"1:1/tcp"});
  CHECK_FALSE(back.healthcheck.has_value());

  ContainerSpec full = FullSpec();
  ContainerSpec read;
  read.image = full.image;
  read.labels = full.labels;
  REQUIRE(SpecFieldsFromJson(SpecFieldsToJson(full), read).ok());
  CHECK(read == full);
}

TEST_CASE("spec column errors name the member, as they always did") {
  struct Case {
    const char* json;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"command":[],"network_mode":7,"volumes":[],"restart":"no","ports":[]})",
            "malformed containers.spec in the state file: network_mode is not a string"},
           {R"({"command":[],"network_mode":"","volumes":[],"ports":[]})",
            "malformed containers.spec in the state file: missing restart"},
           {R"({"command":[],"network_mode":"","volumes":[],"restart":"","ports":[],)"
            R"("healthcheck":{"command":[],"timeout_ms":1,"retries":1}})",
            "malformed containers.spec in the state file: missing healthcheck interval_ms"},
           {R"({"command":[],"network_mode":"","volumes":[],"restart":"","ports":[],)"
            R"("healthcheck":{"command":[],"timeout_ms":1.5,"interval_ms":1,"retries":1}})",
            "malformed containers.spec in the state file: healthcheck timeout_ms is not an "
            "integer"},
           {R"({"command":[],"network_mode":"","volumes":[],"restart":"","ports":[],)"
            R"("healthcheck":{"command":[],"timeout_ms":1,"interval_ms":1,"retries":4294967296}})",
            "malformed containers.spec in the state file: healthcheck retries is out of range"},
           {R"({"command":[],"network_mode":"","volumes":[],"restart":"","ports":[],)"
            R"("healthcheck":{"command":[],"timeout_ms":1,"interval_ms":1,"retries":1,"x":true}})",
            "malformed containers.spec in the state file: healthcheck x is not a string, integer, "
            "array or object"},
           {R"({"command":[],"network_mode":"","volumes":[],"restart":"","ports":[],"x":null})",
            "malformed containers.spec in the state file: x is not a string, integer, array or "
            "object"},
       }) {
    INFO(c.json);
    ContainerSpec spec;
    Status s = SpecFieldsFromJson(c.json, spec);
    CHECK(s.code() == Status::Code::kIoError);
    CHECK(s.message() == c.message);
  }
}

// Driven by the field list: a field added to it is covered here without editing this test.
TEST_CASE("every field of the spec's list but image and labels reaches the spec column") {
  for (const ContainerSpec& base : {ContainerSpec{}, spec_samples::EveryFieldSet()}) {
    for (const auto& [name, changed] : spec_samples::EachFieldChanged(base)) {
      INFO(name);
      const bool own_column = name == "image" || name == "labels";
      CHECK((SpecFieldsToJson(changed) != SpecFieldsToJson(base)) == !own_column);
      ContainerSpec back;
      back.image = changed.image;
      back.labels = changed.labels;
      REQUIRE(SpecFieldsFromJson(SpecFieldsToJson(changed), back).ok());
      CHECK(back == changed);
    }
  }
}

}  // namespace
}  // namespace jlrec
