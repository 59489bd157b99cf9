#include "providers/http_connection.h"

#include <catch2/catch.hpp>

#include "providers/fake_streams.h"

namespace jlrec {
namespace {

using testing::ScriptedStream;
using testing::StreamScript;

HttpRequest Get(const std::string& target) { return HttpRequest{"GET", target, {}, ""}; }

HttpExchangeOptions Soon() {
  HttpExchangeOptions options;
  options.deadline = DeadlineAfter(std::chrono::seconds(5));
  return options;
}

TEST_CASE("serializes requests with Host and Content-Length", "[providers][http]") {
  auto wire = SerializeHttpRequest(
      HttpRequest{
          "POST", "/v1.41/containers/create?name=a", {{"Content-Type", "application/json"}}, "{}"},
      "docker");
  REQUIRE(wire.ok());
  CHECK(*wire ==
        "POST /v1.41/containers/create?name=a HTTP/1.1\r\nHost: docker\r\n"
        "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
  auto get = SerializeHttpRequest(Get("/_ping"), "docker");
  REQUIRE(get.ok());
  CHECK(*get == "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n");
  auto empty_post = SerializeHttpRequest(HttpRequest{"POST", "/x", {}, ""}, "docker");
  REQUIRE(empty_post.ok());
  CHECK_THAT(*empty_post, Catch::Contains("Content-Length: 0\r\n"));
}

TEST_CASE("refuses requests that would break the framing", "[providers][http]") {
  CHECK_FALSE(SerializeHttpRequest(Get("/a b"), "docker").ok());
  CHECK_FALSE(SerializeHttpRequest(Get("/a\r\nX: y"), "docker").ok());
  CHECK_FALSE(SerializeHttpRequest(Get("relative"), "docker").ok());
  CHECK_FALSE(SerializeHttpRequest(HttpRequest{"G T", "/", {}, ""}, "docker").ok());
  CHECK_FALSE(
      SerializeHttpRequest(HttpRequest{"GET", "/", {{"X", "a\r\nInjected: 1"}}, ""}, "docker")
          .ok());
  CHECK_FALSE(
      SerializeHttpRequest(HttpRequest{"GET", "/", {{"Content-Length", "5"}}, ""}, "docker").ok());
}

TEST_CASE("carries a keep-alive sequence of requests on one stream", "[providers][http]") {
  auto script = std::make_shared<StreamScript>();
  script->chunks = {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst",
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nsecond\r\n",
                    "0\r\n\r\n", "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}"};
  HttpConnection connection(std::make_unique<ScriptedStream>(script), "docker");
  auto a = connection.Exchange(Get("/a"), Soon());
  REQUIRE(a.ok());
  CHECK(a->body == "first");
  CHECK(connection.reusable());
  auto b = connection.Exchange(Get("/b"), Soon());
  REQUIRE(b.ok());
  CHECK(b->body == "second");
  auto c = connection.Exchange(Get("/c"), Soon());
  REQUIRE(c.ok());
  CHECK(c->status == 404);
  CHECK(connection.completed_exchanges() == 3);
  CHECK(script->written ==
        "GET /a HTTP/1.1\r\nHost: docker\r\n\r\nGET /b HTTP/1.1\r\nHost: docker\r\n\r\n"
        "GET /c HTTP/1.1\r\nHost: docker\r\n\r\n");
}

TEST_CASE("a connection that must close is not reused", "[providers][http]") {
  auto script = std::make_shared<StreamScript>();
  script->chunks = {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"};
  HttpConnection connection(std::make_unique<ScriptedStream>(script), "docker");
  REQUIRE(connection.Exchange(Get("/"), Soon()).ok());
  CHECK_FALSE(connection.reusable());
}

TEST_CASE("unsolicited bytes after a response poison the connection", "[providers][http]") {
  auto script = std::make_shared<StreamScript>();
  script->chunks = {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n"};
  HttpConnection connection(std::make_unique<ScriptedStream>(script), "docker");
  auto r = connection.Exchange(Get("/"), Soon());
  REQUIRE(r.ok());
  CHECK(r->body == "ok");
  CHECK_FALSE(connection.reusable());
}

TEST_CASE("failures leave the connection unusable and say where they happened",
          "[providers][http]") {
  SECTION("closed before any response byte: retryable") {
    auto script = std::make_shared<StreamScript>();
    HttpConnection connection(std::make_unique<ScriptedStream>(script), "docker");
    auto r = connection.Exchange(Get("/"), Soon());
    CHECK(r.status().code() == Status::Code::kUnavailable);
    CHECK(connection.closed_before_response());
    CHECK_FALSE(connection.reusable());
  }
  SECTION("closed mid-response: not retryable") {
    auto script = std::make_shared<StreamScript>();
    script->chunks = {"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc"};
    HttpConnection connection(std::make_unique<ScriptedStream>(script), "docker");
    auto r = connection.Exchange(Get("/"), Soon());
    CHECK(r.status().code() == Status::Code::kRemoteError);
    CHECK_FALSE(connection.closed_before_response());
  }
  SECTION("no answer: timeout") {
    auto script = std::make_shared<StreamScript>();
    script->eof_at_end = false;
    script->chunks = {"HTTP/1.1 200 OK\r\n"};
    HttpConnection connection(std::make_unique<ScriptedStream>(script), "docker");
    auto r = connection.Exchange(Get("/"), Soon());
    CHECK(r.status().code() == Status::Code::kTimeout);
    CHECK_FALSE(connection.closed_before_response());
    CHECK_FALSE(connection.reusable());
  }
  SECTION("write failure") {
    auto script = std::make_shared<StreamScript>();
    script->fail_writes = true;
    HttpConnection connection(std::make_unique<ScriptedStream>(script), "docker");
    auto r = connection.Exchange(Get("/"), Soon());
    CHECK(r.status().code() == Status::Code::kUnavailable);
    CHECK(connection.closed_before_response());
  }
}

}  // namespace
}  // namespace jlrec
