#include "providers/http_response_parser.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace jlrec {
namespace {

// Feeds `wire` in pieces of `step` bytes; returns the parser and how many bytes it used.
struct Parsed {
  Status status;
  HttpResponse response;
  std::size_t used = 0;
  bool complete = false;
};

Parsed Parse(const std::string& wire, std::size_t step, bool head = false,
             bool eof_at_end = false) {
  HttpResponseParser parser(head);
  Parsed out;
  for (std::size_t at = 0; at < wire.size() && !parser.complete(); at += step) {
    auto used = parser.Feed(std::string_view(wire).substr(at, step));
    if (!used.ok()) {
      out.status = used.status();
      return out;
    }
    out.used += *used;
  }
  if (eof_at_end) out.status = parser.FinishAtEof();
  out.complete = parser.complete();
  if (parser.complete()) out.response = parser.response();
  return out;
}

TEST_CASE("parses a Content-Length response whatever the read boundaries", "[providers][http]") {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n"
      "{\"Id\":\"abc\"}\n";
  for (std::size_t step : {1, 2, 7, 64, 4096}) {
    auto p = Parse(wire, step);
    INFO("step " << step);
    REQUIRE(p.status.ok());
    REQUIRE(p.complete);
    CHECK(p.used == wire.size());
    CHECK(p.response.status == 200);
    CHECK(p.response.reason == "OK");
    CHECK(p.response.body == "{\"Id\":\"abc\"}\n");
    CHECK(p.response.keep_alive);
    REQUIRE(p.response.FindHeader("content-type") != nullptr);
    CHECK(*p.response.FindHeader("CONTENT-TYPE") == "application/json");
  }
}

TEST_CASE("decodes chunked bodies with extensions and trailers", "[providers][http]") {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n"
      "1A \r\n, chunked world of docker!\r\n"  // size with trailing whitespace
      "0;last\r\nX-Checksum: 42\r\nX-Other:  spaced  \r\n\r\n";
  for (std::size_t step : {1, 3, 4096}) {
    auto p = Parse(wire, step);
    INFO("step " << step);
    REQUIRE(p.status.ok());
    REQUIRE(p.complete);
    CHECK(p.used == wire.size());
    CHECK(p.response.body == "hello, chunked world of docker!");
    REQUIRE(p.response.trailers.size() == 2);
    CHECK(p.response.trailers[0] == std::make_pair(std::string("X-Checksum"), std::string("42")));
    CHECK(p.response.trailers[1].second == "spaced");
    CHECK(p.response.keep_alive);
  }
}

TEST_CASE("stops at the end of a response and leaves the rest", "[providers][http]") {
  const std::string first = "HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n";
  const std::string second = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  HttpResponseParser parser;
  auto used = parser.Feed(first + second);
  REQUIRE(used.ok());
  CHECK(*used == first.size());
  REQUIRE(parser.complete());
  CHECK(parser.response().status == 204);
  CHECK(parser.response().body.empty());
  auto more = parser.Feed("ignored");
  REQUIRE(more.ok());
  CHECK(*more == 0);
}

TEST_CASE("skips 1xx interim responses", "[providers][http]") {
  auto p = Parse(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}",
      5);
  REQUIRE(p.status.ok());
  REQUIRE(p.complete);
  CHECK(p.response.status == 201);
  CHECK(p.response.headers.size() == 1);
  CHECK(p.response.body == "{}");
}

