// The seam between the engine and a Docker host (after ninja's CommandRunner and
// leveldb's Env): everything jlrec reads or changes on a host goes through a Provider.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
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
