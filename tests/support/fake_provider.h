// An in-memory Provider for tests (after ninja's FakeCommandRunner): it keeps containers,
// images and registry digests in maps, records every call, fails on demand, and can hold
// calls back so tests create overlap deterministically instead of sleeping.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/mutex.h"
#include "model/provider.h"
#include "model/status.h"
#include "model/thread_annotations.h"

namespace jlrec {

/// One call a FakeProvider received.
struct FakeCall {
  std::uint64_t seq = 0;          ///< entry order, shared by every provider writing to one log
  std::uint64_t end_seq = 0;      ///< return order (same counter as seq); 0 while still running
  std::string host;               ///< host key of the provider called
  std::string method;             ///< "CreateContainer", "StartContainer", ...
  std::string target;             ///< the id, name or image reference passed
  std::string container;          ///< name of the container concerned ("" for image calls)
  std::vector<std::string> args;  ///< the other arguments, rendered as text
  std::chrono::steady_clock::time_point at;  ///< when the call entered
  Status status;                             ///< what the call returned
};

/// True for the Provider methods that change a host (create, start, stop, restart,
/// remove, rename, upload, pull).
bool IsMutatingProviderMethod(const std::string& method);

/// The call journal and pacing shared by FakeProviders (one per test, or per factory):
/// sequence numbers and concurrency peaks are comparable across hosts. Thread-safe.
class FakeCallLog {
 public:
  /// Every call so far, in entry order.
  std::vector<FakeCall> Calls() const EXCLUDES(mu_);
  /// Calls to `method` (all hosts when `host` is empty), in entry order.
  std::vector<FakeCall> CallsTo(const std::string& method, const std::string& host = "") const
      EXCLUDES(mu_);
  /// Calls concerning container `container` on `host`, in entry order.
  std::vector<FakeCall> CallsFor(const std::string& host, const std::string& container) const
      EXCLUDES(mu_);
  /// How many calls to `method` were made (all hosts when `host` is empty).
  int Count(const std::string& method, const std::string& host = "") const EXCLUDES(mu_);
  /// Mutating calls (IsMutatingProviderMethod) made, on `host` or on all hosts when empty.
  std::uint64_t MutatingCalls(const std::string& host = "") const EXCLUDES(mu_);
  /// The most calls that were in flight at once on `host` (all hosts when empty).
  int MaxConcurrent(const std::string& host = "") const EXCLUDES(mu_);

  /// From now on, calls to `method` wait (after being recorded) until Release(`method`).
  void Hold(const std::string& method) EXCLUDES(mu_);
  /// Lets held and future calls to `method` proceed.
  void Release(const std::string& method) EXCLUDES(mu_);
  /// Waits until at least `n` calls to `method` are in flight; false after `timeout`.
  bool WaitForInFlight(const std::string& method, int n, std::chrono::milliseconds timeout)
      EXCLUDES(mu_);
  /// From now on, calls to `method` wait until `n` of them wait together, then that batch
  /// proceeds; a call alone for `fallback` proceeds anyway and counts a RendezvousTimeout.
  void SetRendezvous(const std::string& method, int n,
                     std::chrono::milliseconds fallback = std::chrono::seconds(10)) EXCLUDES(mu_);
  /// How many rendezvous waits gave up (0 means every batch really overlapped).
  int RendezvousTimeouts() const EXCLUDES(mu_);
  /// From now on, calls to `method` sleep `delay` before acting.
  void SetDelay(const std::string& method, std::chrono::milliseconds delay) EXCLUDES(mu_);

  /// Records the entry of a call and applies pacing; returns its index for End(). Used by
  /// FakeProvider.
  std::size_t Begin(const std::string& host, const std::string& method, const std::string& target,
                    const std::string& container, std::vector<std::string> args) EXCLUDES(mu_);
  /// Records the return of call `index` with `status`. Used by FakeProvider.
  void End(std::size_t index, const Status& status) EXCLUDES(mu_);

 private:
  struct Rendezvous {
    int size = 0;
    std::chrono::milliseconds fallback{0};
    int waiting = 0;
    std::uint64_t generation = 0;
  };
  // Waits while `method` is held and for its rendezvous (on `lock`, which holds mu_); returns
  // the delay to sleep once mu_ is released.
  std::chrono::milliseconds PaceLocked(MutexLock& lock, const std::string& method) REQUIRES(mu_);

