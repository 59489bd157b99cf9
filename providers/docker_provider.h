// The Provider that speaks the Docker Engine API (over whatever stream its
// DockerApiClient opens: an SSH channel to the host's docker socket in production).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/mutex.h"
#include "model/provider.h"
#include "model/thread_annotations.h"
#include "providers/docker_api_client.h"
#include "providers/docker_container_json.h"
#include "providers/registry_auth.h"

namespace jlrec {

/// Thread-safe (the client pools connections; the image cache has its own lock).
class DockerProvider final : public Provider {
 public:
  /// `host`: the host key reported by host(); `api`: a client whose version is negotiated;
  /// `registry_auth`: the logins pulls and digest checks carry (null: none).
  DockerProvider(std::string host, std::unique_ptr<DockerApiClient> api,
                 std::shared_ptr<RegistryAuth> registry_auth = nullptr);
  ~DockerProvider() override;

  const std::string& host() const override { return host_; }
  Result<std::vector<LiveContainer>> ListContainers(const std::string& project,
                                                    const std::vector<std::string>& names) override;
  /// Two pipelined rounds in the steady state: the project's list together with the daemon's
  /// event log since request.known_since, then the inspects that are still needed, the images
  /// they run and every stat, all in one batch.
  Result<std::vector<ContainerReading>> ReadContainers(const ContainerReadRequest& request) override
      EXCLUDES(image_mu_);
  Result<LiveContainer> InspectContainer(const std::string& id_or_name) override
      EXCLUDES(image_mu_);
  Result<std::optional<std::string>> ReadFile(const std::string& id,
                                              const std::string& path) override;
  Result<std::optional<std::string>> StatFile(const std::string& id,
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
  Status StreamLogs(const std::string& id, const LogsRequest& request,
                    const OutputSink& sink) override;
  Result<std::unique_ptr<ExecSession>> StartExec(const std::string& id,
                                                 const ExecRequest& request) override;
  Result<bool> HasImage(const std::string& ref) override;
  Status PullImage(const std::string& ref) override;
  Result<std::string> ResolveImageDigest(const std::string& ref) override;
  Result<std::vector<std::string>> LocalImageDigests(const std::string& ref) override
      EXCLUDES(image_mu_);
  ProviderTraffic TrafficSince(std::chrono::steady_clock::time_point since) const override;

 private:
  // Sends `call`; a non-2xx answer becomes DockerErrorStatus.
  Result<HttpResponse> Call(DockerApiClient::Call call);
  // Sends `call` and parses its 2xx answer as JSON as it arrives, building only what `keep`
  // selects of it.
  Result<nlohmann::json> CallJson(DockerApiClient::Call call, const JsonSelection& keep);
  // GET /containers/json with `filters`; id, names and jlrec.host label of each match.
  // One entry of GET /containers/json: what is needed before deciding to inspect.
  struct ListedContainer {
    std::string id;
    std::vector<std::string> names;  ///< "/name" as Docker reports them
    std::string host_label;          ///< value of jlrec.host, "" when absent
    bool running = false;            ///< State is "running"
    std::string image_id;            ///< ImageID: "sha256:..."
    std::string status;              ///< Status: "Up 2 hours (healthy)", "Exited (0) ..."
    std::map<std::string, std::string> jlrec_labels;  ///< its jlrec.* labels
  };
  Result<std::vector<ListedContainer>> ListIds(const nlohmann::json& filters,
                                               const std::string& only_host);
  // The GET /containers/json call ListIds sends, its entries appended to `*out` as they are
  // parsed (`out` must outlive the call), but for those labelled with a jlrec.host other than
  // `only_host` when it is not empty (another host key's: never kept, so never held).
  static DockerApiClient::Call ListCall(const nlohmann::json& filters,
                                        std::vector<ListedContainer>* out,
                                        const std::string& only_host);
  // The ids ListContainers keeps of `labelled` (this host's) plus, when the labelled ones
  // do not hold every name in `names` running, those a name query finds (one more request).
  Result<std::map<std::string, ListedContainer>> SelectListed(
      std::vector<ListedContainer> labelled, const std::vector<std::string>& names);
  // Fills the image cache from a GET /images/{id}/json answer (`answer`, parsed into `image`).
  Status NoteImageAnswer(const std::string& image_id, const Result<HttpResponse>& answer,
                         const nlohmann::json& image) EXCLUDES(image_mu_);
  // The cached defaults of `image_id`, if its inspect was seen.
  std::optional<std::optional<ImageDefaults>> CachedDefaults(const std::string& image_id)
      EXCLUDES(image_mu_);
  // StatFile's reading of a HEAD /containers/{id}/archive answer that is not a 404.
  Result<std::optional<std::string>> StatFromAnswer(const HttpResponse& response,
                                                    const std::string& what) const;
  // What image `image_id` puts into its containers, cached (images are immutable).
  Result<std::optional<ImageDefaults>> DefaultsOfImage(const std::string& image_id)
      EXCLUDES(image_mu_);
  // POST /containers/{id}/{action} (start, stop, restart), with ?t=grace if given.
  Status ContainerAction(const std::string& id, const std::string& action,
                         std::optional<std::chrono::seconds> grace);
  Result<std::optional<std::string>> ReadFileFollowingLinks(const std::string& id,
                                                            const std::string& path, int hops);
  // The login for the registry image `ref` comes from; nullopt without one (or without a
  // RegistryAuth).
  Result<std::optional<RegistryCredential>> CredentialFor(const std::string& ref);
  // `status` (for `what` on `ref`), or the clear login error when the daemon's
  // `daemon_message` says the registry wanted a login it did not get or accept.
  Status ExplainLoginFailure(Status status, const std::string& what, const std::string& ref,
                             const std::optional<RegistryCredential>& credential,
                             std::string_view daemon_message) const;

  std::string host_;
  std::unique_ptr<DockerApiClient> api_;
  std::shared_ptr<RegistryAuth> registry_auth_;  // null: no logins
  Mutex image_mu_;  // held only to look up or fill the maps below, never across a request
  std::map<std::string, std::optional<ImageDefaults>> image_defaults_ GUARDED_BY(image_mu_);
  // RepoDigests seen by DefaultsOfImage's inspect, handed once to the next
  // LocalImageDigests of that image (a refresh asks for both within milliseconds); used
  // once, since a pull may add digests later.
  std::map<std::string, std::vector<std::string>> fresh_repo_digests_ GUARDED_BY(image_mu_);
};

}  // namespace jlrec
