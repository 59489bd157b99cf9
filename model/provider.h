// The seam between the engine and a Docker host (after ninja's CommandRunner and
// leveldb's Env): everything jlrec reads or changes on a host goes through a Provider.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/container_spec.h"
#include "model/desired_state.h"
#include "model/live_state.h"
#include "model/status.h"

namespace jlrec {

class RegistryAuth;  // providers/registry_auth.h: only the SSH + Docker provider reads it

/// What to create: the immutable spec plus jlrec's bookkeeping labels.
struct CreateContainerRequest {
  std::string name;                                 ///< container name
  ContainerSpec spec;                               ///< image may be pinned "repo@sha256:..."
  std::map<std::string, std::string> jlrec_labels;  ///< jlrec.* labels, merged with spec.labels
};

/// Which standard stream of a container's process bytes come from.
enum class OutputStream { kStdout, kStderr };

/// Receives a container's output as it arrives (a log, an attached exec), stdout and stderr
/// apart, in the order the daemon sends them; a piece may end anywhere (mid-line, mid
/// UTF-8 character). A non-ok return ends the transfer with that status.
using OutputSink = std::function<Status(OutputStream stream, std::string_view bytes)>;

/// What Provider::StreamLogs sends (`docker logs` options).
struct LogsRequest {
  std::optional<std::uint64_t> tail;  ///< only the last N lines of the log; nullopt: all of it
  /// Then go on sending what the container writes, until it stops or `interrupted`.
  bool follow = false;
  bool timestamps = false;  ///< each line starts with the RFC 3339 time Docker recorded it at
  /// Asked every few milliseconds while waiting for output; once true, the call ends with
  /// kCancelled. Null: never. Must be cheap; called from the calling thread.
  std::function<bool()> interrupted;
};

/// A terminal's size in character cells.
struct TerminalSize {
  int rows = 0;
  int columns = 0;
};

/// What Provider::StartExec runs (`docker exec -i [-t]`).
struct ExecRequest {
  /// The command as an argument vector, each element one argument: never run through a shell.
  std::vector<std::string> argv;
  /// A pseudo-terminal for the process: input and output are then one raw stream (all of the
  /// output kStdout), and the end of the input cannot be signalled (CloseInput).
  bool tty = false;
  std::optional<TerminalSize> size;  ///< the pseudo-terminal's size at start (tty only)
  /// As LogsRequest::interrupted, for every wait of the session (ReadOutput, WriteInput);
  /// called from whichever thread waits, so it must be thread-safe.
  std::function<bool()> interrupted;
};

/// How an attached exec ended.
struct ExecOutcome {
  int exit_code = 0;  ///< the process's exit code (Docker's ExitCode)
  /// False when the command never ran (not found, not executable): exit_code is then the
  /// daemon's 126 or 127, and the daemon's explanation came as output.
  bool started = true;
};

/// An exec in a container with its stdin, stdout and stderr attached: the caller pumps the
/// input and the output itself. ReadOutput may run in one thread while WriteInput and
/// CloseInput run in another; Resize may be called from any thread. Must not outlive the
/// provider that started it. Destroying it before the end detaches: the process goes on
/// (Docker cannot stop an exec) with its input at end of file.
class ExecSession {
 public:
  virtual ~ExecSession() = default;
  /// Waits (without a deadline: only `interrupted` ends the wait) for the process's next
  /// output and hands it to `sink`; false once the output ended (the process exited, or closed
  /// its outputs). kUnavailable when the connection broke, kCancelled when interrupted.
  virtual Result<bool> ReadOutput(const OutputSink& sink) = 0;
  /// Sends `bytes` to the process's stdin, waiting (without a deadline) while it does not read.
  virtual Status WriteInput(std::string_view bytes) = 0;
  /// Ends the process's stdin (it reads end of file); its output goes on. kInvalidArgument in a
  /// tty session, where Docker would end the output with it.
  virtual Status CloseInput() = 0;
  /// Sets the size of the session's pseudo-terminal (kInvalidArgument without one).
  virtual Status Resize(TerminalSize size) = 0;
  /// Once ReadOutput returned false: how the process ended. kTimeout when the daemon does not
  /// report the end within a request timeout.
  virtual Result<ExecOutcome> Finish() = 0;
};

/// What Provider::ReadContainers reads of a host: what ListContainers returns, each container
/// with the StatFile key of one file, in as few round trips as the provider can manage.
struct ContainerReadRequest {
  std::string project;             ///< as ListContainers
  std::vector<std::string> names;  ///< as ListContainers
  /// This host's containers as its last read saw them, by id (the state cache's). A provider
  /// may ask for what it needs of them together with the list (their stats, their images:
  /// the steady state is then one round trip), so it must hold this host's only. It may return
  /// one of these instead of inspecting it again when the host still lists it running under the
  /// same name, image and jlrec labels and the daemon logged no event about it since
  /// `known_since` (its event log reaching back that far): nothing that an inspect shows can
  /// have changed without such an event. Null: every container is inspected.
  const std::unordered_map<std::string, const LiveContainer*>* known = nullptr;
  /// When `known` was read: unix seconds on this machine's clock.
  std::int64_t known_since = 0;
  std::string stat_path;  ///< the file whose StatFile key is read for every container ("" none)
};

/// One container as Provider::ReadContainers returns it.
struct ContainerReading {
  LiveContainer container;  ///< as ListContainers returns it (script_digest unset)
  /// StatFile(container.id, stat_path) as this read found it (nullopt: no such file, or no
  /// stat_path asked).
  std::optional<std::string> stat;
  bool inspected = true;  ///< false when taken from ContainerReadRequest::known
};

/// What a provider sent and waited for, for `jlrec plan -v` and the benchmarks.
struct ProviderTraffic {
  int requests = 0;        ///< Docker API requests (each request of a pipelined batch counts)
  int streams_opened = 0;  ///< connections opened to the daemon (an SSH channel each)
  /// The longest chain of waits each begun after the previous one ended (a request, a
  /// pipelined batch, a connection opened): what the host costs in round trips on a network
  /// whose latency dominates. Overlapping waits count once.
  int sequential_round_trips = 0;
  std::chrono::nanoseconds waiting{0};  ///< wall time with at least one wait outstanding
};

/// One connection to one host's Docker daemon. All methods are thread-safe (an
/// implementation may serialise them internally); none throws.
class Provider {
 public:
  virtual ~Provider() = default;