  mutable Mutex mu_;
  std::condition_variable cv_;  // notified on each change a wait (pacing, in flight) awaits
  std::vector<FakeCall> calls_ GUARDED_BY(mu_);
  std::uint64_t next_seq_ GUARDED_BY(mu_) = 1;
  std::map<std::string, int> in_flight_by_method_ GUARDED_BY(mu_);
  std::map<std::string, int> in_flight_by_host_ GUARDED_BY(mu_);
  std::map<std::string, int> max_by_host_ GUARDED_BY(mu_);
  int in_flight_ GUARDED_BY(mu_) = 0;
  int max_in_flight_ GUARDED_BY(mu_) = 0;
  std::set<std::string> held_ GUARDED_BY(mu_);
  std::map<std::string, Rendezvous> rendezvous_ GUARDED_BY(mu_);
  int rendezvous_timeouts_ GUARDED_BY(mu_) = 0;
  std::map<std::string, std::chrono::milliseconds> delays_ GUARDED_BY(mu_);
};

/// One line of a FakeContainer's log.
struct FakeLogLine {
  OutputStream stream = OutputStream::kStdout;
  std::string text;  ///< as written, its '\n' included
  std::string time;  ///< when it was written (RFC 3339, nine fractional digits); AppendLog sets it
};

/// A container held by a FakeProvider: its inspected state plus its files.
struct FakeContainer {
  LiveContainer live;                        ///< what InspectContainer returns
  std::map<std::string, std::string> files;  ///< path -> content
  std::map<std::string, int> file_modes;     ///< path -> permission bits
  /// path -> time of the last write (nanoseconds since the epoch, on the fake's clock);
  /// AddContainer stamps the files that lack one.
  std::map<std::string, std::int64_t> file_mtimes;
  /// Its log as Docker keeps it, oldest first (StreamLogs); AppendLog adds to it.
  std::vector<FakeLogLine> log;
};

/// What a FakeProvider's attached exec (StartExec) does, as a session handler describes it.
struct FakeExecScript {
  std::string out;  ///< written on stdout as soon as it starts
  std::string err;  ///< written on stderr as soon as it starts
  /// Reads its input to its end, writing each byte back on stdout (`cat`), and exits then; the
  /// end of the input is CloseInput, or a ^D (0x04) in a tty session. Otherwise it exits once
  /// `out` and `err` are read, whatever its input.
  bool echo_input = false;
  int exit_code = 0;
  /// False: the command cannot be started (`out` is then the daemon's explanation, exit_code
  /// its 126 or 127).
  bool started = true;
};

/// What a FakeProvider's attached exec received, for tests to look at.
struct FakeExecRecord {
  std::string container;              ///< the container's name
  ExecRequest request;                ///< as StartExec was given it (argv, tty, size)
  std::string input;                  ///< every byte written to its stdin
  bool input_closed = false;          ///< CloseInput was called
  std::vector<TerminalSize> resizes;  ///< every Resize, in order
};

/// A Provider for one simulated host, entirely in memory. Behaves like a Docker daemon
/// where it matters to callers (tests/support/provider_contract.h holds it to the same checks
/// as the real provider): create needs the image present and a valid, free name, a running
/// container cannot be removed, exec needs a running container, a start resets the restart
/// count, an image is found by its reference, its image id or one of its repo digests. Its clock
/// (Created, StartedAt, file mtimes) has nanosecond resolution and strictly increases, so a file
/// written after a start is later than its StartedAt however fast the test runs; the StatFile key
/// is "SIZE:MODE:MTIME" with that RFC 3339 mtime. Thread-safe.
class FakeProvider : public Provider {
 public:
  /// The exec behaviour: (container name, argv) -> exit code or error.
  using ExecHandler =
      std::function<Result<int>(const std::string& container, const std::vector<std::string>&)>;
  /// The attached exec behaviour: (container name, request) -> what the process does, or an
  /// error for StartExec to return.
  using SessionHandler = std::function<Result<FakeExecScript>(const std::string& container,
                                                              const ExecRequest& request)>;

  /// A fake host `host` recording into `log` (a private log when null).
  explicit FakeProvider(std::string host, std::shared_ptr<FakeCallLog> log = nullptr);

  /// The call journal this provider writes to.
  FakeCallLog& log() { return *log_; }
  /// The shared call journal.
  std::shared_ptr<FakeCallLog> shared_log() const { return log_; }

