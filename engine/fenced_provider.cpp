#include "engine/fenced_provider.h"

#include <utility>

namespace jlrec {

namespace {

Status StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

bool IsUnanswered(const Status& s) { return s.code() == Status::Code::kTimeout; }

}  // namespace

void HostFence::Trip(const std::string& host, const Status& error) {
  MutexLock lock(mu_);
  tripped_.emplace(host, error);
}

std::optional<Status> HostFence::TrippedBy(const std::string& host) const {
  MutexLock lock(mu_);
  auto it = tripped_.find(host);
  if (it == tripped_.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, Status> HostFence::Tripped() const {
  MutexLock lock(mu_);
  return tripped_;
}

Status StoppedAnswering(const std::string& host, const Status& first) {
  return Status::Cancelled("host " + host + " stopped answering: " + first.message());
}

FencedProvider::FencedProvider(Provider& inner, std::shared_ptr<HostFence> fence)
    : inner_(inner), fence_(std::move(fence)) {}

template <typename R, typename Call>
R FencedProvider::Forward(Call call) {
  if (std::optional<Status> first = fence_->TrippedBy(host()))
    return StoppedAnswering(host(), *first);
  R result = call();
  if (Status st = StatusOf(result); IsUnanswered(st)) fence_->Trip(host(), st);
  return result;
}

Result<std::vector<LiveContainer>> FencedProvider::ListContainers(
    const std::string& project, const std::vector<std::string>& names) {
  return Forward<Result<std::vector<LiveContainer>>>(
      [&] { return inner_.ListContainers(project, names); });
}

Result<std::vector<ContainerReading>> FencedProvider::ReadContainers(
    const ContainerReadRequest& request) {
  return Forward<Result<std::vector<ContainerReading>>>(
      [&] { return inner_.ReadContainers(request); });
}

Result<LiveContainer> FencedProvider::InspectContainer(const std::string& id_or_name) {
  return Forward<Result<LiveContainer>>([&] { return inner_.InspectContainer(id_or_name); });
}

Result<std::optional<std::string>> FencedProvider::ReadFile(const std::string& id,
                                                            const std::string& path) {
  return Forward<Result<std::optional<std::string>>>([&] { return inner_.ReadFile(id, path); });
}

Result<std::optional<std::string>> FencedProvider::StatFile(const std::string& id,
                                                            const std::string& path) {
  return Forward<Result<std::optional<std::string>>>([&] { return inner_.StatFile(id, path); });
}

Result<std::string> FencedProvider::CreateContainer(const CreateContainerRequest& req) {
  return Forward<Result<std::string>>([&] { return inner_.CreateContainer(req); });
}

Status FencedProvider::StartContainer(const std::string& id) {
  return Forward<Status>([&] { return inner_.StartContainer(id); });
}

Status FencedProvider::StopContainer(const std::string& id, std::chrono::seconds grace) {
  return Forward<Status>([&] { return inner_.StopContainer(id, grace); });
}

Status FencedProvider::RestartContainer(const std::string& id, std::chrono::seconds grace) {
  return Forward<Status>([&] { return inner_.RestartContainer(id, grace); });
}

Status FencedProvider::RemoveContainer(const std::string& id) {
  return Forward<Status>([&] { return inner_.RemoveContainer(id); });
}

Status FencedProvider::RenameContainer(const std::string& id, const std::string& new_name) {
  return Forward<Status>([&] { return inner_.RenameContainer(id, new_name); });
}

Status FencedProvider::UploadFile(const std::string& id, const std::string& path,
                                  const std::string& content, int mode) {
  return Forward<Status>([&] { return inner_.UploadFile(id, path, content, mode); });
}

Result<int> FencedProvider::Exec(const std::string& id, const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout) {
  if (std::optional<Status> first = fence_->TrippedBy(host()))
    return StoppedAnswering(host(), *first);
  const auto start = std::chrono::steady_clock::now();
  Result<int> result = inner_.Exec(id, argv, timeout);
  // Before `timeout` only a request can have timed out; at or after it, the command may
  // simply have outlived it, which a slow health probe does on a host that answers well.
  if (!result.ok() && IsUnanswered(result.status()) &&
      std::chrono::steady_clock::now() - start < timeout)
    fence_->Trip(host(), result.status());
  return result;
}

Status FencedProvider::StreamLogs(const std::string& id, const LogsRequest& request,
                                  const OutputSink& sink) {
  return Forward<Status>([&] { return inner_.StreamLogs(id, request, sink); });
}

Result<std::unique_ptr<ExecSession>> FencedProvider::StartExec(const std::string& id,
                                                               const ExecRequest& request) {
  return Forward<Result<std::unique_ptr<ExecSession>>>(
      [&] { return inner_.StartExec(id, request); });
}

Result<bool> FencedProvider::HasImage(const std::string& ref) {
  return Forward<Result<bool>>([&] { return inner_.HasImage(ref); });
}

Status FencedProvider::PullImage(const std::string& ref) {
  return Forward<Status>([&] { return inner_.PullImage(ref); });
}

Result<std::string> FencedProvider::ResolveImageDigest(const std::string& ref) {
  return Forward<Result<std::string>>([&] { return inner_.ResolveImageDigest(ref); });
}

Result<std::vector<std::string>> FencedProvider::LocalImageDigests(const std::string& ref) {
  return Forward<Result<std::vector<std::string>>>([&] { return inner_.LocalImageDigests(ref); });
}

}  // namespace jlrec
