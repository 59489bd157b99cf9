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

// Three answers as a daemon sends them back to back: a Content-Length body, a HEAD answer
// (whose Content-Length describes a body that is not sent) and a chunked body.
const std::string kThreeAnswers =
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"
    "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nX-Docker-Container-Path-Stat: e30=\r\n\r\n"
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nthi\r\n2\r\nrd\r\n0\r\n\r\n";

std::vector<HttpRequest> ThreeRequests() {
  return {Get("/a"), HttpRequest{"HEAD", "/b", {}, ""}, Get("/c")};
}

std::vector<HttpExchangeOptions> SoonEach(std::size_t n) {
  return std::vector<HttpExchangeOptions>(n, Soon());
}

void CheckThreeAnswers(const std::vector<Result<HttpResponse>>& results) {
  REQUIRE(results.size() == 3);
  REQUIRE(results[0].ok());
  CHECK(results[0]->body == "first");
  REQUIRE(results[1].ok());
  CHECK(results[1]->body.empty());
  REQUIRE(results[1]->FindHeader("X-Docker-Container-Path-Stat") != nullptr);
  REQUIRE(results[2].ok());
  CHECK(results[2]->body == "third");
}

TEST_CASE("pipelined requests are written at once and their answers read in order",
          "[providers][http][pipeline]") {
  auto script = std::make_shared<StreamScript>();
  SECTION("all answers in one read") { script->chunks = {kThreeAnswers}; }
  SECTION("one byte at a time") {
    for (char c : kThreeAnswers) script->chunks.emplace_back(1, c);
  }
  SECTION("split anywhere") {
    // Every split into two reads, then into three at a second point: a boundary falls inside
    // a status line, a header, a chunk size, a body and between answers.
    for (std::size_t at = 1; at < kThreeAnswers.size(); ++at) {
      for (std::size_t second : {at, (at + kThreeAnswers.size()) / 2}) {
        auto each = std::make_shared<StreamScript>();
        each->chunks = {kThreeAnswers.substr(0, at)};
        if (second > at) {
          each->chunks.push_back(kThreeAnswers.substr(at, second - at));
          each->chunks.push_back(kThreeAnswers.substr(second));
        } else {
          each->chunks.push_back(kThreeAnswers.substr(at));
        }
        HttpConnection connection(std::make_unique<ScriptedStream>(each), "docker");
        auto results = connection.ExchangeAll(ThreeRequests(), SoonEach(3));
        INFO("split at " << at << " and " << second);
        CheckThreeAnswers(results);
        CHECK(connection.reusable());
      }
    }
    script->chunks = {kThreeAnswers};
  }
  HttpConnection connection(std::make_unique<ScriptedStream>(script), "docker");
  auto results = connection.ExchangeAll(ThreeRequests(), SoonEach(3));
  CheckThreeAnswers(results);
  CHECK(connection.reusable());
  CHECK(connection.batch_answered() == 3);
  CHECK(connection.completed_exchanges() == 3);
  CHECK(script->written ==
        "GET /a HTTP/1.1\r\nHost: docker\r\n\r\nHEAD /b HTTP/1.1\r\nHost: docker\r\n\r\n"
        "GET /c HTTP/1.1\r\nHost: docker\r\n\r\n");
  // The connection goes on as a keep-alive one.
  script->chunks = {"HTTP/1.1 204 No Content\r\n\r\n"};
  auto next = connection.Exchange(Get("/d"), Soon());
  REQUIRE(next.ok());
  CHECK(next->status == 204);
}

TEST_CASE("a pipelined body reader that reads part of its answer leaves the next one whole",
          "[providers][http][pipeline]") {
  auto script = std::make_shared<StreamScript>();
  const std::string big(100 * 1024, 'x');  // more than a lone exchange would drain
  script->chunks = {"HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(big.size()) +
                        "\r\n\r\n" + big.substr(0, 1000),
                    big.substr(1000) + "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}",
                    "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlast"};
  auto options = SoonEach(3);
  std::string first_read;
  options[0].body_reader = [&first_read](HttpResponse&, std::istream& body) {
    first_read.resize(10);
    body.read(first_read.data(), 10);
    return Status::Ok();
  };
  options[1].body_reader = [](HttpResponse&, std::istream&) {
    return Status::RemoteError("the reader did not like it");
  };
  HttpConnection connection(std::make_unique<ScriptedStream>(script), "docker");
  auto results = connection.ExchangeAll({Get("/a"), Get("/b"), Get("/c")}, options);
  REQUIRE(results.size() == 3);
  REQUIRE(results[0].ok());
  CHECK(first_read == "xxxxxxxxxx");
  CHECK(results[0]->body.empty());
  // A reader's error is its answer's result; the next answer is still read.
  CHECK(results[1].status().code() == Status::Code::kRemoteError);
  CHECK_THAT(results[1].status().message(), Catch::Contains("did not like it"));
  REQUIRE(results[2].ok());
  CHECK(results[2]->body == "last");
  CHECK(connection.batch_answered() == 3);
  CHECK(connection.reusable());
}