  /// The host key this provider talks to.
  virtual const std::string& host() const = 0;

  /// Every container labelled jlrec.project=`project` whose jlrec.host label is this host
  /// (or absent), plus every container whose name is in `names` or is such a name followed
  /// by kPreviousSuffix (managed or not, any jlrec.host: an interrupted replace of a
  /// container jlrec did not manage leaves one without labels), fully inspected.
  /// script_digest is left unset. An implementation may skip looking for unlabelled
  /// containers while every name in `names` is held by a running labelled one.
  virtual Result<std::vector<LiveContainer>> ListContainers(
      const std::string& project, const std::vector<std::string>& names) = 0;
  /// ListContainers(request.project, request.names) and, for each container, StatFile of
  /// request.stat_path, with what request.known allows skipped (see ContainerReadRequest). The
  /// default does exactly those calls one after another and reuses nothing; a provider that can
  /// pipeline or skip requests overrides it.
  virtual Result<std::vector<ContainerReading>> ReadContainers(const ContainerReadRequest& request);
  /// One container by id or name; kNotFound if there is none.
  virtual Result<LiveContainer> InspectContainer(const std::string& id_or_name) = 0;
  /// The content of regular file `path` in container `id` (running or not); nullopt if absent.
  virtual Result<std::optional<std::string>> ReadFile(const std::string& id,
                                                      const std::string& path) = 0;
  /// A key of `path`'s metadata in container `id` that changes whenever the file is
  /// rewritten: "SIZE:MODE:MTIME", MTIME in RFC 3339 on the host's clock (see
  /// FileModifiedAt); "" when the metadata cannot vouch for the content (a symlink); nullopt
  /// if absent. Reads no content, so it is far cheaper than ReadFile (Docker archives a file
  /// by spawning a helper process).
  virtual Result<std::optional<std::string>> StatFile(const std::string& id,
                                                      const std::string& path) = 0;

  /// Creates (does not start) a container; returns its id. kConflict if the name is taken.
  virtual Result<std::string> CreateContainer(const CreateContainerRequest& req) = 0;
  /// Starts a container; ok if it is already running.
  virtual Status StartContainer(const std::string& id) = 0;
  /// Stops a container (SIGTERM, SIGKILL after `grace`); ok if it is already stopped.
  virtual Status StopContainer(const std::string& id, std::chrono::seconds grace) = 0;
  /// Restarts a container (stop with `grace`, then start).
  virtual Status RestartContainer(const std::string& id, std::chrono::seconds grace) = 0;
  /// Removes a stopped container (and its anonymous volumes); ok if already gone.
  virtual Status RemoveContainer(const std::string& id) = 0;
  /// Renames container `id` (running or not) to `new_name`; kConflict if that name is taken,
  /// kNotFound if there is no such container.
  virtual Status RenameContainer(const std::string& id, const std::string& new_name) = 0;
  /// Writes `content` to `path` in container `id` with permission bits `mode`. The file's
  /// modification time is the host's clock at the upload, never later (whatever the control
  /// machine's clock says), so that it compares truthfully with the container's StartedAt:
  /// a script written after the process started is one the process did not start from.
  virtual Status UploadFile(const std::string& id, const std::string& path,
                            const std::string& content, int mode) = 0;
  /// Runs `argv` in running container `id`; returns its exit code. kTimeout past `timeout`.
  virtual Result<int> Exec(const std::string& id, const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout) = 0;

