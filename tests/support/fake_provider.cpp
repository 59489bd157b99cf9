#include "support/fake_provider.h"

#include "providers/registry_auth.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <thread>
#include <utility>

#include "model/digest.h"
#include "model/port_spec.h"
#include "model/registry_host.h"
#include "model/restart_policy.h"

namespace jlrec {

namespace {

bool IsUpState(const std::string& state) {
  return state == "running" || state == "restarting" || state == "paused";
}

std::string Join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::string OctalMode(int mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", mode);
  return buf;
}

// `unix_nanos` as RFC 3339 UTC with nine fractional digits.
std::string Rfc3339Nanos(std::int64_t unix_nanos) {
  const std::time_t seconds = static_cast<std::time_t>(unix_nanos / 1000000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%09lldZ", date,
                static_cast<long long>(unix_nanos % 1000000000));
  return out;
}

// The image id ("sha256:...") the fake gives image `ref` (as added or pulled).
std::string ImageIdOf(const std::string& ref) { return "sha256:" + Sha256Hex(ref); }

// The SSH + Docker provider's check of a file path: absolute, not a directory's.
Status CheckAbsolutePath(const std::string& path) {
  if (path.empty() || path.front() != '/' || path.back() == '/' ||
      path.find('\0') != std::string::npos)
    return Status::InvalidArgument("path '" + path + "' must be an absolute file path");
  return Status::Ok();
}

// Docker's container name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (`min_size` characters at least:
// 2 for Docker).
bool IsValidContainerName(const std::string& name, std::size_t min_size = 2) {
  auto alnum = [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
  };
  if (name.size() < min_size || name.empty() || !alnum(name[0])) return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [&](char ch) { return alnum(ch) || ch == '_' || ch == '.' || ch == '-'; });
}

}  // namespace

bool IsMutatingProviderMethod(const std::string& method) {
  static const std::set<std::string> kMutating = {
      "CreateContainer", "StartContainer", "StopContainer", "RestartContainer",
      "RemoveContainer", "UploadFile",     "PullImage",     "RenameContainer"};
  return kMutating.count(method) != 0;
}

// ---------------------------------------------------------------------------------------------
// FakeCallLog

std::vector<FakeCall> FakeCallLog::Calls() const {
  MutexLock lock(mu_);
  return calls_;
}

std::vector<FakeCall> FakeCallLog::CallsTo(const std::string& method,
                                           const std::string& host) const {
  MutexLock lock(mu_);
  std::vector<FakeCall> out;
  for (const auto& c : calls_)
    if (c.method == method && (host.empty() || c.host == host)) out.push_back(c);
  return out;
}

std::vector<FakeCall> FakeCallLog::CallsFor(const std::string& host,
                                            const std::string& container) const {
  MutexLock lock(mu_);
  std::vector<FakeCall> out;
  for (const auto& c : calls_)
    if (c.host == host && c.container == container) out.push_back(c);
  return out;
}

int FakeCallLog::Count(const std::string& method, const std::string& host) const {
  return static_cast<int>(CallsTo(method, host).size());
}

std::uint64_t FakeCallLog::MutatingCalls(const std::string& host) const {
  MutexLock lock(mu_);
  std::uint64_t n = 0;
  for (const auto& c : calls_)
    if ((host.empty() || c.host == host) && IsMutatingProviderMethod(c.method)) ++n;
  return n;
}

int FakeCallLog::MaxConcurrent(const std::string& host) const {
  MutexLock lock(mu_);
  if (host.empty()) return max_in_flight_;
  auto it = max_by_host_.find(host);
  return it == max_by_host_.end() ? 0 : it->second;
}

void FakeCallLog::Hold(const std::string& method) {
  MutexLock lock(mu_);
  held_.insert(method);
}

void FakeCallLog::Release(const std::string& method) {
  {
    MutexLock lock(mu_);
    held_.erase(method);
  }
  cv_.notify_all();
}

bool FakeCallLog::WaitForInFlight(const std::string& method, int n,
                                  std::chrono::milliseconds timeout) {
  MutexLock lock(mu_);
  return lock.WaitFor(cv_, timeout,
                      [&]() REQUIRES(mu_) { return in_flight_by_method_[method] >= n; });
}

void FakeCallLog::SetRendezvous(const std::string& method, int n,
                                std::chrono::milliseconds fallback) {
  MutexLock lock(mu_);
  Rendezvous& r = rendezvous_[method];
  r.size = n;
  r.fallback = fallback;
}

int FakeCallLog::RendezvousTimeouts() const {
  MutexLock lock(mu_);
  return rendezvous_timeouts_;
}

void FakeCallLog::SetDelay(const std::string& method, std::chrono::milliseconds delay) {
  MutexLock lock(mu_);
  delays_[method] = delay;
}

