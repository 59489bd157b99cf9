// One request whose answer is read as it arrives: a chunked logs body, a hijacked exec start.
#include "providers/http_stream.h"

#include <catch2/catch.hpp>

#include "providers/fake_streams.h"

namespace jlrec {
namespace {

using testing::ScriptedStream;
using testing::StreamScript;

const HttpRequest kGet{"GET", "/v1.41/containers/web/logs?follow=1", {}, ""};
const HttpRequest kStart{"POST", "/v1.41/exec/e1/start", {}, "{\"Detach\":false}"};

Result<std::unique_ptr<HttpStream>> Open(std::shared_ptr<StreamScript> script,
                                         const HttpRequest& request, bool upgrade) {
  return HttpStream::Open(std::make_unique<ScriptedStream>(script), "docker", request, upgrade,
                          DeadlineAfter(std::chrono::seconds(5)), 4096);
}

// Everything Read hands out until the end, each piece as one element.
std::vector<std::string> ReadAll(HttpStream& stream) {
  std::vector<std::string> pieces;
  for (;;) {
    std::string piece;
    auto more = stream.Read(&piece, DeadlineAfter(std::chrono::seconds(5)));
    INFO(more.status().ToString());
    REQUIRE(more.ok());
    if (!*more) {
      CHECK(piece.empty());
      return pieces;
    }
    CHECK_FALSE(piece.empty());
    pieces.push_back(piece);
  }
}

std::string Joined(const std::vector<std::string>& pieces) {
  std::string out;
  for (const auto& p : pieces) out += p;
  return out;
}

TEST_CASE("a chunked body is handed out de-chunked as each read brings it, whatever the cuts",
          "[providers][http-stream]") {
  auto script = std::make_shared<StreamScript>();
  // Cuts inside the head, inside chunk-size lines, inside data and inside the last chunk.
  script->chunks = {"HTTP/1.1 200 OK\r\nTransfer-Enc",
                    "oding: chunked\r\n\r\n5\r\nhel",
                    "lo\r\n1",
                    "\r\n \r\n6;ext=1\r\nworld\n\r",
                    "\n0\r\n",
                    "\r\n"};
  auto stream = Open(script, kGet, false);
  REQUIRE(stream.ok());
  CHECK((*stream)->response().status == 200);
  CHECK_FALSE((*stream)->raw());
  auto pieces = ReadAll(**stream);
  CHECK(Joined(pieces) == "hello world\n");
  CHECK(pieces.size() >= 3);  // handed out as it came, not collected
  CHECK_THAT(script->written, Catch::StartsWith("GET /v1.41/containers/web/logs?follow=1 "));
  CHECK_THAT(script->written, !Catch::Contains("Upgrade"));
}

TEST_CASE("a chunked body cut off before its last chunk is an error, not a short log",
          "[providers][http-stream]") {
  auto script = std::make_shared<StreamScript>();
  script->chunks = {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"};
  auto stream = Open(script, kGet, false);
  REQUIRE(stream.ok());
  std::string got;
  REQUIRE((*stream)->Read(&got, DeadlineAfter(std::chrono::seconds(1))).ok());
  CHECK(got == "hello");
  auto end = (*stream)->Read(&got, DeadlineAfter(std::chrono::seconds(1)));
  CHECK(end.status().code() == Status::Code::kRemoteError);
}

TEST_CASE("a 101 upgrade makes the connection a raw stream both ways, bytes after the head first",
          "[providers][http-stream]") {
  auto script = std::make_shared<StreamScript>();
  script->chunks = {
      "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
      "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\nfirst",
      "-second", "\r\n0\r\n"};  // looks like a chunk end: raw bytes are never parsed
  auto stream = Open(script, kStart, true);
  REQUIRE(stream.ok());
  CHECK((*stream)->response().status == 101);
  CHECK((*stream)->raw());
  CHECK_THAT(script->written, Catch::Contains("Connection: Upgrade\r\nUpgrade: tcp\r\n"));
  REQUIRE((*stream)->Write("typed input", DeadlineAfter(std::chrono::seconds(1))).ok());
  REQUIRE((*stream)->CloseWrite().ok());
  CHECK_THAT(script->written, Catch::EndsWith("{\"Detach\":false}typed input"));
  CHECK(script->write_closed);
  CHECK(ReadAll(**stream) == std::vector<std::string>{"first", "-second", "\r\n0\r\n"});
}

TEST_CASE("Docker's older answer to an upgrade, a 200 without framing, is a raw stream too",
          "[providers][http-stream]") {
  auto script = std::make_shared<StreamScript>();
  script->chunks = {"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n",
                    "raw output"};
  auto stream = Open(script, kStart, true);
  REQUIRE(stream.ok());
  CHECK((*stream)->raw());
  CHECK(Joined(ReadAll(**stream)) == "raw output");
}

TEST_CASE("an error answer to a streamed request is read whole, its body kept for the message",
          "[providers][http-stream]") {
  auto script = std::make_shared<StreamScript>();
  script->chunks = {"HTTP/1.1 409 Conflict\r\nContent-Length: 43\r\n\r\n",
                    "{\"message\":\"Container abc is not running\"}\n", "  "};
  auto stream = Open(script, kStart, true);
  REQUIRE(stream.ok());
  CHECK((*stream)->response().status == 409);
  CHECK_FALSE((*stream)->raw());
  CHECK((*stream)->response().body == "{\"message\":\"Container abc is not running\"}\n");
  CHECK((*stream)->Write("x", DeadlineAfter(std::chrono::seconds(1))).code() ==
        Status::Code::kInternal);
}

TEST_CASE("a 101 to a request that did not ask to upgrade is malformed",
          "[providers][http-stream]") {
  auto script = std::make_shared<StreamScript>();
  script->chunks = {"HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp\r\n\r\n"};
  auto stream = Open(script, kGet, false);
  CHECK(stream.status().code() == Status::Code::kRemoteError);
}

}  // namespace
}  // namespace jlrec