TEST_CASE("a pipelined batch that fails says what was answered and what may go again",
          "[providers][http][pipeline]") {
  auto script = std::make_shared<StreamScript>();
  const std::string ok_answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  std::vector<HttpRequest> four = {Get("/1"), Get("/2"), Get("/3"), Get("/4")};
  SECTION("closed before the first answer: all of it may go again") {
    HttpConnection connection(std::make_unique<ScriptedStream>(script), "docker");
    auto results = connection.ExchangeAll(four, SoonEach(4));
    REQUIRE(results.size() == 4);
    CHECK(results[0].status().code() == Status::Code::kUnavailable);
    CHECK_THAT(results[3].status().message(), Catch::StartsWith("not answered: "));
    CHECK(connection.closed_before_response());
    CHECK(connection.cut_off());
    CHECK(connection.batch_answered() == 0);
    CHECK_FALSE(connection.reusable());
  }
  SECTION("closed in the middle of an answer: it and the rest may go again") {
    script->chunks = {ok_answer + ok_answer + "HTTP/1.1 200 OK\r\nContent-Le"};
    HttpConnection connection(std::make_unique<ScriptedStream>(script), "docker");
    auto results = connection.ExchangeAll(four, SoonEach(4));
    REQUIRE(results.size() == 4);
    CHECK(results[0].ok());
    CHECK(results[1].ok());
    CHECK_FALSE(results[2].ok());
    CHECK(results[3].status().code() == Status::Code::kUnavailable);
    CHECK_FALSE(connection.closed_before_response());
    CHECK(connection.cut_off());
    CHECK(connection.batch_answered() == 2);
    CHECK_FALSE(connection.reusable());
  }
  SECTION("closed between answers") {
    script->chunks = {ok_answer};
    HttpConnection connection(std::make_unique<ScriptedStream>(script), "docker");
    auto results = connection.ExchangeAll(four, SoonEach(4));
    CHECK(results[0].ok());
    CHECK(results[1].status().code() == Status::Code::kUnavailable);
    CHECK(connection.cut_off());
    CHECK(connection.batch_answered() == 1);
  }
  SECTION("an answer that closes the connection cuts off the rest") {
    script->chunks = {ok_answer +
                      "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"};
    HttpConnection connection(std::make_unique<ScriptedStream>(script), "docker");
    auto results = connection.ExchangeAll(four, SoonEach(4));
    CHECK(results[1].ok());
    CHECK(results[2].status().code() == Status::Code::kUnavailable);
    CHECK(connection.cut_off());
    CHECK(connection.batch_answered() == 2);
  }
  SECTION("an answer over its limit is final, the rest are cut off") {
    script->chunks = {ok_answer + "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" +
                      std::string(100, 'y') + ok_answer + ok_answer};
    auto options = SoonEach(4);
    options[1].max_body_bytes = 50;
    HttpConnection connection(std::make_unique<ScriptedStream>(script), "docker");
    auto results = connection.ExchangeAll(four, options);
    CHECK(results[0].ok());
    CHECK(results[1].status().code() == Status::Code::kRemoteError);
    CHECK_THAT(results[1].status().message(), Catch::Contains("larger than"));
    CHECK_THAT(results[2].status().message(), Catch::StartsWith("not answered: "));
    CHECK(connection.cut_off());
    CHECK(connection.batch_answered() == 2);
  }
  SECTION("a deadline that passes is not a cut: nothing should go again at once") {
    script->eof_at_end = false;
    script->chunks = {ok_answer};
    HttpConnection connection(std::make_unique<ScriptedStream>(script), "docker");
    auto results = connection.ExchangeAll(four, SoonEach(4));
    CHECK(results[0].ok());
    CHECK(results[1].status().code() == Status::Code::kTimeout);
    CHECK_FALSE(connection.cut_off());
    CHECK(connection.batch_answered() == 1);
  }
  SECTION("a write failure") {
    script->fail_writes = true;
    HttpConnection connection(std::make_unique<ScriptedStream>(script), "docker");
    auto results = connection.ExchangeAll(four, SoonEach(4));
    CHECK(results[0].status().code() == Status::Code::kUnavailable);
    CHECK(results[3].status().code() == Status::Code::kUnavailable);
    CHECK(connection.closed_before_response());
    CHECK(connection.batch_answered() == 0);
  }
  SECTION("a request that cannot be framed: nothing is sent") {
    HttpConnection connection(std::make_unique<ScriptedStream>(script), "docker");
    auto results = connection.ExchangeAll({Get("/1"), Get("/a b")}, SoonEach(2));
    CHECK(results[0].status().code() == Status::Code::kInvalidArgument);
    CHECK_FALSE(results[1].ok());
    CHECK(script->written.empty());
    CHECK(connection.reusable());
  }
  SECTION("options that do not match the requests") {
    HttpConnection connection(std::make_unique<ScriptedStream>(script), "docker");
    auto results = connection.ExchangeAll(four, SoonEach(3));
    REQUIRE(results.size() == 4);
    CHECK(results[2].status().code() == Status::Code::kInvalidArgument);
    CHECK(script->written.empty());
  }
  SECTION("bytes past the last answer are unsolicited") {
    script->chunks = {ok_answer + ok_answer + ok_answer + ok_answer + "HTTP/1.1"};
    HttpConnection connection(std::make_unique<ScriptedStream>(script), "docker");
    auto results = connection.ExchangeAll(four, SoonEach(4));
    CHECK(results[3].ok());
    CHECK(connection.batch_answered() == 4);
    CHECK_FALSE(connection.reusable());
  }
}

}  // namespace
}  // namespace jlrec
