// `jlrec serve`: the HTTP server the operations web backend talks to (docs/api.md), the
// status page, the Prometheus metrics, and the drift loop that keeps them current.
#pragma once

#include <memory>
#include <string>

#include "model/status.h"
#include "serve/serve_deps.h"

namespace jlrec::serve {

class DriftLoop;

/// One project served over HTTP. Construct, Bind, then Serve (blocks) until Shutdown.
class Server {
 public:
  Server(ProjectAccess access, ServeOptions options);
  /// Shuts down if still serving.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds options.listen_host:listen_port (port 0: any free one). kUnavailable with the
  /// reason when it cannot.
  [[nodiscard]] Status Bind();
  /// The bound port (after Bind).
  int port() const;
  /// Starts the drift loop and answers requests until Shutdown(); returns then.
  void Serve();
  /// Stops: the listening socket closes, a running drift check finishes, running applies
  /// start no new action and end, every lock is released. Callable from any thread (not from
  /// a signal handler), more than once.
  void Shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// True when `host` is a loopback address or name ("127.x.y.z", "::1", "localhost"), the
/// only addresses `jlrec serve` binds without a token file.
bool IsLoopbackHost(const std::string& host);

}  // namespace jlrec::serve