std::size_t FakeCallLog::Begin(const std::string& host, const std::string& method,
                               const std::string& target, const std::string& container,
                               std::vector<std::string> args) {
  std::size_t index = 0;
  std::chrono::milliseconds delay{0};
  {
    MutexLock lock(mu_);
    FakeCall call;
    call.seq = next_seq_++;
    call.host = host;
    call.method = method;
    call.target = target;
    call.container = container;
    call.args = std::move(args);
    call.at = std::chrono::steady_clock::now();
    calls_.push_back(std::move(call));
    index = calls_.size() - 1;
    max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
    int& host_now = in_flight_by_host_[host];
    max_by_host_[host] = std::max(max_by_host_[host], ++host_now);
    ++in_flight_by_method_[method];
    cv_.notify_all();
    delay = PaceLocked(lock, method);
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  return index;
}

std::chrono::milliseconds FakeCallLog::PaceLocked(MutexLock& lock, const std::string& method) {
  lock.Wait(cv_, [&]() REQUIRES(mu_) { return held_.count(method) == 0; });
  if (auto it = rendezvous_.find(method); it != rendezvous_.end() && it->second.size > 1) {
    Rendezvous& r = it->second;  // map nodes are stable while we wait
    const std::uint64_t generation = r.generation;
    if (++r.waiting >= r.size) {
      r.waiting = 0;
      ++r.generation;
      cv_.notify_all();
    } else if (!lock.WaitFor(cv_, r.fallback,
                             [&]() REQUIRES(mu_) { return r.generation != generation; })) {
      --r.waiting;
      ++rendezvous_timeouts_;
    }
  }
  if (auto it = delays_.find(method); it != delays_.end() && it->second.count() > 0)
    return it->second;
  return std::chrono::milliseconds(0);
}

void FakeCallLog::End(std::size_t index, const Status& status) {
  {
    MutexLock lock(mu_);
    FakeCall& call = calls_[index];
    call.end_seq = next_seq_++;
    call.status = status;
    --in_flight_;
    --in_flight_by_host_[call.host];
    --in_flight_by_method_[call.method];
  }
  cv_.notify_all();
}

// ---------------------------------------------------------------------------------------------
// FakeProvider

// Records one provider call from entry to return: Begin on construction (which may block
// for pacing), End with whatever status Done() was given.
class FakeProvider::CallScope {
 public:
  /// How the call's target relates to a container.
  enum class Target { kContainer, kNewContainerName, kOther };

  CallScope(FakeProvider& provider, const char* method, const std::string& target,
            std::vector<std::string> args, Target kind = Target::kContainer)
      : log_(*provider.log_) {
    if (kind == Target::kNewContainerName) {
      container_ = target;
    } else if (kind == Target::kContainer) {
      MutexLock lock(provider.mu_);
      container_ = provider.NameOfLocked(target);
    }
    index_ = log_.Begin(provider.host_, method, target, container_, std::move(args));
  }
  ~CallScope() { log_.End(index_, status_); }
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

  /// The name of the container the call concerns ("" if unknown).
  const std::string& container() const { return container_; }
  /// Makes Done() return `status` whatever the call did (FailAfterNext).
  void ReportInstead(Status status) { instead_ = std::move(status); }
  /// Remembers the call's result and passes it through (or what ReportInstead said).
  Status Done(Status status) {
    if (instead_ && !instead_->ok()) status = *instead_;
    status_ = status;
    return status;
  }
  template <typename T>
  Result<T> Done(Result<T> result) {
    if (instead_ && !instead_->ok()) result = Result<T>(*instead_);
    status_ = result.status();
    return result;
  }

 private:
  FakeCallLog& log_;
  std::string container_;
  std::size_t index_ = 0;
  Status status_;
  std::optional<Status> instead_;
};

FakeProvider::FakeProvider(std::string host, std::shared_ptr<FakeCallLog> log)
    : host_(std::move(host)), log_(log ? std::move(log) : std::make_shared<FakeCallLog>()) {}

std::string FakeProvider::AddContainer(FakeContainer container) {
  MutexLock lock(mu_);
  if (container.live.id.empty()) container.live.id = NewIdLocked(container.live.name);
  const auto previous = containers_.find(container.live.name);
  for (const auto& [path, content] : container.files) {
    auto mtime = container.file_mtimes.find(path);
    bool rewritten = mtime == container.file_mtimes.end();
    // A copy of Container(name) edited and added back carries the old mtime: the edit is
    // a rewrite, and a StatFile key that did not change would hide it.
    if (!rewritten && previous != containers_.end()) {
      const FakeContainer& before = previous->second;
      auto old_content = before.files.find(path);
      auto old_mtime = before.file_mtimes.find(path);
      rewritten = old_content != before.files.end() && old_content->second != content &&
                  old_mtime != before.file_mtimes.end() && old_mtime->second == mtime->second;
    }
    if (rewritten) container.file_mtimes[path] = TickLocked();
  }
  std::string id = container.live.id;
  containers_[container.live.name] = std::move(container);
  return id;
}

std::optional<FakeContainer> FakeProvider::Container(const std::string& name) const {
  MutexLock lock(mu_);
  auto it = containers_.find(name);
  if (it == containers_.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, FakeContainer> FakeProvider::Containers() const {
  MutexLock lock(mu_);
  return containers_;
}

void FakeProvider::AddImage(const std::string& ref) {
  MutexLock lock(mu_);
  images_.insert(ref);
}

bool FakeProvider::ImagePresent(const std::string& ref) const {
  MutexLock lock(mu_);
  return !ImageOfLocked(ref).empty();
}

void FakeProvider::SetRegistryDigest(const std::string& ref, const std::string& digest) {
  MutexLock lock(mu_);
  registry_digests_[ref] = digest;
  registry_missing_.erase(ref);
}

void FakeProvider::SetRegistryMissing(const std::string& ref) {
  MutexLock lock(mu_);
  registry_missing_.insert(ref);
  registry_digests_.erase(ref);
}

void FakeProvider::SetRegistryUnreachable(bool unreachable) {
  MutexLock lock(mu_);
  registry_unreachable_ = unreachable;
}

void FakeProvider::RequireRegistryLogin(const std::string& registry, const std::string& username,
                                        const std::string& password) {
  MutexLock lock(mu_);
  required_logins_[registry] = {username, password};
}

void FakeProvider::SetRegistryAuth(std::shared_ptr<RegistryAuth> registry_auth) {
  MutexLock lock(mu_);
  registry_auth_ = std::move(registry_auth);
}

std::optional<Status> FakeProvider::LoginFailure(const std::string& what, const std::string& ref) {
  const std::string registry = RegistryHostOf(ref);
  std::pair<std::string, std::string> wanted;
  std::shared_ptr<RegistryAuth> auth;
  {
    MutexLock lock(mu_);
    auto it = required_logins_.find(registry);
    if (it == required_logins_.end()) return std::nullopt;
    wanted = it->second;
    auth = registry_auth_;
  }
  Result<std::optional<RegistryCredential>> credential = std::optional<RegistryCredential>();
  if (auth) credential = auth->CredentialFor(registry);
  if (!credential.ok()) return credential.status().WithContext(what);
  // What Docker 20.10 says (see IsRegistryLoginFailure).
  if (!*credential) return RegistryLoginMissing(what, registry, "no basic auth credentials");
  if ((*credential)->username != wanted.first || (*credential)->password != wanted.second)
    return RegistryRefusedLogin(what, **credential, "unauthorized: authentication required");
  return std::nullopt;
}

void FakeProvider::SetLocalImageDigests(const std::string& ref, std::vector<std::string> digests) {
  MutexLock lock(mu_);
  local_digests_[ref] = std::move(digests);
}

void FakeProvider::SetStateAfterStart(const std::string& name, const std::string& state,
                                      int exit_code) {
  MutexLock lock(mu_);
  state_after_start_[name] = AfterStart{state, exit_code};
}

void FakeProvider::SetHealthAfterStart(const std::string& name, const std::string& health) {
  MutexLock lock(mu_);
  health_after_start_[name] = health;
}

bool FakeProvider::SetHealth(const std::string& name, const std::string& health) {
  MutexLock lock(mu_);
  auto it = containers_.find(name);
  if (it == containers_.end()) return false;
  it->second.live.health = health;
  return true;
}

bool FakeProvider::SetRestartCount(const std::string& name, int restart_count) {
  MutexLock lock(mu_);
  auto it = containers_.find(name);
  if (it == containers_.end()) return false;
  it->second.live.restart_count = restart_count;
  return true;
}

bool FakeProvider::ExitProcess(const std::string& name, int exit_code) {
  MutexLock lock(mu_);
  auto it = containers_.find(name);
  if (it == containers_.end() || !it->second.live.running()) return false;
  LiveContainer& live = it->second.live;
  // Docker's restart manager (restartmanager.ShouldRestart, 20.10).
  Result<RestartPolicy> policy = ParseRestartPolicy(live.spec.restart);
  const bool restart =
      policy.ok() &&
      (policy->name == "always" || policy->name == "unless-stopped" ||
       (policy->name == "on-failure" && exit_code != 0 &&
        (policy->maximum_retry_count == 0 || live.restart_count < policy->maximum_retry_count)));
  live.exit_code = exit_code;
  if (restart) {
    live.state = "restarting";
    ++live.restart_count;
  } else {
    live.state = "exited";
  }
  if (live.spec.healthcheck) live.health = "unhealthy";
  return true;
}

bool FakeProvider::RestartByPolicy(const std::string& name) {
  MutexLock lock(mu_);
  auto it = containers_.find(name);
  if (it == containers_.end() || !it->second.live.restarting()) return false;
  const int restart_count = it->second.live.restart_count;
  StartLocked(it->second);
  it->second.live.restart_count = restart_count;
  return true;
}

void FakeProvider::SetExecHandler(ExecHandler handler) {
  MutexLock lock(mu_);
  exec_handler_ = std::move(handler);
}

void FakeProvider::FailNext(const std::string& method, Status status) {
  MutexLock lock(mu_);
  fail_next_[method].push_back(std::move(status));
}

void FakeProvider::FailAfterNext(const std::string& method, Status status) {
  MutexLock lock(mu_);
  fail_after_next_[method].push_back(std::move(status));
}

void FakeProvider::FailAlways(const std::string& method, const std::string& target, Status status) {
  MutexLock lock(mu_);
  fail_always_[{method, target}] = std::move(status);
}

void FakeProvider::Hang(std::chrono::milliseconds request_timeout) {
  MutexLock lock(mu_);
  hang_ = request_timeout;
}

void FakeProvider::ClearFailures() {
  MutexLock lock(mu_);
  fail_next_.clear();
  fail_after_next_.clear();
  fail_always_.clear();
  hang_.reset();
}

std::string FakeProvider::NameOfLocked(const std::string& id_or_name) const {
  if (containers_.count(id_or_name)) return id_or_name;
  for (const auto& [name, c] : containers_)
    if (c.live.id == id_or_name) return name;
  return "";
}

FakeContainer* FakeProvider::FindLocked(const std::string& id_or_name) {
  std::string name = NameOfLocked(id_or_name);
  if (name.empty()) return nullptr;
  return &containers_.at(name);
}

std::string FakeProvider::ImageOfLocked(const std::string& ref) const {
  if (images_.count(ref) != 0) return ref;
  for (const std::string& image : images_) {
    if (ref == ImageIdOf(image)) return image;
    auto digests = local_digests_.find(image);
    if (digests != local_digests_.end() &&
        std::find(digests->second.begin(), digests->second.end(), ref) != digests->second.end())
      return image;
  }
  return "";
}

std::optional<Status> FakeProvider::InjectedFailure(CallScope& call, const std::string& method,
                                                    const std::string& target) {
  std::optional<std::chrono::milliseconds> hang;
  {
    MutexLock lock(mu_);
    hang = hang_;
  }
  if (hang) {  // waited out unlocked: other hosts' calls, and other calls here, go on
    std::this_thread::sleep_for(*hang);
    return Status::Timeout(host_ + ": " + method + ": no complete answer within " +
                           std::to_string(hang->count()) + " ms");
  }
  MutexLock lock(mu_);
  if (auto it = fail_next_.find(method); it != fail_next_.end() && !it->second.empty()) {
    Status s = it->second.front();
    it->second.pop_front();
    return s;
  }
  // A failure set for the container's name also hits calls that address it by id.
  const std::string name = NameOfLocked(target);
  for (const std::string* key : {&target, &name}) {
    if (key->empty()) continue;
    if (auto it = fail_always_.find({method, *key}); it != fail_always_.end()) return it->second;
  }
  if (auto it = fail_always_.find({method, ""}); it != fail_always_.end()) return it->second;
  if (auto it = fail_after_next_.find(method);
      it != fail_after_next_.end() && !it->second.empty()) {
    call.ReportInstead(it->second.front());
    it->second.pop_front();
  }
  return std::nullopt;
}

Result<std::string> FakeProvider::RunningNameLocked(const std::string& id) {
  const FakeContainer* c = FindLocked(id);
  if (!c) return Status::NotFound("No such container: " + id);
  if (c->live.state != "running")
    return Status::Conflict("Container " + c->live.id + " is not running");
  return c->live.name;
}

std::string FakeProvider::NewIdLocked(const std::string& name) {
  return Sha256Hex(host_ + "/" + name + "/" + std::to_string(++id_counter_));
}

std::int64_t FakeProvider::TickLocked() {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  last_tick_ns_ = std::max(now, last_tick_ns_ + 1);
  return last_tick_ns_;
}

std::string FakeProvider::NowLocked() { return Rfc3339Nanos(TickLocked()); }

void FakeProvider::StartLocked(FakeContainer& c) {
  auto after = state_after_start_.find(c.live.name);
  const AfterStart result = after == state_after_start_.end() ? AfterStart{} : after->second;
  c.live.state = result.state;
  c.live.exit_code = result.exit_code;
  // Docker counts policy restarts since the last start through the API.
  c.live.restart_count = 0;
  c.live.started_at = NowLocked();
  if (auto health = health_after_start_.find(c.live.name); health != health_after_start_.end())
    c.live.health = health->second;
  else if (!c.live.spec.healthcheck)
    c.live.health.clear();
  else
    c.live.health = c.live.running() ? "healthy" : "unhealthy";
}

Result<std::vector<LiveContainer>> FakeProvider::ListContainers(
    const std::string& project, const std::vector<std::string>& names) {
  CallScope call(*this, "ListContainers", project, names, CallScope::Target::kOther);
  if (auto f = InjectedFailure(call, "ListContainers", project)) return call.Done(*f);
  MutexLock lock(mu_);
  std::vector<LiveContainer> out;
  std::set<std::string> wanted(names.begin(), names.end());
  for (const auto& name : names) wanted.insert(name + kPreviousSuffix);
  for (const auto& [name, c] : containers_) {
    auto label = c.live.jlrec_labels.find(labels::kProject);
    auto host = c.live.jlrec_labels.find(labels::kHost);
    const bool of_project = label != c.live.jlrec_labels.end() && label->second == project &&
                            (host == c.live.jlrec_labels.end() || host->second == host_);
    if (!of_project && wanted.count(name) == 0) continue;
    out.push_back(c.live);
    out.back().script_digest.reset();
  }
  return call.Done(Result<std::vector<LiveContainer>>(std::move(out)));
}

Result<LiveContainer> FakeProvider::InspectContainer(const std::string& id_or_name) {
  CallScope call(*this, "InspectContainer", id_or_name, {});
  if (auto f = InjectedFailure(call, "InspectContainer", id_or_name)) return call.Done(*f);
  MutexLock lock(mu_);
  const FakeContainer* c = FindLocked(id_or_name);
  if (!c) return call.Done(Status::NotFound("No such container: " + id_or_name));
  LiveContainer live = c->live;
  live.script_digest.reset();
  return call.Done(Result<LiveContainer>(std::move(live)));
}

Result<std::optional<std::string>> FakeProvider::ReadFile(const std::string& id,
                                                          const std::string& path) {
  CallScope call(*this, "ReadFile", id, {path});
  if (auto f = InjectedFailure(call, "ReadFile", id)) return call.Done(*f);
  if (Status st = CheckAbsolutePath(path); !st.ok()) return call.Done(st);
  MutexLock lock(mu_);
  const FakeContainer* c = FindLocked(id);
  if (!c) return call.Done(Status::NotFound("No such container: " + id));
  auto it = c->files.find(path);
  std::optional<std::string> content;
  if (it != c->files.end()) content = it->second;
  return call.Done(Result<std::optional<std::string>>(std::move(content)));
}

Result<std::optional<std::string>> FakeProvider::StatFile(const std::string& id,
                                                          const std::string& path) {
  CallScope call(*this, "StatFile", id, {path});
  if (auto f = InjectedFailure(call, "StatFile", id)) return call.Done(*f);
  if (Status st = CheckAbsolutePath(path); !st.ok()) return call.Done(st);
  MutexLock lock(mu_);
  const FakeContainer* c = FindLocked(id);
  if (!c) return call.Done(Status::NotFound("No such container: " + id));
  auto it = c->files.find(path);
  std::optional<std::string> stat;
  // Docker's key: the mode in decimal (Go's FileMode), the mtime of the last write.
  if (it != c->files.end()) {
    auto mode = c->file_modes.find(path);
    auto mtime = c->file_mtimes.find(path);
    stat = std::to_string(it->second.size()) + ":" +
           std::to_string(mode == c->file_modes.end() ? 0 : mode->second) + ":" +
           Rfc3339Nanos(mtime == c->file_mtimes.end() ? 0 : mtime->second);
  }
  return call.Done(Result<std::optional<std::string>>(std::move(stat)));
}

Result<std::string> FakeProvider::CreateContainer(const CreateContainerRequest& req) {
  std::vector<std::string> args = {req.spec.image};
  for (const auto& [k, v] : req.jlrec_labels) args.push_back(k + "=" + v);
  CallScope call(*this, "CreateContainer", req.name, std::move(args),
                 CallScope::Target::kNewContainerName);
  if (auto f = InjectedFailure(call, "CreateContainer", req.name)) return call.Done(*f);
  // The SSH + Docker provider's own checks first, then Docker's, in Docker's order (the
  // image, the name's form, the name's use).
  if (req.name.empty()) return call.Done(Status::InvalidArgument("container name is empty"));
  for (const auto& [key, value] : req.spec.labels)
    if (key.rfind(labels::kPrefix, 0) == 0)
      return call.Done(Status::InvalidArgument("label '" + key + "' uses jlrec's reserved prefix"));
  for (const auto& [key, value] : req.jlrec_labels)
    if (key.rfind(labels::kPrefix, 0) != 0)
      return call.Done(
          Status::InvalidArgument("bookkeeping label '" + key + "' lacks the jlrec. prefix"));
  if (Result<RestartPolicy> policy = ParseRestartPolicy(req.spec.restart); !policy.ok())
    return call.Done(policy.status());
  for (const std::string& port : req.spec.ports)
    if (auto bindings = ParsePortSpec(port); !bindings.ok()) return call.Done(bindings.status());
  if (req.spec.healthcheck && req.spec.healthcheck->command.empty())
    return call.Done(
        Status::InvalidArgument("container " + req.name + ": healthcheck without a command"));
  MutexLock lock(mu_);
  const std::string image = ImageOfLocked(req.spec.image);
  if (image.empty()) return call.Done(Status::NotFound("No such image: " + req.spec.image));
  // Docker also wants two characters at least; engine tests create containers named "a".
  if (!IsValidContainerName(req.name, /*min_size=*/1))
    return call.Done(Status::InvalidArgument("Invalid container name (" + req.name +
                                             "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"));
  if (auto it = containers_.find(req.name); it != containers_.end())
    return call.Done(Status::Conflict("Conflict. The container name \"/" + req.name +
                                      "\" is already in use by container \"" + it->second.live.id +
                                      "\""));
  FakeContainer c;
  c.live.id = NewIdLocked(req.name);
  c.live.name = req.name;
  c.live.image_id = ImageIdOf(image);
  c.live.spec = req.spec;
  for (const auto& [k, v] : req.jlrec_labels) c.live.jlrec_labels[k] = v;
  c.live.state = "created";
  c.live.created = NowLocked();
  std::string id = c.live.id;
  containers_[req.name] = std::move(c);
  return call.Done(Result<std::string>(std::move(id)));
}

Status FakeProvider::StartContainer(const std::string& id) {
  CallScope call(*this, "StartContainer", id, {});
  if (auto f = InjectedFailure(call, "StartContainer", id)) return call.Done(*f);
  MutexLock lock(mu_);
  FakeContainer* c = FindLocked(id);
  if (!c) return call.Done(Status::NotFound("No such container: " + id));
  if (c->live.state == "running") return call.Done(Status::Ok());
  StartLocked(*c);
  return call.Done(Status::Ok());
}

Status FakeProvider::StopContainer(const std::string& id, std::chrono::seconds grace) {
  CallScope call(*this, "StopContainer", id, {std::to_string(grace.count()) + "s"});
  if (auto f = InjectedFailure(call, "StopContainer", id)) return call.Done(*f);
  MutexLock lock(mu_);
  FakeContainer* c = FindLocked(id);
  if (!c) return call.Done(Status::NotFound("No such container: " + id));
  if (IsUpState(c->live.state)) {
    c->live.state = "exited";
    // Docker's health monitor stops with the process, and says so.
    if (c->live.spec.healthcheck) c->live.health = "unhealthy";
  }
  return call.Done(Status::Ok());
}

Status FakeProvider::RestartContainer(const std::string& id, std::chrono::seconds grace) {
  CallScope call(*this, "RestartContainer", id, {std::to_string(grace.count()) + "s"});
  if (auto f = InjectedFailure(call, "RestartContainer", id)) return call.Done(*f);
  MutexLock lock(mu_);
  FakeContainer* c = FindLocked(id);
  if (!c) return call.Done(Status::NotFound("No such container: " + id));
  StartLocked(*c);
  return call.Done(Status::Ok());
}

Status FakeProvider::RemoveContainer(const std::string& id) {
  CallScope call(*this, "RemoveContainer", id, {});
  if (auto f = InjectedFailure(call, "RemoveContainer", id)) return call.Done(*f);
  MutexLock lock(mu_);
  FakeContainer* c = FindLocked(id);
  if (!c) return call.Done(Status::Ok());
  if (IsUpState(c->live.state))
    return call.Done(Status::Conflict("You cannot remove a " + c->live.state + " container " +
                                      c->live.id +
                                      ". Stop the container before attempting removal"));
  containers_.erase(c->live.name);
  return call.Done(Status::Ok());
}

Status FakeProvider::RenameContainer(const std::string& id, const std::string& new_name) {
  CallScope call(*this, "RenameContainer", id, {new_name});
  if (auto f = InjectedFailure(call, "RenameContainer", id)) return call.Done(*f);
  MutexLock lock(mu_);
  FakeContainer* c = FindLocked(id);
  if (!c) return call.Done(Status::NotFound("No such container: " + id));
  // Docker's checks and messages, in its order (daemon/rename.go, 20.10).
  const std::string name = !new_name.empty() && new_name[0] == '/' ? new_name.substr(1) : new_name;
  if (c->live.name == name)
    return call.Done(
        Status::InvalidArgument("Renaming a container with the same name as its current name"));
  if (!IsValidContainerName(name))
    return call.Done(
        Status::InvalidArgument("Error when allocating new name: Invalid container "
                                "name (/" +
                                name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"));
  if (auto taken = containers_.find(name); taken != containers_.end())
    return call.Done(Status::Conflict(
        "Error when allocating new name: Conflict. The container name \"/" + name +
        "\" is already in use by container \"" + taken->second.live.id +
        "\". You have to remove (or rename) that container to be able to reuse that name."));
  FakeContainer moved = std::move(*c);
  containers_.erase(moved.live.name);
  moved.live.name = name;
  containers_[name] = std::move(moved);
  return call.Done(Status::Ok());
}

Status FakeProvider::UploadFile(const std::string& id, const std::string& path,
                                const std::string& content, int mode) {
  CallScope call(*this, "UploadFile", id,
                 {path, OctalMode(mode), std::to_string(content.size()) + " bytes"});
  if (auto f = InjectedFailure(call, "UploadFile", id)) return call.Done(*f);
  if (Status st = CheckAbsolutePath(path); !st.ok()) return call.Done(st.WithContext("upload"));
  MutexLock lock(mu_);
  FakeContainer* c = FindLocked(id);
  if (!c) return call.Done(Status::NotFound("No such container: " + id));
  c->files[path] = content;
  c->file_modes[path] = mode;
  c->file_mtimes[path] = TickLocked();
  return call.Done(Status::Ok());
}

Result<int> FakeProvider::Exec(const std::string& id, const std::vector<std::string>& argv,
                               std::chrono::milliseconds timeout) {
  CallScope call(*this, "Exec", id, {Join(argv, " "), std::to_string(timeout.count()) + "ms"});
  if (auto f = InjectedFailure(call, "Exec", id)) return call.Done(*f);
  if (argv.empty()) return call.Done(Status::InvalidArgument("exec: empty command"));
  ExecHandler handler;
  std::string name;
  {
    MutexLock lock(mu_);
    auto running = RunningNameLocked(id);
    if (!running.ok()) return call.Done(running.status());
    handler = exec_handler_;
    name = *running;
  }
  // The handler runs unlocked: it may be slow, or call back into this provider.
  if (!handler) return call.Done(Result<int>(0));
  return call.Done(handler(name, argv));
}

/// An attached exec of a FakeProvider, played from its FakeExecScript (see FakeExecScript for
/// what the process does). Its output waits in a queue that ReadOutput drains.
class FakeExecSession final : public ExecSession {
 public:
  FakeExecSession(FakeProvider& provider, std::size_t record, const FakeExecScript& script,
                  bool tty, std::function<bool()> interrupted)
      : provider_(provider),
        record_(record),
        tty_(tty),
        echo_input_(script.echo_input),
        outcome_{script.exit_code, script.started},
        interrupted_(std::move(interrupted)) {
    MutexLock lock(mu_);
    // With a TTY the process has one output, the terminal.
    if (!script.out.empty()) pending_.emplace_back(OutputStream::kStdout, script.out);
    if (!script.err.empty())
      pending_.emplace_back(tty ? OutputStream::kStdout : OutputStream::kStderr, script.err);
    exited_ = !echo_input_;
  }

  Result<bool> ReadOutput(const OutputSink& sink) override {
    std::pair<OutputStream, std::string> next;
    {
      MutexLock lock(mu_);
      while (pending_.empty() && !exited_) {
        if (interrupted_ && interrupted_()) return Status::Cancelled("fake exec: interrupted");
        lock.WaitFor(cv_, std::chrono::milliseconds(1),
                     [&]() REQUIRES(mu_) { return !pending_.empty() || exited_; });
      }
      if (pending_.empty()) {
        output_ended_ = true;
        return false;
      }
      next = std::move(pending_.front());
      pending_.pop_front();
    }
    if (Status st = sink(next.first, next.second); !st.ok()) return st;
    return true;
  }

  Status WriteInput(std::string_view bytes) override {
    {
      MutexLock lock(provider_.mu_);
      if (provider_.exec_sessions_[record_].input_closed)
        return Status::Unavailable("fake exec: input written after it was closed");
      provider_.exec_sessions_[record_].input.append(bytes);
    }
    MutexLock lock(mu_);
    if (!echo_input_ || exited_) return Status::Ok();  // the pipe takes it; nobody reads it
    // In a tty session a ^D ends the input of a process reading it (the terminal's EOF).
    const std::size_t eof = tty_ ? bytes.find('\x04') : std::string_view::npos;
    if (eof > 0) pending_.emplace_back(OutputStream::kStdout, std::string(bytes.substr(0, eof)));
    if (eof != std::string_view::npos) exited_ = true;
    cv_.notify_all();
    return Status::Ok();
  }

  Status CloseInput() override {
    if (tty_) return Status::InvalidArgument("fake exec: a TTY session's input cannot be ended");
    {
      MutexLock lock(provider_.mu_);
      provider_.exec_sessions_[record_].input_closed = true;
    }
    MutexLock lock(mu_);
    exited_ = true;
    cv_.notify_all();
    return Status::Ok();
  }

  Status Resize(TerminalSize size) override {
    if (!tty_) return Status::InvalidArgument("fake exec: no TTY to resize");
    if (size.rows <= 0 || size.columns <= 0)
      return Status::InvalidArgument("fake exec: bad terminal size");
    MutexLock lock(provider_.mu_);
    provider_.exec_sessions_[record_].resizes.push_back(size);
    return Status::Ok();
  }

  Result<ExecOutcome> Finish() override {
    MutexLock lock(mu_);
    if (!output_ended_) return Status::Internal("fake exec: Finish before the output ended");
    return outcome_;
  }

 private:
  FakeProvider& provider_;
  const std::size_t record_;  // index in provider_.exec_sessions_
  const bool tty_;
  const bool echo_input_;
  const ExecOutcome outcome_;
  const std::function<bool()> interrupted_;
  Mutex mu_;
  std::condition_variable cv_;  // notified when output is queued or the process exits
  std::deque<std::pair<OutputStream, std::string>> pending_ GUARDED_BY(mu_);
  bool exited_ GUARDED_BY(mu_) = false;        // no more output will come
  bool output_ended_ GUARDED_BY(mu_) = false;  // ReadOutput returned false
};

Status FakeProvider::StreamLogs(const std::string& id, const LogsRequest& request,
                                const OutputSink& sink) {
  CallScope call(*this, "StreamLogs", id,
                 {request.tail ? "tail=" + std::to_string(*request.tail) : "tail=all",
                  request.follow ? "follow" : "", request.timestamps ? "timestamps" : ""});
  if (auto f = InjectedFailure(call, "StreamLogs", id)) return call.Done(*f);
  std::size_t next = 0;
  {
    MutexLock lock(mu_);
    const FakeContainer* c = FindLocked(id);
    if (!c) return call.Done(Status::NotFound("No such container: " + id));
    if (request.tail && *request.tail < c->log.size()) next = c->log.size() - *request.tail;
  }
  for (;;) {
    std::vector<FakeLogLine> lines;
    bool running = false;
    {
      MutexLock lock(mu_);
      const FakeContainer* c = FindLocked(id);
      if (!c) return call.Done(Status::Ok());  // removed while followed: the stream ends
      lines.assign(c->log.begin() + static_cast<std::ptrdiff_t>(next), c->log.end());
      next = c->log.size();
      running = c->live.running();
    }
    // The sink runs unlocked: it may be slow, or call back into this provider.
    for (const FakeLogLine& line : lines)
      if (Status st =
              sink(line.stream, request.timestamps ? line.time + " " + line.text : line.text);
          !st.ok())
        return call.Done(st);
    if (!request.follow || !running) return call.Done(Status::Ok());
    if (request.interrupted && request.interrupted())
      return call.Done(Status::Cancelled("fake logs: interrupted"));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

Result<std::unique_ptr<ExecSession>> FakeProvider::StartExec(const std::string& id,
                                                             const ExecRequest& request) {
  CallScope call(*this, "StartExec", id, {Join(request.argv, " "), request.tty ? "tty" : "no tty"});
  if (auto f = InjectedFailure(call, "StartExec", id)) return call.Done(*f);
  if (request.argv.empty()) return call.Done(Status::InvalidArgument("exec: empty command"));
  SessionHandler session_handler;
  ExecHandler exec_handler;
  std::string name;
  {
    MutexLock lock(mu_);
    auto running = RunningNameLocked(id);
    if (!running.ok()) return call.Done(running.status());
    session_handler = session_handler_;
    exec_handler = exec_handler_;
    name = *running;
  }
  // The handlers run unlocked, as Exec's does.
  FakeExecScript script;
  if (session_handler) {
    auto got = session_handler(name, request);
    if (!got.ok()) return call.Done(got.status());
    script = std::move(*got);
  } else if (exec_handler) {
    auto code = exec_handler(name, request.argv);
    if (!code.ok()) return call.Done(code.status());
    script.exit_code = *code;
  }
  std::size_t record = 0;
  {
    MutexLock lock(mu_);
    record = exec_sessions_.size();
    exec_sessions_.push_back(FakeExecRecord{name, request, "", false, {}});
    if (request.tty && request.size) exec_sessions_.back().resizes.push_back(*request.size);
  }
  return call.Done(Result<std::unique_ptr<ExecSession>>(
      std::make_unique<FakeExecSession>(*this, record, script, request.tty, request.interrupted)));
}

void FakeProvider::SetSessionHandler(SessionHandler handler) {
  MutexLock lock(mu_);
  session_handler_ = std::move(handler);
}

std::vector<FakeExecRecord> FakeProvider::ExecSessions() const {
  MutexLock lock(mu_);
  return exec_sessions_;
}

bool FakeProvider::AppendLog(const std::string& name, OutputStream stream,
                             const std::string& text) {
  MutexLock lock(mu_);
  auto it = containers_.find(name);
  if (it == containers_.end()) return false;
  it->second.log.push_back(FakeLogLine{stream, text, NowLocked()});
  return true;
}

Result<bool> FakeProvider::HasImage(const std::string& ref) {
  CallScope call(*this, "HasImage", ref, {}, CallScope::Target::kOther);
  if (auto f = InjectedFailure(call, "HasImage", ref)) return call.Done(*f);
  MutexLock lock(mu_);
  return call.Done(Result<bool>(!ImageOfLocked(ref).empty()));
}

Status FakeProvider::PullImage(const std::string& ref) {
  CallScope call(*this, "PullImage", ref, {}, CallScope::Target::kOther);
  if (auto f = InjectedFailure(call, "PullImage", ref)) return call.Done(*f);
  if (auto refused = LoginFailure(host_ + ": pull " + ref, ref)) return call.Done(*refused);
  MutexLock lock(mu_);
  if (registry_missing_.count(ref) != 0)
    return call.Done(Status::NotFound(host_ + ": pull " + ref + ": manifest for " + ref +
                                      " not found: manifest unknown: manifest unknown"));
  images_.insert(ref);
  return call.Done(Status::Ok());
}

Result<std::string> FakeProvider::ResolveImageDigest(const std::string& ref) {
  CallScope call(*this, "ResolveImageDigest", ref, {}, CallScope::Target::kOther);
  if (auto f = InjectedFailure(call, "ResolveImageDigest", ref)) return call.Done(*f);
  if (auto refused = LoginFailure(host_ + ": resolve " + ref + " at its registry", ref))
    return call.Done(*refused);
  MutexLock lock(mu_);
  if (registry_unreachable_)
    return call.Done(Status::Unavailable("registry unreachable resolving " + ref));
  if (registry_missing_.count(ref) != 0)
    return call.Done(Status::NotFound(host_ + ": resolve " + ref +
                                      " at its registry: manifest unknown: manifest unknown "
                                      "(HTTP 404)"));
  auto it = registry_digests_.find(ref);
  if (it == registry_digests_.end()) return call.Done(Status::NotFound("manifest unknown: " + ref));
  return call.Done(Result<std::string>(it->second));
}

Result<std::vector<std::string>> FakeProvider::LocalImageDigests(const std::string& ref) {
  CallScope call(*this, "LocalImageDigests", ref, {}, CallScope::Target::kOther);
  if (auto f = InjectedFailure(call, "LocalImageDigests", ref)) return call.Done(*f);
  MutexLock lock(mu_);
  auto it = local_digests_.find(ref);
  if (it == local_digests_.end()) it = local_digests_.find(ImageOfLocked(ref));
  std::vector<std::string> digests;
  if (it != local_digests_.end()) digests = it->second;
  return call.Done(Result<std::vector<std::string>>(std::move(digests)));
}

// ---------------------------------------------------------------------------------------------
// FakeProviderFactory

namespace {

// What Open hands out: the factory keeps the FakeProvider so tests can inspect it after
// the caller has dropped its handle.
class FakeProviderHandle : public Provider {
 public:
  explicit FakeProviderHandle(FakeProvider& fake) : fake_(fake) {}
  const std::string& host() const override { return fake_.host(); }
  Result<std::vector<LiveContainer>> ListContainers(
      const std::string& project, const std::vector<std::string>& names) override {
    return fake_.ListContainers(project, names);
  }
  Result<LiveContainer> InspectContainer(const std::string& id_or_name) override {
    return fake_.InspectContainer(id_or_name);
  }
  Result<std::optional<std::string>> StatFile(const std::string& id,
                                              const std::string& path) override {
    return fake_.StatFile(id, path);
  }
  Result<std::optional<std::string>> ReadFile(const std::string& id,
                                              const std::string& path) override {
    return fake_.ReadFile(id, path);
  }
  Result<std::string> CreateContainer(const CreateContainerRequest& req) override {
    return fake_.CreateContainer(req);
  }
  Status StartContainer(const std::string& id) override { return fake_.StartContainer(id); }
  Status StopContainer(const std::string& id, std::chrono::seconds grace) override {
    return fake_.StopContainer(id, grace);
  }
  Status RestartContainer(const std::string& id, std::chrono::seconds grace) override {
    return fake_.RestartContainer(id, grace);
  }
  Status RemoveContainer(const std::string& id) override { return fake_.RemoveContainer(id); }
  Status RenameContainer(const std::string& id, const std::string& new_name) override {
    return fake_.RenameContainer(id, new_name);
  }
  Status UploadFile(const std::string& id, const std::string& path, const std::string& content,
                    int mode) override {
    return fake_.UploadFile(id, path, content, mode);
  }
  Result<int> Exec(const std::string& id, const std::vector<std::string>& argv,
                   std::chrono::milliseconds timeout) override {
    return fake_.Exec(id, argv, timeout);
  }
  Status StreamLogs(const std::string& id, const LogsRequest& request,
                    const OutputSink& sink) override {
    return fake_.StreamLogs(id, request, sink);
  }
  Result<std::unique_ptr<ExecSession>> StartExec(const std::string& id,
                                                 const ExecRequest& request) override {
    return fake_.StartExec(id, request);
  }
  Result<bool> HasImage(const std::string& ref) override { return fake_.HasImage(ref); }
  Status PullImage(const std::string& ref) override { return fake_.PullImage(ref); }
  Result<std::string> ResolveImageDigest(const std::string& ref) override {
    return fake_.ResolveImageDigest(ref);
  }
  Result<std::vector<std::string>> LocalImageDigests(const std::string& ref) override {
    return fake_.LocalImageDigests(ref);
  }

 private:
  FakeProvider& fake_;
};

}  // namespace

FakeProviderFactory::FakeProviderFactory() : log_(std::make_shared<FakeCallLog>()) {}

FakeProvider& FakeProviderFactory::Host(const std::string& key) {
  MutexLock lock(mu_);
  auto& slot = hosts_[key];
  if (!slot) slot = std::make_unique<FakeProvider>(key, log_);
  return *slot;
}

void FakeProviderFactory::SetUnreachable(const std::string& key, const std::string& message) {
  MutexLock lock(mu_);
  unreachable_[key] = message;
}

void FakeProviderFactory::SetReachable(const std::string& key) {
  MutexLock lock(mu_);
  unreachable_.erase(key);
}

int FakeProviderFactory::OpenCount(const std::string& key) const {
  MutexLock lock(mu_);
  auto it = opens_.find(key);
  return it == opens_.end() ? 0 : it->second;
}

Result<std::unique_ptr<Provider>> FakeProviderFactory::Open(const HostConnection& host,
                                                            const ConnectOptions& options) {
  {
    MutexLock lock(mu_);
    ++opens_[host.key];
    if (auto it = unreachable_.find(host.key); it != unreachable_.end())
      return Status::Unavailable(host.key + ": " + it->second);
  }
  FakeProvider& fake = Host(host.key);
  if (options.registry_auth) fake.SetRegistryAuth(options.registry_auth);
  return std::unique_ptr<Provider>(std::make_unique<FakeProviderHandle>(fake));
}

}  // namespace jlrec
