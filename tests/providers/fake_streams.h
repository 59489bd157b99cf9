// Test doubles for providers/: byte streams scripted chunk by chunk, and an in-memory
// Docker daemon that answers parsed HTTP requests.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "providers/byte_stream.h"

namespace jlrec::testing {

/// What a ScriptedStream will read and what was written to it.
struct StreamScript {
  std::deque<std::string> chunks;  ///< returned by successive ReadSome calls
  bool eof_at_end = true;          ///< when chunks run out: end of stream, else kTimeout
  std::string written;             ///< everything WriteAll received
  bool fail_writes = false;        ///< WriteAll reports a broken stream
};

/// Replays a StreamScript; never waits (a stream that would block times out at once).
class ScriptedStream : public ByteStream {
 public:
  explicit ScriptedStream(std::shared_ptr<StreamScript> script) : script_(std::move(script)) {}
  Status WriteAll(std::string_view data, Deadline deadline) override;
  Result<std::size_t> ReadSome(char* buffer, std::size_t capacity, Deadline deadline) override;
  bool Usable() const override { return !ended_; }

 private:
  std::shared_ptr<StreamScript> script_;
  bool ended_ = false;
};

/// One request as the fake daemon parsed it.
struct FakeRequest {
  std::string method;
  std::string path;                            ///< decoded, without the query
  std::map<std::string, std::string> query;    ///< decoded
  std::map<std::string, std::string> headers;  ///< names lowercased
  std::string body;
};

/// Decodes %XX escapes (and nothing else).
std::string PercentDecode(const std::string& s);

/// A Content-Length framed response.
std::string HttpReply(int status, const std::string& body,
                      const std::string& content_type = "application/json");
/// A chunked response with `body` split into chunks of `chunk_size` bytes.
std::string ChunkedReply(int status, const std::string& body, std::size_t chunk_size);

/// A tar holding one symlink `name` -> `target`, as Docker's Go archive/tar writes it.
std::string SymlinkTar(const std::string& name, const std::string& target);

/// An in-memory Docker daemon: each stream it opens parses the requests written to it
/// and queues `handler`'s raw answer for reading. Streams may be used from several
/// threads at once (the handler runs under the daemon's lock).
class FakeDaemon {
 public:
  using Handler = std::function<std::string(const FakeRequest&)>;
  explicit FakeDaemon(Handler handler) : handler_(std::move(handler)) {}
  /// A new connection to the daemon.
  std::unique_ptr<ByteStream> Connect();
  /// Every request received, in order (read it when no stream is in use).
  const std::vector<FakeRequest>& requests() const { return requests_; }
  /// How many connections were opened.
  int connections() const {
    std::lock_guard lock(mu_);
    return connections_;
  }
  /// Simulates a daemon that drops idle keep-alive connections: after answering this many
  /// requests, a connection reads as closed (0 = never).
  void DropConnectionsAfter(int requests) { drop_after_ = requests; }

 private:
  friend class FakeDaemonStream;
  mutable std::mutex mu_;
  Handler handler_;
  std::vector<FakeRequest> requests_;
  int connections_ = 0;
  int drop_after_ = 0;
};

}  // namespace jlrec::testing
