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
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/provider.h"
#include "model/status.h"

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
  std::vector<FakeCall> Calls() const;
  /// Calls to `method` (all hosts when `host` is empty), in entry order.
  std::vector<FakeCall> CallsTo(const std::string& method, const std::string& host = "") const;
  /// Calls concerning container `container` on `host`, in entry order.
  std::vector<FakeCall> CallsFor(const std::string& host, const std::string& container) const;
  /// How many calls to `method` were made (all hosts when `host` is empty).
  int Count(const std::string& method, const std::string& host = "") const;
  /// Mutating calls (IsMutatingProviderMethod) made, on `host` or on all hosts when empty.
  std::uint64_t MutatingCalls(const std::string& host = "") const;
  /// The most calls that were in flight at once on `host` (all hosts when empty).
  int MaxConcurrent(const std::string& host = "") const;

  /// From now on, calls to `method` wait (after being recorded) until Release(`method`).
  void Hold(const std::string& method);
  /// Lets held and future calls to `method` proceed.
  void Release(const std::string& method);
  /// Waits until at least `n` calls to `method` are in flight; false after `timeout`.
  bool WaitForInFlight(const std::string& method, int n, std::chrono::milliseconds timeout);
  /// From now on, calls to `method` wait until `n` of them wait together, then that batch
  /// proceeds; a call alone for `fallback` proceeds anyway and counts a RendezvousTimeout.
  void SetRendezvous(const std::string& method, int n,
                     std::chrono::milliseconds fallback = std::chrono::seconds(10));
  /// How many rendezvous waits gave up (0 means every batch really overlapped).
  int RendezvousTimeouts() const;
  /// From now on, calls to `method` sleep `delay` before acting.
  void SetDelay(const std::string& method, std::chrono::milliseconds delay);

  /// Records the entry of a call and applies pacing; returns its index for End(). Used by
  /// FakeProvider.
  std::size_t Begin(const std::string& host, const std::string& method, const std::string& target,
                    const std::string& container, std::vector<std::string> args);
  /// Records the return of call `index` with `status`. Used by FakeProvider.
  void End(std::size_t index, const Status& status);

 private:
  struct Rendezvous {
    int size = 0;
    std::chrono::milliseconds fallback{0};
    int waiting = 0;
    std::uint64_t generation = 0;
  };
  void PaceLocked(std::unique_lock<std::mutex>& lock, const std::string& method);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<FakeCall> calls_;
  std::uint64_t next_seq_ = 1;
  std::map<std::string, int> in_flight_by_method_;
  std::map<std::string, int> in_flight_by_host_;
  std::map<std::string, int> max_by_host_;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
  std::set<std::string> held_;
  std::map<std::string, Rendezvous> rendezvous_;
  int rendezvous_timeouts_ = 0;
  std::map<std::string, std::chrono::milliseconds> delays_;
};