  // --- Seeding and inspecting state (not recorded as calls).
  /// Adds (or overwrites) a container; a missing id gets a fresh one. Returns the id. A file
  /// without an mtime, or whose content differs from what the container held under the
  /// same mtime, is stamped with the fake's clock now (a rewrite, as far as StatFile sees).
  std::string AddContainer(FakeContainer container) EXCLUDES(mu_);
  /// The container named `name`, if any.
  std::optional<FakeContainer> Container(const std::string& name) const EXCLUDES(mu_);
  /// Every container, by name.
  std::map<std::string, FakeContainer> Containers() const EXCLUDES(mu_);
  /// Makes image `ref` present on the host; its image id is "sha256:" + the SHA-256 of `ref`.
  void AddImage(const std::string& ref) EXCLUDES(mu_);
  /// True if image `ref` is present (as HasImage answers).
  bool ImagePresent(const std::string& ref) const EXCLUDES(mu_);
  /// The digest ResolveImageDigest returns for tag `ref` (which is no longer missing).
  void SetRegistryDigest(const std::string& ref, const std::string& digest) EXCLUDES(mu_);
  /// Makes the registry answer that tag `ref` (or its repository) does not exist:
  /// ResolveImageDigest and PullImage fail with kNotFound and Docker's messages ("manifest
  /// unknown: manifest unknown (HTTP 404)", "manifest for REF not found: manifest unknown:
  /// manifest unknown"). A ref never set at all is kNotFound for ResolveImageDigest too, with
  /// a message naming the ref, but pulls fine.
  void SetRegistryMissing(const std::string& ref) EXCLUDES(mu_);
  /// Makes ResolveImageDigest fail with kUnavailable (registry down) when true.
  void SetRegistryUnreachable(bool unreachable) EXCLUDES(mu_);
  /// Makes registry `registry` (HOST[:PORT], see RegistryHostOf) want this login: pulls and
  /// digest checks of its images then look their credential up in the RegistryAuth given
  /// (SetRegistryAuth, or the factory's ConnectOptions) and fail as the Provider contract
  /// says, before the registry's other answers: "registry HOST refused the credentials for
  /// USER" for another username or password, "requires a login" without one, the lookup's
  /// own error when it fails.
  void RequireRegistryLogin(const std::string& registry, const std::string& username,
                            const std::string& password) EXCLUDES(mu_);
  /// The logins pulls and digest checks carry (null, the default: none).
  void SetRegistryAuth(std::shared_ptr<RegistryAuth> registry_auth) EXCLUDES(mu_);
  /// The repo digests LocalImageDigests returns for `ref`, and for the image id of image `ref`
  /// once present; a digest reference among them then names that image too (HasImage,
  /// CreateContainer).
  void SetLocalImageDigests(const std::string& ref, std::vector<std::string> digests) EXCLUDES(mu_);
  /// The state (Docker State.Status) the container named `name` enters when started or
  /// restarted ("running" unless set), and the exit code it then reports (State.ExitCode):
  /// "exited" with 3 simulates a process that dies at once with 3; "restarting" one that the
  /// daemon keeps restarting.
  void SetStateAfterStart(const std::string& name, const std::string& state, int exit_code = 0)
      EXCLUDES(mu_);
  /// The health (Docker State.Health.Status) the container named `name` reports after its
  /// next starts and restarts. Unless set: "" without a healthcheck; with one, "healthy" once
  /// running (the fake's probes pass at once, as its default exec does), else "unhealthy"
  /// (Docker's verdict once the process is gone: its health monitor stops with it; a stop
  /// makes a container with a healthcheck "unhealthy" too).
  void SetHealthAfterStart(const std::string& name, const std::string& health) EXCLUDES(mu_);
  /// Sets the health container `name` reports now ("starting", "healthy", "unhealthy", or ""
  /// for none); false if there is no such container.
  bool SetHealth(const std::string& name, const std::string& health) EXCLUDES(mu_);
  /// Sets container `name`'s restart count (how often the daemon restarted it by its restart
  /// policy since its last start); false if there is no such container.
  bool SetRestartCount(const std::string& name, int restart_count) EXCLUDES(mu_);
  /// The process of running container `name` exits now with `exit_code`, as the daemon sees
  /// it: "restarting" with one more restart counted when its restart policy restarts it
  /// ("always", "unless-stopped", "on-failure" after a failure within its retries), else
  /// "exited"; with a healthcheck, "unhealthy". False if `name` is not running.
  bool ExitProcess(const std::string& name, int exit_code) EXCLUDES(mu_);
  /// The daemon's restart of "restarting" container `name` (after ExitProcess): running
  /// again, exit code 0 (Docker clears it), health as after a start, the restart count kept.
  /// False if `name` is not restarting.
  bool RestartByPolicy(const std::string& name) EXCLUDES(mu_);
  /// What Exec does (default: exit code 0).
  void SetExecHandler(ExecHandler handler) EXCLUDES(mu_);
  /// What StartExec's sessions do (default: no output, and the exit code the ExecHandler gives
  /// for the argv, 0 without one).
  void SetSessionHandler(SessionHandler handler) EXCLUDES(mu_);
  /// Every attached exec started so far, oldest first, as it stands now.
  std::vector<FakeExecRecord> ExecSessions() const EXCLUDES(mu_);
  /// Appends a line to container `name`'s log (stamped with the fake's clock), where a
  /// StreamLogs that follows it sees it at once; false if there is no such container.
  bool AppendLog(const std::string& name, OutputStream stream, const std::string& text)
      EXCLUDES(mu_);

