#include "providers/ssh_session.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>

#include "providers/ssh_authenticate.h"
#include "providers/ssh_common.h"
#include "providers/ssh_host_key.h"

namespace jlrec {

namespace {

// How long an unlocked wait for socket data lasts before the channel buffer is checked
// again: another thread may have moved this channel's data from the socket into its
// buffer while this one was between its check and its poll.
constexpr int kPollSliceMs = 20;
// Bound for the goodbye messages (channel close, disconnect) of a hung peer.
constexpr std::chrono::milliseconds kCloseTimeout{1000};
// The longest a write waits, lock held, for the socket to take bytes the peer's window
// allows: only a dead connection takes that long, whatever the caller's deadline.
constexpr std::chrono::milliseconds kLongestFlush{300000};
// The last bytes of a dial-stdio channel's stderr kept to explain its failure.
constexpr std::size_t kStderrKeep = 2048;

const char* const kDefaultDockerSockets[] = {"/var/run/docker.sock", "/run/docker.sock"};

// Asks the login user's shell whether it may write (connect to) the socket whose path comes
// on stdin: the command line is fixed, the path is never part of it.
constexpr const char* kSocketAccessProbe =
    "IFS= read -r p; if [ -w \"$p\" ]; then echo writable; elif [ -e \"$p\" ]; then echo denied; "
    "else echo missing; fi";
// The probe only refines an error message: it never holds a failing open up for long.
constexpr std::chrono::milliseconds kProbeTimeout{5000};

// libssh reports a refused channel as "Channel opening failure: channel N error (CODE)
// TEXT"; CODE is RFC 4254's reason: 1 administratively prohibited, 2 connect failed,
// 3 unknown channel type, 4 resource shortage. -1 when the error is something else.
int ChannelOpenFailureReason(const std::string& error) {
  auto at = error.find("Channel opening failure");
  if (at == std::string::npos) return -1;
  auto open = error.find("error (", at);
  if (open == std::string::npos) return -1;
  int reason = -1;
  if (std::sscanf(error.c_str() + open, "error (%d)", &reason) != 1) return -1;
  return reason;
}

// True when docker's dial-stdio says the socket refused the login user: Go's "dial unix
// PATH: connect: permission denied" (the docker CLI's "permission denied while trying to
// connect to the Docker daemon socket" in other commands). sshd's own refusal of a
// stream-local channel says only "open failed", the same as for a socket nobody listens on.
bool SocketPermissionDenied(const std::string& dial_stdio_stderr) {
  return dial_stdio_stderr.find("connect: permission denied") != std::string::npos ||
         dial_stdio_stderr.find("permission denied while trying to connect") != std::string::npos;
}

// "permission denied on SOCKET for user U (is U in the docker group?)".
std::string PermissionDeniedMessage(const std::string& socket_path, const std::string& user) {
  return "permission denied on " + socket_path + " for user " + user + " (is " + user +
         " in the docker group?)";
}

// Acknowledges received data now instead of up to 40 ms later. sshd writes small
// messages (channel confirmations, forwarded answers) right after others; with Nagle on
// its side, each would wait for our delayed ACK. Measured on the lab: a channel open
// drops from ~45 ms to a few ms. Not permanent in the kernel, so it is set after every
// read; harmless (and failing) on the pipe of a ProxyCommand.
void AckNow(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

// Waits until `fd` is readable, for at most one slice and never past `deadline`.
void WaitReadable(int fd, Deadline deadline) {
  pollfd p{fd, POLLIN, 0};
  int slice = static_cast<int>(std::min<long long>(TimeLeft(deadline).count(), kPollSliceMs));
  if (::poll(&p, 1, std::max(slice, 1)) > 0 && (p.revents & POLLNVAL) != 0) {
    // The socket is gone; libssh reports why on its next call.
    struct timespec pause = {0, kPollSliceMs * 1000000L};
    nanosleep(&pause, nullptr);
  }
}

}  // namespace

/// A channel of an SshSession used as a byte stream.
class SshChannelStream final : public ByteStream {
 public:
  SshChannelStream(std::shared_ptr<SshSession> session, ssh_channel channel, bool dial_stdio,
                   std::string socket_path, std::string what)
      : session_(std::move(session)),
        channel_(channel),
        dial_stdio_(dial_stdio),
        socket_path_(std::move(socket_path)),
        what_(std::move(what)) {}