/// A container held by a FakeProvider: its inspected state plus its files.
struct FakeContainer {
  LiveContainer live;                        ///< what InspectContainer returns
  std::map<std::string, std::string> files;  ///< path -> content
  std::map<std::string, int> file_modes;     ///< path -> permission bits
  /// path -> time of the last write (nanoseconds since the epoch, on the fake's clock);
  /// AddContainer stamps the files that lack one.
  std::map<std::string, std::int64_t> file_mtimes;
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
  std::string AddContainer(FakeContainer container);
  /// The container named `name`, if any.
  std::optional<FakeContainer> Container(const std::string& name) const;
  /// Every container, by name.
  std::map<std::string, FakeContainer> Containers() const;
  /// Makes image `ref` present on the host; its image id is "sha256:" + the SHA-256 of `ref`.
  void AddImage(const std::string& ref);
  /// True if image `ref` is present (as HasImage answers).
  bool ImagePresent(const std::string& ref) const;
  /// The digest ResolveImageDigest returns for tag `ref` (which is no longer missing).
  void SetRegistryDigest(const std::string& ref, const std::string& digest);
  /// Makes the registry answer that tag `ref` (or its repository) does not exist:
  /// ResolveImageDigest and PullImage fail with kNotFound and Docker's messages ("manifest
  /// unknown: manifest unknown (HTTP 404)", "manifest for REF not found: manifest unknown:
  /// manifest unknown"). A ref never set at all is kNotFound for ResolveImageDigest too, with
  /// a message naming the ref, but pulls fine.
  void SetRegistryMissing(const std::string& ref);
  /// Makes ResolveImageDigest fail with kUnavailable (registry down) when true.
  void SetRegistryUnreachable(bool unreachable);
  /// Makes registry `registry` (HOST[:PORT], see RegistryHostOf) want this login: pulls and
  /// digest checks of its images then look their credential up in the RegistryAuth given
  /// (SetRegistryAuth, or the factory's ConnectOptions) and fail as the Provider contract
  /// says, before the registry's other answers: "registry HOST refused the credentials for
  /// USER" for another username or password, "requires a login" without one, the lookup's
  /// own error when it fails.
  void RequireRegistryLogin(const std::string& registry, const std::string& username,
                            const std::string& password);
  /// The logins pulls and digest checks carry (null, the default: none).
  void SetRegistryAuth(std::shared_ptr<RegistryAuth> registry_auth);
  /// The repo digests LocalImageDigests returns for `ref`, and for the image id of image `ref`
  /// once present; a digest reference among them then names that image too (HasImage,
  /// CreateContainer).
  void SetLocalImageDigests(const std::string& ref, std::vector<std::string> digests);
  /// The state (Docker State.Status) the container named `name` enters when started or
  /// restarted ("running" unless set), and the exit code it then reports (State.ExitCode):
  /// "exited" with 3 simulates a process that dies at once with 3; "restarting" one that the
  /// daemon keeps restarting.
  void SetStateAfterStart(const std::string& name, const std::string& state, int exit_code = 0);
  /// The health (Docker State.Health.Status) the container named `name` reports after its
  /// next starts and restarts. Unless set: "" without a healthcheck; with one, "healthy" once
  /// running (the fake's probes pass at once, as its default exec does), else "unhealthy"
  /// (Docker's verdict once the process is gone: its health monitor stops with it; a stop
  /// makes a container with a healthcheck "unhealthy" too).
  void SetHealthAfterStart(const std::string& name, const std::string& health);
  /// Sets the health container `name` reports now ("starting", "healthy", "unhealthy", or ""
  /// for none); false if there is no such container.
  bool SetHealth(const std::string& name, const std::string& health);
  /// Sets container `name`'s restart count (how often the daemon restarted it by its restart
  /// policy since its last start); false if there is no such container.
  bool SetRestartCount(const std::string& name, int restart_count);
  /// The process of running container `name` exits now with `exit_code`, as the daemon sees
  /// it: "restarting" with one more restart counted when its restart policy restarts it
  /// ("always", "unless-stopped", "on-failure" after a failure within its retries), else
  /// "exited"; with a healthcheck, "unhealthy". False if `name` is not running.
  bool ExitProcess(const std::string& name, int exit_code);
  /// The daemon's restart of "restarting" container `name` (after ExitProcess): running
  /// again, exit code 0 (Docker clears it), health as after a start, the restart count kept.
  /// False if `name` is not restarting.
  bool RestartByPolicy(const std::string& name);
  /// What Exec does (default: exit code 0).
  void SetExecHandler(ExecHandler handler);

  // --- Failure injection.
  /// The next call to `method` (any target) returns `status` instead of acting.
  void FailNext(const std::string& method, Status status);
  /// The next call to `method` (any target) acts, then returns `status` instead of its own
  /// result: the daemon did the work but the answer was lost (an upload that timed out after
  /// the write). A FailNext for the same call takes precedence and leaves this for the next.
  void FailAfterNext(const std::string& method, Status status);
  /// Every call to `method` on container or image `target` ("" = any) returns `status`.
  void FailAlways(const std::string& method, const std::string& target, Status status);
  /// Forgets every injected failure.
  void ClearFailures();

  // --- Provider.
  const std::string& host() const override { return host_; }
  Result<std::vector<LiveContainer>> ListContainers(const std::string& project,
                                                    const std::vector<std::string>& names) override;
  Result<LiveContainer> InspectContainer(const std::string& id_or_name) override;
  Result<std::optional<std::string>> StatFile(const std::string& id,
                                              const std::string& path) override;
  Result<std::optional<std::string>> ReadFile(const std::string& id,
                                              const std::string& path) override;
  Result<std::string> CreateContainer(const CreateContainerRequest& req) override;
  Status StartContainer(const std::string& id) override;
  Status StopContainer(const std::string& id, std::chrono::seconds grace) override;
  Status RestartContainer(const std::string& id, std::chrono::seconds grace) override;
  Status RemoveContainer(const std::string& id) override;
  Status RenameContainer(const std::string& id, const std::string& new_name) override;
  Status UploadFile(const std::string& id, const std::string& path, const std::string& content,
                    int mode) override;
  Result<int> Exec(const std::string& id, const std::vector<std::string>& argv,
                   std::chrono::milliseconds timeout) override;
  Result<bool> HasImage(const std::string& ref) override;
  Status PullImage(const std::string& ref) override;
  Result<std::string> ResolveImageDigest(const std::string& ref) override;
  Result<std::vector<std::string>> LocalImageDigests(const std::string& ref) override;