  // --- Failure injection.
  /// The next call to `method` (any target) returns `status` instead of acting.
  void FailNext(const std::string& method, Status status) EXCLUDES(mu_);
  /// The next call to `method` (any target) acts, then returns `status` instead of its own
  /// result: the daemon did the work but the answer was lost (an upload that timed out after
  /// the write). A FailNext for the same call takes precedence and leaves this for the next.
  void FailAfterNext(const std::string& method, Status status) EXCLUDES(mu_);
  /// Every call to `method` on container or image `target` ("" = any) returns `status`.
  void FailAlways(const std::string& method, const std::string& target, Status status)
      EXCLUDES(mu_);
  /// From now on every call waits `request_timeout`, then fails with kTimeout "HOST: no
  /// complete answer within ...": a host whose daemon stopped answering (SIGSTOPped), as a
  /// provider with that request timeout sees it. Lifted by ClearFailures.
  void Hang(std::chrono::milliseconds request_timeout) EXCLUDES(mu_);
  /// Forgets every injected failure (a Hang included).
  void ClearFailures() EXCLUDES(mu_);

  // --- Provider.
  const std::string& host() const override { return host_; }
  Result<std::vector<LiveContainer>> ListContainers(const std::string& project,
                                                    const std::vector<std::string>& names) override
      EXCLUDES(mu_);
  Result<LiveContainer> InspectContainer(const std::string& id_or_name) override EXCLUDES(mu_);
  Result<std::optional<std::string>> StatFile(const std::string& id,
                                              const std::string& path) override EXCLUDES(mu_);
  Result<std::optional<std::string>> ReadFile(const std::string& id,
                                              const std::string& path) override EXCLUDES(mu_);
  Result<std::string> CreateContainer(const CreateContainerRequest& req) override EXCLUDES(mu_);
  Status StartContainer(const std::string& id) override EXCLUDES(mu_);
  Status StopContainer(const std::string& id, std::chrono::seconds grace) override EXCLUDES(mu_);
  Status RestartContainer(const std::string& id, std::chrono::seconds grace) override EXCLUDES(mu_);
  Status RemoveContainer(const std::string& id) override EXCLUDES(mu_);
  Status RenameContainer(const std::string& id, const std::string& new_name) override EXCLUDES(mu_);
  Status UploadFile(const std::string& id, const std::string& path, const std::string& content,
                    int mode) override EXCLUDES(mu_);
  Result<int> Exec(const std::string& id, const std::vector<std::string>& argv,
                   std::chrono::milliseconds timeout) override EXCLUDES(mu_);
  /// Follows the log by polling it every millisecond or so (no condition variable to
  /// wake: AppendLog can be called from the test's own thread).
  Status StreamLogs(const std::string& id, const LogsRequest& request,
                    const OutputSink& sink) override EXCLUDES(mu_);
  Result<std::unique_ptr<ExecSession>> StartExec(const std::string& id,
                                                 const ExecRequest& request) override EXCLUDES(mu_);
  Result<bool> HasImage(const std::string& ref) override EXCLUDES(mu_);
  Status PullImage(const std::string& ref) override EXCLUDES(mu_);
  Result<std::string> ResolveImageDigest(const std::string& ref) override EXCLUDES(mu_);
  Result<std::vector<std::string>> LocalImageDigests(const std::string& ref) override EXCLUDES(mu_);