  ~SshChannelStream() override {
    MutexLock lock(session_->mu_);
    // Freeing an open channel sends EOF and CLOSE; bound that for a hung peer.
    SetSshCallTimeout(session_->session_, DeadlineAfter(kCloseTimeout));
    ssh_channel_free(channel_);
  }

  Status WriteAll(std::string_view data, Deadline deadline) override EXCLUDES(session_->mu_) {
    std::size_t done = 0;
    while (done < data.size()) {
      {
        MutexLock lock(session_->mu_);
        if (broken_ || write_broken_) return Status::Unavailable(what_ + ": stream already failed");
        if (Expired(deadline)) {
          write_broken_ = true;
          return Status::Timeout(what_ + ": timed out sending the request");
        }
        // Only what the peer's window takes is written under the lock, so that the write
        // never waits for the peer there: a process that stops reading its input until its
        // output is read (cat) would otherwise hold the lock the reader of that output needs.
        std::uint32_t window = ssh_channel_window_size(channel_);
        if (window == 0) {
          // Let libssh take in what arrived (a window adjustment among it) without reading
          // this channel's data: the stderr buffer is empty (there is none on a socket
          // channel; dial-stdio's is drained), and libssh dispatches packets only then.
          if (dial_stdio_) DrainStderr();
          if (ssh_channel_poll(channel_, 1) == SSH_ERROR) {
            write_broken_ = true;
            return Status::Unavailable(what_ + ": sending failed: " + SshError(session_->session_));
          }
          window = ssh_channel_window_size(channel_);
          if (window == 0 && (ssh_channel_is_closed(channel_) || ssh_channel_is_eof(channel_))) {
            write_broken_ = true;
            return Status::Unavailable(what_ + ": the peer closed the stream");
          }
        }
        if (window > 0) {
          // The call waits only for the socket to take the bytes; bounded by the deadline,
          // and by kLongestFlush whatever the deadline (every other channel waits for it).
          SetSshCallTimeout(session_->session_, std::min(deadline, DeadlineAfter(kLongestFlush)));
          const auto chunk = static_cast<std::uint32_t>(
              std::min<std::size_t>({data.size() - done, 32 * 1024, window}));
          int n = ssh_channel_write(channel_, data.data() + done, chunk);
          if (n == SSH_ERROR) {
            write_broken_ = true;
            return Status::Unavailable(what_ + ": sending failed: " + SshError(session_->session_));
          }
          done += static_cast<std::size_t>(std::max(n, 0));
          continue;
        }
      }
      if (Status st = CheckInterruption(/*writing=*/true); !st.ok()) return st;
      WaitReadable(session_->fd_, deadline);
    }
    return Status::Ok();
  }

  Status CloseWrite() override EXCLUDES(session_->mu_) {
    MutexLock lock(session_->mu_);
    if (broken_ || write_broken_) return Status::Unavailable(what_ + ": stream already failed");
    SetSshCallTimeout(session_->session_, DeadlineAfter(kCloseTimeout));
    if (ssh_channel_send_eof(channel_) == SSH_ERROR) {
      write_broken_ = true;
      return Status::Unavailable(
          what_ + ": cannot close the sending side: " + SshError(session_->session_));
    }
    return Status::Ok();
  }

  void SetInterruption(std::function<bool()> interrupted) override {
    interrupted_ = std::move(interrupted);
  }

