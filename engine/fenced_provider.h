// A host that stopped answering is given up on for the rest of the run: once one request to
// it got no answer within its timeout, every later call fails at once instead of waiting out
// the same timeout again (a paused daemon would otherwise cost every action, poll and rollback
// step on that host a full request timeout each).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/mutex.h"
#include "model/provider.h"
#include "model/status.h"
#include "model/thread_annotations.h"

namespace jlrec {

/// The hosts of one run that stopped answering, each with the error of its first request
/// that got no answer in time. Thread-safe.
class HostFence {
 public:
  /// Records that `host` stopped answering with `error`; a host's first record stays.
  void Trip(const std::string& host, const Status& error) EXCLUDES(mu_);
  /// The error of `host`'s first unanswered request, or nullopt while it answers.
  std::optional<Status> TrippedBy(const std::string& host) const EXCLUDES(mu_);
  /// Every host that stopped answering, with that first error.
  std::map<std::string, Status> Tripped() const EXCLUDES(mu_);

 private:
  mutable Mutex mu_;
  std::map<std::string, Status> tripped_ GUARDED_BY(mu_);
};

/// What a call to `host` returns once the host stopped answering with `first`: kCancelled
/// (jlrec chose not to ask; not worth polling through) "host HOST stopped answering: FIRST".
Status StoppedAnswering(const std::string& host, const Status& first);

/// Forwards every call to another provider until its host stops answering: a call that
/// ends in kTimeout trips `fence` for the host, and from then on every call fails at once
/// with StoppedAnswering. An Exec counts only when it timed out before its own `timeout`
/// (a request that got no answer), not when the command outlived it (Provider::Exec's own
/// kTimeout says nothing about the host). Thread-safe as the inner provider is.
class FencedProvider final : public Provider {
 public:
  /// Guards `inner` (which must outlive this) with `fence` (shared by a run's providers).
  FencedProvider(Provider& inner, std::shared_ptr<HostFence> fence);

  /// The fence shared with the run.
  const HostFence& fence() const { return *fence_; }

  const std::string& host() const override { return inner_.host(); }
  Result<std::vector<LiveContainer>> ListContainers(const std::string& project,
                                                    const std::vector<std::string>& names) override;
  Result<std::vector<ContainerReading>> ReadContainers(
      const ContainerReadRequest& request) override;
  Result<LiveContainer> InspectContainer(const std::string& id_or_name) override;
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
  /// The session's own waits are not fenced: they have no deadline (only an interruption
  /// ends them), so none of them can say the host stopped answering.
  Result<std::unique_ptr<ExecSession>> StartExec(const std::string& id,
                                                 const ExecRequest& request) override;
  Result<bool> HasImage(const std::string& ref) override;
  Status PullImage(const std::string& ref) override;
  Result<std::string> ResolveImageDigest(const std::string& ref) override;
  ProviderTraffic TrafficSince(std::chrono::steady_clock::time_point since) const override {
    return inner_.TrafficSince(since);
  }
  Result<std::vector<std::string>> LocalImageDigests(const std::string& ref) override;

 private:
  // Runs `call` unless the host stopped answering; trips the fence on its kTimeout.
  template <typename R, typename Call>
  R Forward(Call call);

  Provider& inner_;
  std::shared_ptr<HostFence> fence_;
};

}  // namespace jlrec