TEST_CASE("responses without a body", "[providers][http]") {
  SECTION("HEAD ignores Content-Length") {
    auto p = Parse("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 10, /*head=*/true);
    REQUIRE(p.complete);
    CHECK(p.response.body.empty());
    CHECK(p.response.keep_alive);
  }
  SECTION("304") {
    auto p = Parse("HTTP/1.1 304 Not Modified\r\n\r\n", 10);
    REQUIRE(p.complete);
    CHECK(p.response.status == 304);
  }
  SECTION("status line without a reason") {
    auto p = Parse("HTTP/1.1 204\r\n\r\n", 3);
    REQUIRE(p.complete);
    CHECK(p.response.status == 204);
    CHECK(p.response.reason.empty());
  }
}

TEST_CASE("connection persistence", "[providers][http]") {
  SECTION("Connection: close") {
    auto p =
        Parse("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n", 8);
    REQUIRE(p.complete);
    CHECK_FALSE(p.response.keep_alive);
  }
  SECTION("HTTP/1.0 closes unless asked to keep alive") {
    auto closed = Parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 8);
    REQUIRE(closed.complete);
    CHECK_FALSE(closed.response.keep_alive);
    auto kept = Parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", 8);
    REQUIRE(kept.complete);
    CHECK(kept.response.keep_alive);
  }
  SECTION("a body delimited by close ends at EOF and ends the connection") {
    auto p = Parse("HTTP/1.1 200 OK\r\n\r\nuntil the end", 4, false, /*eof_at_end=*/true);
    REQUIRE(p.status.ok());
    REQUIRE(p.complete);
    CHECK(p.response.body == "until the end");
    CHECK_FALSE(p.response.keep_alive);
  }
  SECTION("Transfer-Encoding and Content-Length together: chunked wins, no reuse") {
    auto p = Parse(
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
        "2\r\nok\r\n0\r\n\r\n",
        5);
    REQUIRE(p.complete);
    CHECK(p.response.body == "ok");
    CHECK_FALSE(p.response.keep_alive);
  }
  SECTION("identical repeated Content-Length values are one") {
    auto p = Parse("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok", 5);
    REQUIRE(p.complete);
    CHECK(p.response.body == "ok");
  }
}

TEST_CASE("rejects malformed responses", "[providers][http]") {
  const std::vector<std::string> bad = {
      "HTTP/2 200 OK\r\n\r\n",
      "ICY 200 OK\r\n\r\n",
      "HTTP/1.1 2x0 OK\r\n\r\n",
      "HTTP/1.1 200OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
      "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: tcp\r\n\r\n",
  };
  for (const auto& wire : bad) {
    auto p = Parse(wire, 4);
    INFO(wire);
    CHECK_FALSE(p.status.ok());
    CHECK(p.status.code() == Status::Code::kRemoteError);
    CHECK_THAT(p.status.message(), Catch::Contains("malformed HTTP response"));
  }
}

TEST_CASE("truncated responses are errors at EOF", "[providers][http]") {
  SECTION("nothing at all") {
    HttpResponseParser parser;
    Status st = parser.FinishAtEof();
    CHECK(st.code() == Status::Code::kUnavailable);
    CHECK_THAT(st.message(), Catch::Contains("before a response"));
  }
  SECTION("in the headers") {
    auto p = Parse("HTTP/1.1 200 OK\r\nContent-Le", 5, false, true);
    CHECK(p.status.code() == Status::Code::kRemoteError);
  }
  SECTION("short body") {
    auto p = Parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 5, false, true);
    CHECK(p.status.code() == Status::Code::kRemoteError);
    CHECK_THAT(p.status.message(), Catch::Contains("middle of the response"));
  }
  SECTION("missing last chunk") {
    auto p =
        Parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", 5, false, true);
    CHECK(p.status.code() == Status::Code::kRemoteError);
  }
}

TEST_CASE("enforces header and body limits", "[providers][http]") {
  HttpParserLimits limits;
  limits.max_header_bytes = 64;
  limits.max_body_bytes = 4;
  {
    HttpResponseParser parser(false, nullptr, limits);
    auto r = parser.Feed("HTTP/1.1 200 OK\r\nX-Long: " + std::string(100, 'a') + "\r\n\r\n");
    CHECK_FALSE(r.ok());
  }
  {
    HttpResponseParser parser(false, nullptr, limits);
    CHECK_FALSE(parser.Feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n").ok());
  }
  {
    HttpResponseParser parser(false, nullptr, limits);
    CHECK_FALSE(
        parser.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n").ok());
  }
}

TEST_CASE("a body sink receives the decoded body and can abort", "[providers][http]") {
  std::string seen;
  HttpResponseParser parser(false, [&](std::string_view bytes) {
    seen.append(bytes);
    return seen.size() > 6 ? Status::Cancelled("enough") : Status::Ok();
  });
  auto r = parser.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
  REQUIRE(r.ok());
  CHECK(seen == "abc");
  CHECK(parser.response().body.empty());
  auto aborted = parser.Feed("4\r\ndefg\r\n0\r\n\r\n");
  CHECK(aborted.status().code() == Status::Code::kCancelled);
}

}  // namespace
}  // namespace jlrec