  /// Sends the log of container `id` (id or name; running or not) to `sink` as Docker keeps
  /// it: what the process wrote on stdout and on stderr, each to its stream (a container with
  /// a TTY has one stream: all of it kStdout). Without request.follow it returns at the end of
  /// the log, each wait for the daemon bounded by the request timeout; with it, it returns when
  /// the container stops (ok), when interrupted (kCancelled), or when the connection breaks,
  /// and waits for new lines for as long as that takes. kNotFound if there is no such
  /// container; kRemoteError when its logging driver cannot be read.
  virtual Status StreamLogs(const std::string& id, const LogsRequest& request,
                            const OutputSink& sink) = 0;
  /// Starts `request.argv` in running container `id` with its standard streams attached (see
  /// ExecSession). kConflict when the container is not running, kNotFound when there is none,
  /// kInvalidArgument for an empty command. A command that cannot be started is not an error
  /// here: the session reports it (ExecOutcome::started).
  virtual Result<std::unique_ptr<ExecSession>> StartExec(const std::string& id,
                                                         const ExecRequest& request) = 0;

  /// True if image `ref` (tag or digest reference) is present on the host.
  virtual Result<bool> HasImage(const std::string& ref) = 0;
  /// Pulls `ref` onto the host; the error carries the registry's message. Pulls and
  /// ResolveImageDigest carry the login ConnectOptions::registry_auth has for `ref`'s
  /// registry (RegistryHostOf), if any. A registry that refuses it is kRemoteError "registry
  /// HOST refused the credentials for USER (...)"; one that wants a login where there is
  /// none, kRemoteError "registry HOST requires a login ..."; a login that cannot be looked
  /// up (a failing credential helper), kUnavailable. No message holds a secret.
  virtual Status PullImage(const std::string& ref) = 0;
  /// The registry's current manifest digest ("sha256:...") for tag `ref`, asked via the
  /// host's daemon with the login PullImage would use; kNotFound when the registry answers
  /// that the repository or tag does not exist; kUnavailable when the registry cannot be
  /// reached; login failures as for PullImage.
  virtual Result<std::string> ResolveImageDigest(const std::string& ref) = 0;
  /// The repo digests ("repo@sha256:...") of the local image `ref`; empty if none/absent.
  virtual Result<std::vector<std::string>> LocalImageDigests(const std::string& ref) = 0;

  /// What this provider sent and waited for from `since` on (waits begun before it are not
  /// counted). Zero for a provider that does not count (an in-memory one).
  virtual ProviderTraffic TrafficSince(std::chrono::steady_clock::time_point since) const;
};

/// Timeouts, host-key policy and registry logins for opening providers.
struct ConnectOptions {
  std::chrono::milliseconds connect_timeout{10000};  ///< TCP + SSH handshake + auth
  std::chrono::milliseconds request_timeout{30000};  ///< one Docker API request
  std::string known_hosts;  ///< overrides HostConnection::known_hosts when set
  /// The OpenSSH client configuration file to read, alone (like `ssh -F`); "" = ~/.ssh/config
  /// then /etc/ssh/ssh_config.
  std::string ssh_config;
  bool accept_new_host_keys = false;  ///< add unknown keys (never changed ones)
  /// The logins pulls and registry digest checks carry, shared by every provider opened
  /// with these options (null: none, requests go without X-Registry-Auth).
  std::shared_ptr<RegistryAuth> registry_auth;
};

/// Opens providers. Thread-safe: the refresh opens many at once.
class ProviderFactory {
 public:
  virtual ~ProviderFactory() = default;
  /// Connects to `host` (TCP, SSH, host key, auth, Docker API version); kUnavailable with
  /// the reason when the host or its daemon cannot be used.
  virtual Result<std::unique_ptr<Provider>> Open(const HostConnection& host,
                                                 const ConnectOptions& options) = 0;
};

}  // namespace jlrec