  Result<std::size_t> ReadSome(char* buffer, std::size_t capacity, Deadline deadline) override
      EXCLUDES(session_->mu_) {
    const auto count =
        static_cast<uint32_t>(std::min<std::size_t>(capacity, std::numeric_limits<int32_t>::max()));
    for (;;) {
      {
        MutexLock lock(session_->mu_);
        if (broken_) return Status::Unavailable(what_ + ": stream already failed");
        if (dial_stdio_) DrainStderr();
        int n = ssh_channel_read_nonblocking(channel_, buffer, count, 0);
        AckNow(session_->fd_);
        if (n > 0) {
          // The daemon answered through dial-stdio: forwarding is what fails here, so
          // later streams skip straight to the fallback.
          if (dial_stdio_) session_->dial_stdio_ = true;
          return static_cast<std::size_t>(n);
        }
        if (n == SSH_ERROR) {
          broken_ = true;
          return Status::Unavailable(what_ +
                                     ": SSH connection failed: " + SshError(session_->session_));
        }
        if (n == SSH_EOF || ssh_channel_is_eof(channel_)) {
          eof_ = true;
          if (dial_stdio_) {
            DrainStderr();
            if (SocketPermissionDenied(stderr_))
              return Status::Unavailable(PermissionDeniedMessage(socket_path_, session_->user_));
            if (!stderr_.empty())
              return Status::Unavailable(what_ + ": docker system dial-stdio ended: " + stderr_);
          }
          return std::size_t{0};
        }
      }
      if (Expired(deadline)) {
        MutexLock lock(session_->mu_);
        broken_ = true;
        return Status::Timeout(what_ + ": no data before the deadline");
      }
      if (Status st = CheckInterruption(/*writing=*/false); !st.ok()) return st;
      WaitReadable(session_->fd_, deadline);
    }
  }

  bool Usable() const override EXCLUDES(session_->mu_) {
    MutexLock lock(session_->mu_);
    return !broken_ && !write_broken_ && !eof_ && ssh_channel_is_open(channel_) != 0 &&
           ssh_channel_is_eof(channel_) == 0;
  }

 private:
  // kCancelled (and the direction that waited broken) once the interruption says so; ok
  // otherwise.
  Status CheckInterruption(bool writing) EXCLUDES(session_->mu_) {
    if (!interrupted_ || !interrupted_()) return Status::Ok();
    MutexLock lock(session_->mu_);
    (writing ? write_broken_ : broken_) = true;
    return Status::Cancelled(what_ + ": interrupted");
  }

  // Keeps the tail of the exec channel's stderr (docker's complaints) and frees the
  // channel window its bytes occupy.
  void DrainStderr() REQUIRES(session_->mu_) {
    char chunk[1024];
    for (;;) {
      int n = ssh_channel_read_nonblocking(channel_, chunk, sizeof chunk, 1);
      if (n <= 0) break;
      stderr_.append(chunk, static_cast<std::size_t>(n));
      if (stderr_.size() > kStderrKeep) stderr_.erase(0, stderr_.size() - kStderrKeep);
    }
    while (!stderr_.empty() && (stderr_.back() == '\n' || stderr_.back() == '\r'))
      stderr_.pop_back();
  }