 private:
  class CallScope;
  friend class FakeExecSession;
  // The name of the container `id_or_name` designates, or "" if none.
  std::string NameOfLocked(const std::string& id_or_name) const REQUIRES(mu_);
  // The container `id_or_name` designates, or null; valid while mu_ is held.
  FakeContainer* FindLocked(const std::string& id_or_name) REQUIRES(mu_);
  // The name of running container `id_or_name`, as an exec needs it: kNotFound and kConflict
  // with Docker's messages otherwise.
  Result<std::string> RunningNameLocked(const std::string& id_or_name) REQUIRES(mu_);
  // The image (as added or pulled) `ref` designates as Docker looks one up: that reference,
  // its image id, or a digest reference among its repo digests; "" if none.
  std::string ImageOfLocked(const std::string& ref) const REQUIRES(mu_);
  // The failure to return instead of acting, if one is injected; otherwise hands `call` the
  // FailAfterNext status queued for `method`, if any.
  std::optional<Status> InjectedFailure(CallScope& call, const std::string& method,
                                        const std::string& target) EXCLUDES(mu_);
  std::string NewIdLocked(const std::string& name) REQUIRES(mu_);
  // The fake's clock: nanoseconds since the epoch, never equal to an earlier reading.
  std::int64_t TickLocked() REQUIRES(mu_);
  // TickLocked as RFC 3339 with nine fractional digits, as Docker writes times.
  std::string NowLocked() REQUIRES(mu_);
  // Enters the state (and health, restart count, exit code) a start gives.
  void StartLocked(FakeContainer& c) REQUIRES(mu_);
  // The login failure of `what` on image `ref`, if its registry wants a login it does not
  // get. Takes mu_ itself: call it unlocked (a lookup may run a credential helper).
  std::optional<Status> LoginFailure(const std::string& what, const std::string& ref) EXCLUDES(mu_);

  const std::string host_;
  const std::shared_ptr<FakeCallLog> log_;
  // Guards every member below.
  mutable Mutex mu_;
  std::map<std::string, FakeContainer> containers_ GUARDED_BY(mu_);  // by name
  std::set<std::string> images_ GUARDED_BY(mu_);
  std::map<std::string, std::string> registry_digests_ GUARDED_BY(mu_);
  std::set<std::string> registry_missing_ GUARDED_BY(mu_);
  bool registry_unreachable_ GUARDED_BY(mu_) = false;
  // Registry -> the (user, password) it wants.
  std::map<std::string, std::pair<std::string, std::string>> required_logins_ GUARDED_BY(mu_);
  std::shared_ptr<RegistryAuth> registry_auth_ GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::string>> local_digests_ GUARDED_BY(mu_);
  // What a start gives, by container name.
  struct AfterStart {
    std::string state = "running";
    int exit_code = 0;
  };
  std::map<std::string, AfterStart> state_after_start_ GUARDED_BY(mu_);
  std::map<std::string, std::string> health_after_start_ GUARDED_BY(mu_);
  ExecHandler exec_handler_ GUARDED_BY(mu_);
  SessionHandler session_handler_ GUARDED_BY(mu_);
  std::vector<FakeExecRecord> exec_sessions_ GUARDED_BY(mu_);
  std::map<std::string, std::deque<Status>> fail_next_ GUARDED_BY(mu_);
  std::map<std::string, std::deque<Status>> fail_after_next_ GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, Status> fail_always_ GUARDED_BY(mu_);
  std::optional<std::chrono::milliseconds> hang_ GUARDED_BY(mu_);  // Hang's request timeout
  std::uint64_t id_counter_ GUARDED_BY(mu_) = 0;
  std::int64_t last_tick_ns_ GUARDED_BY(mu_) = 0;
};

/// Hands out FakeProviders by host key; all of them share one FakeCallLog. Hosts marked
/// unreachable fail Open with kUnavailable, like an SSH connection that cannot be made.
class FakeProviderFactory : public ProviderFactory {
 public:
  FakeProviderFactory();
  /// The fake for host `key` (created on first use); stays owned by the factory.
  FakeProvider& Host(const std::string& key) EXCLUDES(mu_);
  /// The log every provider of this factory writes to.
  FakeCallLog& log() { return *log_; }
  /// Makes Open(`key`) fail with kUnavailable carrying `message`.
  void SetUnreachable(const std::string& key, const std::string& message) EXCLUDES(mu_);
  /// Makes `key` reachable again.
  void SetReachable(const std::string& key) EXCLUDES(mu_);
  /// How many times Open was asked for `key` (successful or not).
  int OpenCount(const std::string& key) const EXCLUDES(mu_);
  /// A handle forwarding to Host(host.key), or kUnavailable for an unreachable host.
  Result<std::unique_ptr<Provider>> Open(const HostConnection& host,
                                         const ConnectOptions& options) override EXCLUDES(mu_);

 private:
  std::shared_ptr<FakeCallLog> log_;
  mutable Mutex mu_;
  std::map<std::string, std::unique_ptr<FakeProvider>> hosts_ GUARDED_BY(mu_);
  std::map<std::string, std::string> unreachable_ GUARDED_BY(mu_);
  std::map<std::string, int> opens_ GUARDED_BY(mu_);
};

}  // namespace jlrec