 private:
  class CallScope;
  // The name of the container `id_or_name` designates, or "" if none. Requires mu_.
  std::string NameOfLocked(const std::string& id_or_name) const;
  FakeContainer* FindLocked(const std::string& id_or_name);
  // The image (as added or pulled) `ref` designates as Docker looks one up: that reference,
  // its image id, or a digest reference among its repo digests; "" if none. Requires mu_.
  std::string ImageOfLocked(const std::string& ref) const;
  // The failure to return instead of acting, if one is injected; otherwise hands `call` the
  // FailAfterNext status queued for `method`, if any.
  std::optional<Status> InjectedFailure(CallScope& call, const std::string& method,
                                        const std::string& target);
  std::string NewIdLocked(const std::string& name);
  // The fake's clock: nanoseconds since the epoch, never equal to an earlier reading.
  std::int64_t TickLocked();
  // TickLocked as RFC 3339 with nine fractional digits, as Docker writes times.
  std::string NowLocked();
  // Enters the state (and health, restart count, exit code) a start gives. Requires mu_.
  void StartLocked(FakeContainer& c);
  // The login failure of `what` on image `ref`, if its registry wants a login it does not
  // get. Takes mu_ itself: call it unlocked (a lookup may run a credential helper).
  std::optional<Status> LoginFailure(const std::string& what, const std::string& ref);

  const std::string host_;
  const std::shared_ptr<FakeCallLog> log_;
  mutable std::mutex mu_;
  std::map<std::string, FakeContainer> containers_;  // by name
  std::set<std::string> images_;
  std::map<std::string, std::string> registry_digests_;
  std::set<std::string> registry_missing_;
  bool registry_unreachable_ = false;
  std::map<std::string, std::pair<std::string, std::string>> required_logins_;  // user, password
  std::shared_ptr<RegistryAuth> registry_auth_;
  std::map<std::string, std::vector<std::string>> local_digests_;
  // What a start gives, by container name.
  struct AfterStart {
    std::string state = "running";
    int exit_code = 0;
  };
  std::map<std::string, AfterStart> state_after_start_;
  std::map<std::string, std::string> health_after_start_;
  ExecHandler exec_handler_;
  std::map<std::string, std::deque<Status>> fail_next_;
  std::map<std::string, std::deque<Status>> fail_after_next_;
  std::map<std::pair<std::string, std::string>, Status> fail_always_;
  std::uint64_t id_counter_ = 0;
  std::int64_t last_tick_ns_ = 0;
};

/// Hands out FakeProviders by host key; all of them share one FakeCallLog. Hosts marked
/// unreachable fail Open with kUnavailable, like an SSH connection that cannot be made.
class FakeProviderFactory : public ProviderFactory {
 public:
  FakeProviderFactory();
  /// The fake for host `key` (created on first use); stays owned by the factory.
  FakeProvider& Host(const std::string& key);
  /// The log every provider of this factory writes to.
  FakeCallLog& log() { return *log_; }
  /// Makes Open(`key`) fail with kUnavailable carrying `message`.
  void SetUnreachable(const std::string& key, const std::string& message);
  /// Makes `key` reachable again.
  void SetReachable(const std::string& key);
  /// How many times Open was asked for `key` (successful or not).
  int OpenCount(const std::string& key) const;
  /// A handle forwarding to Host(host.key), or kUnavailable for an unreachable host.
  Result<std::unique_ptr<Provider>> Open(const HostConnection& host,
                                         const ConnectOptions& options) override;

 private:
  std::shared_ptr<FakeCallLog> log_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<FakeProvider>> hosts_;
  std::map<std::string, std::string> unreachable_;
  std::map<std::string, int> opens_;
};

}  // namespace jlrec
