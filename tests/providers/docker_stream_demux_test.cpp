// Docker's multiplexed stdout/stderr stream, split as the network splits it.
#include "providers/docker_stream_demux.h"

#include <catch2/catch.hpp>

#include <random>

#include "providers/fake_streams.h"

namespace jlrec {
namespace {

using testing::MultiplexedFrame;

// What a demultiplexer passed on: the two streams, and each piece in arrival order.
struct Received {
  std::string out, err;
  std::vector<std::pair<OutputStream, std::string>> pieces;
  OutputSink Sink() {
    return [this](OutputStream stream, std::string_view bytes) {
      (stream == OutputStream::kStderr ? err : out).append(bytes);
      pieces.emplace_back(stream, std::string(bytes));
      return Status::Ok();
    };
  }
};

const std::string kStream = MultiplexedFrame(1, "out line 1\n") +
                            MultiplexedFrame(2, "err line\n") + MultiplexedFrame(1, "") +
                            MultiplexedFrame(1, "out line 2\n") +
                            MultiplexedFrame(0, "stdin echo\n");

TEST_CASE("a multiplexed stream fed one byte at a time is split into stdout and stderr whole",
          "[providers][demux]") {
  Received got;
  DockerStreamDemuxer demuxer(got.Sink(), "h1: logs of web");
  for (char c : kStream) REQUIRE(demuxer.Feed(std::string_view(&c, 1)).ok());
  REQUIRE(demuxer.Finish().ok());
  CHECK(got.out == "out line 1\nout line 2\nstdin echo\n");
  CHECK(got.err == "err line\n");
}

TEST_CASE("a multiplexed stream cut at every point (headers and payloads) reads the same",
          "[providers][demux]") {
  for (std::size_t cut = 0; cut <= kStream.size(); ++cut) {
    Received got;
    DockerStreamDemuxer demuxer(got.Sink(), "h1: logs of web");
    REQUIRE(demuxer.Feed(std::string_view(kStream).substr(0, cut)).ok());
    REQUIRE(demuxer.Feed(std::string_view(kStream).substr(cut)).ok());
    REQUIRE(demuxer.Finish().ok());
    INFO("cut at " << cut);
    CHECK(got.out == "out line 1\nout line 2\nstdin echo\n");
    CHECK(got.err == "err line\n");
  }
  // Random pieces, as reads of a busy connection come: the order across streams holds.
  std::mt19937 random(7);
  for (int round = 0; round < 50; ++round) {
    Received got;
    DockerStreamDemuxer demuxer(got.Sink(), "h1: logs of web");
    for (std::size_t at = 0; at < kStream.size();) {
      const std::size_t n = std::uniform_int_distribution<std::size_t>(1, 13)(random);
      REQUIRE(demuxer.Feed(std::string_view(kStream).substr(at, n)).ok());
      at += n;
    }
    // Consecutive pieces of one stream merged: the runs of each stream, in order.
    std::string runs;
    OutputStream last = OutputStream::kStderr;
    for (std::size_t i = 0; i < got.pieces.size(); ++i) {
      const auto& [stream, bytes] = got.pieces[i];
      if (i == 0 || stream != last) runs += stream == OutputStream::kStderr ? "|E:" : "|O:";
      runs += bytes;
      last = stream;
    }
    CHECK(runs == "|O:out line 1\n|E:err line\n|O:out line 2\nstdin echo\n");
  }
}

TEST_CASE("a long frame is passed on piece by piece as it arrives, never collected",
          "[providers][demux]") {
  const std::string payload(1 << 20, 'x');
  const std::string frame = MultiplexedFrame(1, payload);
  Received got;
  DockerStreamDemuxer demuxer(got.Sink(), "h1: logs of web");
  for (std::size_t at = 0; at < frame.size(); at += 4096)
    REQUIRE(demuxer.Feed(std::string_view(frame).substr(at, 4096)).ok());
  REQUIRE(demuxer.Finish().ok());
  CHECK(got.out == payload);
  std::size_t largest = 0;
  for (const auto& piece : got.pieces) largest = std::max(largest, piece.second.size());
  CHECK(largest <= 4096);
}

TEST_CASE("a daemon error frame, an unknown frame type and a cut-off frame are errors",
          "[providers][demux]") {
  Received got;
  DockerStreamDemuxer errors(got.Sink(), "h1: logs of web");
  const Status daemon =
      errors.Feed(MultiplexedFrame(1, "ok\n") + MultiplexedFrame(3, "log driver gone\n"));
  CHECK(daemon.code() == Status::Code::kRemoteError);
  CHECK(daemon.message() == "h1: logs of web: the daemon reported: log driver gone");
  CHECK(got.out == "ok\n");

  DockerStreamDemuxer unknown(got.Sink(), "h1: logs of web");
  const Status wrong = unknown.Feed("plain text, not frames\n");
  CHECK(wrong.code() == Status::Code::kRemoteError);
  CHECK_THAT(wrong.message(), Catch::Contains("not Docker's multiplexed stream"));

  DockerStreamDemuxer in_header(got.Sink(), "w");
  REQUIRE(in_header.Feed(MultiplexedFrame(1, "abc").substr(0, 5)).ok());
  CHECK_THAT(in_header.Finish().message(), Catch::Contains("5 of 8 header bytes"));
  DockerStreamDemuxer in_payload(got.Sink(), "w");
  REQUIRE(in_payload.Feed(MultiplexedFrame(2, "abcdef").substr(0, 10)).ok());
  CHECK_THAT(in_payload.Finish().message(), Catch::Contains("4 payload bytes missing"));
}

TEST_CASE("the sink's error stops the demultiplexer with that error", "[providers][demux]") {
  int calls = 0;
  DockerStreamDemuxer demuxer(
      [&calls](OutputStream, std::string_view) {
        ++calls;
        return Status::IoError("stdout closed");
      },
      "w");
  const Status st = demuxer.Feed(MultiplexedFrame(1, "a") + MultiplexedFrame(1, "b"));
  CHECK(st.code() == Status::Code::kIoError);
  CHECK(calls == 1);
}

}  // namespace
}  // namespace jlrec
