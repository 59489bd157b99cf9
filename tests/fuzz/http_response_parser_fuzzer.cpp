/// Fuzzes the HTTP/1.1 response parser (providers/http_response_parser.h). The input is two
/// control bytes and the bytes a peer sends:
///   byte 0: bit 0 the request was HEAD; bit 1 body bytes go to a sink; bit 2 small limits
///           (256 header bytes, 64 body bytes) instead of the defaults;
///   byte 1: seeds the chunk boundaries the bytes arrive in;
///   the rest: the response, then the connection closes.
///
/// Asserts, beyond no crash:
/// - the outcome does not depend on how the bytes are split (one Feed, or many of 1..N
///   bytes): the same error or the same response, body and number of bytes consumed;
/// - Feed consumes everything it is given unless the response completed;
/// - a body (in the response or the sink) is never larger than max_body_bytes;
/// - a complete response is a final one (status >= 200: 1xx are interim).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "providers/http_response_parser.h"

namespace {

struct Outcome {
  bool ok = true;
  std::string error;
  std::size_t consumed = 0;
  bool complete = false;
  jlrec::HttpResponse response;
  std::string sunk;  // what the body sink received
};

// Feeds `wire` in pieces whose sizes come from `seed` (0: all at once), then reports EOF.
Outcome Run(std::string_view wire, unsigned seed, bool head, bool use_sink,
            const jlrec::HttpParserLimits& limits) {
  Outcome out;
  jlrec::HttpResponseParser::BodySink sink;
  if (use_sink)
    sink = [&out](std::string_view bytes) {
      out.sunk.append(bytes);
      return jlrec::Status::Ok();
    };
  jlrec::HttpResponseParser parser(head, sink, limits);
  std::uint32_t state = seed * 2654435761u + 1;  // a small LCG: any seed, many split shapes
  std::size_t pos = 0;
  while (pos < wire.size() && !parser.complete()) {
    std::size_t n = wire.size() - pos;
    if (seed != 0) {
      state = state * 1103515245u + 12345u;
      n = std::min<std::size_t>(n, 1 + (state >> 16) % (1u + (seed & 0x3f)));
    }
    auto used = parser.Feed(wire.substr(pos, n));
    if (!used.ok()) {
      out.ok = false;
      out.error = used.status().ToString();
      break;
    }
    FUZZ_CHECK(*used <= n, "Feed consumed more than it was given");
    FUZZ_CHECK(*used == n || parser.complete(), "Feed stopped short of an incomplete response");
    pos += *used;
    if (*used < n) break;
  }
  if (out.ok) {
    if (jlrec::Status st = parser.FinishAtEof(); !st.ok()) {
      out.ok = false;
      out.error = st.ToString();
    }
  }
  out.consumed = pos;
  out.complete = parser.complete();
  if (out.complete) out.response = parser.response();
  return out;
}

bool Same(const Outcome& a, const Outcome& b) {
  if (a.ok != b.ok || a.error != b.error || a.complete != b.complete) return false;
  if (!a.ok) return true;
  const auto& x = a.response;
  const auto& y = b.response;
  return a.consumed == b.consumed && a.sunk == b.sunk && x.status == y.status &&
         x.version_minor == y.version_minor && x.reason == y.reason && x.headers == y.headers &&
         x.trailers == y.trailers && x.body == y.body && x.keep_alive == y.keep_alive;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const bool head = data[0] & 1;
  const bool use_sink = data[0] & 2;
  jlrec::HttpParserLimits limits;
  if (data[0] & 4) {
    limits.max_header_bytes = 256;
    limits.max_body_bytes = 64;
  }
  const unsigned seed = data[1];
  const std::string_view wire(reinterpret_cast<const char*>(data) + 2, size - 2);

  const Outcome whole = Run(wire, 0, head, use_sink, limits);
  const Outcome split = Run(wire, seed == 0 ? 1 : seed, head, use_sink, limits);
  FUZZ_CHECK(Same(whole, split),
             "split at seed " + std::to_string(seed) + ": " + whole.error + " vs " + split.error);
  for (const Outcome* o : {&whole, &split}) {
    FUZZ_CHECK(o->response.body.size() <= limits.max_body_bytes, "body over the limit");
    FUZZ_CHECK(o->sunk.size() <= limits.max_body_bytes, "sunk body over the limit");
    if (o->complete) FUZZ_CHECK(o->response.status >= 200, "complete with an interim status");
    if (o->complete && use_sink) FUZZ_CHECK(o->response.body.empty(), "body beside a sink");
  }
  return 0;
}
