// One authenticated SSH connection to one host, and the byte streams (channels) that
// carry Docker API traffic over it.
//
// Threading: a libssh session is not thread-safe, so every libssh call on the session or
// any of its channels holds the session's mutex. Waiting for data does NOT hold it: a
// reader polls the session socket unlocked, then takes the mutex only to let libssh
// dispatch what arrived and to copy its own channel's bytes. Several channels on one
// session therefore make progress at the same time, which is what lets overlapping
// requests (apply's per-host parallelism) share one connection.
#pragma once

#include <libssh/libssh.h>

#include <functional>
#include <memory>
#include <string>

#include "model/desired_state.h"
#include "model/mutex.h"
#include "model/provider.h"
#include "model/status.h"
#include "model/thread_annotations.h"
#include "providers/byte_stream.h"
#include "providers/deadline.h"

namespace jlrec {

/// Thread-safe. Owned through shared_ptr: open streams keep their session alive.
class SshSession : public std::enable_shared_from_this<SshSession> {
 public:
  /// Connects to `host` (TCP, SSH handshake, host-key check, authentication), all within
  /// options.connect_timeout: to the ssh config entry `host.ssh_host` when set (never to
  /// `host.address` then), else to `host.address`. Honours the OpenSSH client config
  /// (options.ssh_config, else ~/.ssh/config and /etc/ssh/ssh_config); `host`'s own port,
  /// user and identity file win over it, except that a port of 22 defers to the config.
  /// kUnavailable with the reason when the host cannot be used; kInvalidArgument when the
  /// config file cannot be read.
  static Result<std::shared_ptr<SshSession>> Connect(const HostConnection& host,
                                                     const ConnectOptions& options);
  ~SshSession();
  SshSession(const SshSession&) = delete;
  SshSession& operator=(const SshSession&) = delete;

  /// A stream to unix socket `socket_path` on the host: a direct-streamlocal channel or,
  /// when that channel is refused, a `docker system dial-stdio` exec channel (DOCKER_HOST
  /// passed as an environment request, never in a command line). Once dial-stdio has
  /// carried data, the session uses it directly. kUnavailable if neither works (the
  /// message carries both reasons) or the session is lost; kTimeout past `deadline`.
  Result<std::unique_ptr<ByteStream>> OpenUnixSocketStream(const std::string& socket_path,
                                                           Deadline deadline) EXCLUDES(mu_);

  /// "user@address:port" as connected, for messages; with an ssh config entry
  /// "via ssh config entry NAME, user@hostname:port".
  const std::string& peer() const { return peer_; }

  /// True once stream-local forwarding failed and dial-stdio carried data instead.
  bool uses_dial_stdio() const EXCLUDES(mu_);

 private:
  friend class SshChannelStream;
  explicit SshSession(ssh_session session) : session_(session) {}
  // `forwarding_failure`: why stream-local forwarding failed ("" if it was not tried).
  Result<std::unique_ptr<ByteStream>> OpenDialStdio(const std::string& socket_path,
                                                    Deadline deadline,
                                                    const std::string& forwarding_failure)
      EXCLUDES(mu_);

  // What the login user may do with a socket, as the host's own `test -w` says.
  enum class SocketAccess { kUnknown, kWritable, kDenied };
  // Asks the host, on an exec channel, whether the login user may open `socket_path`.
  // kUnknown when it cannot tell (no POSIX shell, a ForceCommand, no answer in time).
  // Caller holds mu_; it is released while waiting for the answer.
  SocketAccess ProbeSocketAccess(const std::string& socket_path, Deadline deadline) REQUIRES(mu_);

  // Runs `call`, a libssh request that answers SSH_AGAIN until the server replied, in
  // non-blocking mode until it is answered or `deadline` passes (then SSH_AGAIN). Caller
  // holds mu_; it is released while waiting for the reply, so that other channels work.
  int CallUntilAnswered(Deadline deadline, const std::function<int()>& call) REQUIRES(mu_);

  mutable Mutex mu_;  // held for every libssh call on session_ and its channels
  // Guarded although never reassigned: a libssh call on the session reads it, so the analysis
  // holds "no libssh call without mu_" (channels: SshChannelStream::channel_). Only Connect
  // calls libssh unlocked, on its own handle, before the session is shared.
  ssh_session session_ GUARDED_BY(mu_);
  // Not guarded: set by Connect before the session is shared, then only read.
  int fd_ = -1;  // the session's socket, polled without the mutex
  std::string peer_;
  std::string user_;                         // logged in as
  bool dial_stdio_ GUARDED_BY(mu_) = false;  // dial-stdio proved to work, forwarding not
};

}  // namespace jlrec