  // Never reassigned: the guards below name the mutex of the session it points to.
  const std::shared_ptr<SshSession> session_;
  ssh_channel channel_ GUARDED_BY(session_->mu_);  // every libssh call on it holds that mutex
  const bool dial_stdio_;
  const std::string socket_path_;
  const std::string what_;
  // Set before the stream is shared between threads (SetInterruption), then only called.
  std::function<bool()> interrupted_;
  // A failed read breaks the stream; a failed write only its sending side, so that what the
  // peer sent before it went away can still be read (an exec whose process exited without
  // reading all of its input).
  bool broken_ GUARDED_BY(session_->mu_) = false;
  bool write_broken_ GUARDED_BY(session_->mu_) = false;
  bool eof_ GUARDED_BY(session_->mu_) = false;
  std::string stderr_ GUARDED_BY(session_->mu_);
};

Result<std::shared_ptr<SshSession>> SshSession::Connect(const HostConnection& host,
                                                        const ConnectOptions& options) {
  EnsureLibsshInitialized();
  const Deadline deadline = DeadlineAfter(options.connect_timeout);
  // With ssh_host the config entry says where to connect; the address is only what the
  // containers are told and is never contacted.
  const std::string& ssh_target = host.ssh_host.empty() ? host.address : host.ssh_host;
  const std::string via =
      host.ssh_host.empty() ? "" : "via ssh config entry " + host.ssh_host + ", ";
  // For messages until the config told where the entry leads.
  const std::string target = host.ssh_host.empty()
                                 ? (host.user.empty() ? "" : host.user + "@") + host.address + ":" +
                                       std::to_string(host.port)
                                 : "via ssh config entry " + host.ssh_host;
  if (ssh_target.empty()) return Status::InvalidArgument(host.key + ": no address");
  const std::string config_file = ExpandHomePath(options.ssh_config);
  if (!config_file.empty()) {
    // libssh skips a config file it cannot open without a word; `ssh -F` refuses it.
    if (std::FILE* f = std::fopen(config_file.c_str(), "r")) {
      std::fclose(f);
    } else {
      return Status::InvalidArgument(target + ": cannot read ssh config file " + config_file +
                                     ": " + std::strerror(errno));
    }
  }
  ssh_session raw = ssh_new();
  if (raw == nullptr) return Status::Internal("libssh: cannot allocate a session");
  // From here the session object owns `raw` and frees it on every path.
  std::shared_ptr<SshSession> session(new SshSession(raw));

  int nodelay = 1;
  ssh_options_set(raw, SSH_OPTIONS_HOST, ssh_target.c_str());
  // The config first (its `Host ssh_target` entry: HostName, User, Port, IdentityFile,
  // ProxyJump...), so that explicit settings win. libssh expands "%" in the file name.
  std::string escaped_config;
  for (char c : config_file) escaped_config += c == '%' ? std::string("%%") : std::string(1, c);
  const std::string config_name = config_file.empty() ? "~/.ssh/config" : config_file;
  if (ssh_options_parse_config(raw, config_file.empty() ? nullptr : escaped_config.c_str()) !=
      SSH_OK)
    return Status::InvalidArgument(target + ": cannot parse " + config_name + ": " + SshError(raw));
  if (host.port != 22) {
    auto port = static_cast<unsigned int>(host.port);
    ssh_options_set(raw, SSH_OPTIONS_PORT, &port);
  }
  if (!host.user.empty()) {
    ssh_options_set(raw, SSH_OPTIONS_USER, host.user.c_str());
  } else if (char* configured = nullptr;
             ssh_options_get(raw, SSH_OPTIONS_USER, &configured) == SSH_OK) {
    ssh_string_free_char(configured);
  } else {
    ssh_options_set(raw, SSH_OPTIONS_USER, nullptr);  // libssh: the local user
  }
  const std::string known_hosts =
      ExpandHomePath(!options.known_hosts.empty() ? options.known_hosts : host.known_hosts);
  if (!known_hosts.empty()) ssh_options_set(raw, SSH_OPTIONS_KNOWNHOSTS, known_hosts.c_str());
  // Without TCP_NODELAY each small handshake packet waits for a delayed ACK.
  ssh_options_set(raw, SSH_OPTIONS_NODELAY, &nodelay);

  {
    char* user = nullptr;
    unsigned int port = 0;
    ssh_options_get(raw, SSH_OPTIONS_USER, &user);
    ssh_options_get_port(raw, &port);
    char* address = nullptr;
    ssh_options_get(raw, SSH_OPTIONS_HOST, &address);
    session->user_ = user != nullptr ? user : "?";
    session->peer_ = via + session->user_ + "@" + (address != nullptr ? address : ssh_target) +
                     ":" + std::to_string(port);
    ssh_string_free_char(user);
    ssh_string_free_char(address);
  }
  const std::string& peer = session->peer_;

  MutexLock lock(session->mu_);
  SetSshCallTimeout(raw, deadline);
  if (ssh_connect(raw) != SSH_OK) {
    // libssh's own timer may fire a moment before ours.
    if (TimeLeft(deadline) < std::chrono::milliseconds(100))
      return Status::Unavailable(peer + ": no SSH handshake within " +
                                 FormatSeconds(options.connect_timeout) +
                                 " (host down or hung?): " + SshError(raw));
    return Status::Unavailable(peer + ": cannot connect: " + SshError(raw));
  }
  if (Status st = VerifyHostKey(raw, peer, options.accept_new_host_keys); !st.ok()) return st;
  if (Status st = AuthenticateSession(raw, host.identity_file, peer, deadline); !st.ok()) return st;
  session->fd_ = ssh_get_fd(raw);
  return session;
}

SshSession::~SshSession() {
  MutexLock lock(mu_);
  if (ssh_is_connected(session_)) {
    SetSshCallTimeout(session_, DeadlineAfter(kCloseTimeout));
    ssh_disconnect(session_);
  }
  ssh_free(session_);
}

bool SshSession::uses_dial_stdio() const {
  MutexLock lock(mu_);
  return dial_stdio_;
}

Result<std::unique_ptr<ByteStream>> SshSession::OpenUnixSocketStream(const std::string& socket_path,
                                                                     Deadline deadline) {
  const std::string what = "docker socket " + socket_path;
  std::string forwarding_failure;
  {
    MutexLock lock(mu_);
    if (!ssh_is_connected(session_))
      return Status::Unavailable(peer_ + ": SSH connection lost: " + SshError(session_));
    if (!dial_stdio_) {
      ssh_channel channel = ssh_channel_new(session_);
      if (channel == nullptr)
        return Status::Unavailable(what + ": cannot create a channel: " + SshError(session_));
      int rc = CallUntilAnswered(deadline, [&] {
        return ssh_channel_open_forward_unix(channel, socket_path.c_str(), "127.0.0.1", 0);
      });
      if (rc == SSH_OK)
        return std::unique_ptr<ByteStream>(
            new SshChannelStream(shared_from_this(), channel, false, socket_path, what));
      const std::string error = rc == SSH_AGAIN ? "no answer" : SshError(session_);
      ssh_channel_free(channel);
      const int reason = ChannelOpenFailureReason(error);
      if (reason < 1 || reason > 3) {
        if (rc == SSH_AGAIN || Expired(deadline))
          return Status::Timeout(what + ": no answer to the channel request before the deadline");
        return Status::Unavailable(what + ": cannot open a channel: " + error);
      }
      // OpenSSH answers "(2) open failed" when AllowStreamLocalForwarding forbids the
      // channel, when nothing accepts on the socket and when the user may not open it
      // (its log alone says "Permission denied"). The host's shell tells the last case
      // apart; root may open any socket, so it is not asked.
      if (user_ != "root" &&
          ProbeSocketAccess(socket_path, std::min(deadline, DeadlineAfter(kProbeTimeout))) ==
              SocketAccess::kDenied)
        return Status::Unavailable(PermissionDeniedMessage(socket_path, user_));
      // Otherwise only the fallback can tell: dial-stdio works (forwarding is forbidden) or
      // docker explains its failure.
      const std::string may_not_open =
          user_ == "root"
              ? ""
              : ", user " + user_ + " may not open it (is " + user_ + " in the docker group?)";
      forwarding_failure = "stream-local forwarding failed (" + error +
                           "): dockerd is not accepting connections there (is dockerd "
                           "running, is the socket path right?)" +
                           may_not_open + " or sshd forbids stream-local forwarding";
    }
  }
  return OpenDialStdio(socket_path, deadline, forwarding_failure);
}

Result<std::unique_ptr<ByteStream>> SshSession::OpenDialStdio(
    const std::string& socket_path, Deadline deadline, const std::string& forwarding_failure) {
  const std::string what =
      "docker socket " + socket_path +
      (forwarding_failure.empty() ? "" : ": " + forwarding_failure + "; fallback") +
      ": docker system dial-stdio";
  MutexLock lock(mu_);
  ssh_channel channel = ssh_channel_new(session_);
  if (channel == nullptr)
    return Status::Unavailable(what + ": cannot create a channel: " + SshError(session_));
  auto fail = [&](int rc, const std::string& why) REQUIRES(mu_) -> Status {
    std::string error = why + ": " + (rc == SSH_AGAIN ? "no answer" : SshError(session_));
    ssh_channel_free(channel);
    if (rc == SSH_AGAIN) return Status::Timeout(what + ": " + error);
    return Status::Unavailable(what + ": " + error);
  };
  int rc = CallUntilAnswered(deadline, [&] { return ssh_channel_open_session(channel); });
  if (rc != SSH_OK) return fail(rc, "cannot open a session channel");
  bool default_socket =
      std::any_of(std::begin(kDefaultDockerSockets), std::end(kDefaultDockerSockets),
                  [&](const char* p) { return socket_path == p; });
  if (!default_socket) {
    // The socket travels as an environment request, never inside the command line; if
    // the server does not accept it, dial-stdio would reach the wrong daemon.
    const std::string docker_host = "unix://" + socket_path;
    rc = CallUntilAnswered(deadline, [&] {
      return ssh_channel_request_env(channel, "DOCKER_HOST", docker_host.c_str());
    });
    if (rc != SSH_OK)
      return fail(rc,
                  "sshd refuses to pass DOCKER_HOST (it needs AcceptEnv DOCKER_HOST, or "
                  "AllowStreamLocalForwarding yes)");
  }
  rc = CallUntilAnswered(
      deadline, [&] { return ssh_channel_request_exec(channel, "docker system dial-stdio"); });
  if (rc != SSH_OK) return fail(rc, "cannot run it");
  return std::unique_ptr<ByteStream>(
      new SshChannelStream(shared_from_this(), channel, true, socket_path, what));
}

SshSession::SocketAccess SshSession::ProbeSocketAccess(const std::string& socket_path,
                                                       Deadline deadline) {
  if (socket_path.find('\n') != std::string::npos) return SocketAccess::kUnknown;  // one line
  ssh_channel channel = ssh_channel_new(session_);
  if (channel == nullptr) return SocketAccess::kUnknown;
  // Every return below holds the lock: the channel is freed under it.
  struct ChannelFree {
    ssh_session session;
    ssh_channel channel;
    ~ChannelFree() {
      SetSshCallTimeout(session, DeadlineAfter(kCloseTimeout));
      ssh_channel_free(channel);
    }
  } owner{session_, channel};
  if (CallUntilAnswered(deadline, [&] { return ssh_channel_open_session(channel); }) != SSH_OK)
    return SocketAccess::kUnknown;
  if (CallUntilAnswered(deadline, [&] {
        return ssh_channel_request_exec(channel, kSocketAccessProbe);
      }) != SSH_OK)
    return SocketAccess::kUnknown;
  const std::string line = socket_path + "\n";
  SetSshCallTimeout(session_, deadline);
  if (ssh_channel_write(channel, line.data(), static_cast<uint32_t>(line.size())) !=
      static_cast<int>(line.size()))
    return SocketAccess::kUnknown;
  ssh_channel_send_eof(channel);
  std::string answer;
  while (answer.size() < 64) {
    char chunk[64];
    int n = ssh_channel_read_nonblocking(channel, chunk, sizeof chunk, 0);
    AckNow(fd_);
    if (n > 0) {
      answer.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    if (n == SSH_ERROR) return SocketAccess::kUnknown;
    if (n == SSH_EOF || ssh_channel_is_eof(channel)) break;
    if (Expired(deadline)) return SocketAccess::kUnknown;
    // The caller's MutexLock stays in scope; it finds the mutex held again when it ends.
    mu_.Unlock();
    WaitReadable(fd_, deadline);
    mu_.Lock();
  }
  if (answer == "denied\n") return SocketAccess::kDenied;
  if (answer == "writable\n") return SocketAccess::kWritable;
  return SocketAccess::kUnknown;
}

int SshSession::CallUntilAnswered(Deadline deadline, const std::function<int()>& call) {
  for (;;) {
    ssh_set_blocking(session_, 0);
    int rc = call();
    ssh_set_blocking(session_, 1);
    AckNow(fd_);
    if (rc != SSH_AGAIN || Expired(deadline)) return rc;
    mu_.Unlock();  // as in ProbeSocketAccess: retaken before returning
    WaitReadable(fd_, deadline);
    mu_.Lock();
  }
}

}  // namespace jlrec
