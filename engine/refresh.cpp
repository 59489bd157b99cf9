#include "engine/refresh.h"

#include <atomic>
#include <condition_variable>
#include <ctime>
#include <set>
#include <thread>

#include "engine/fenced_provider.h"
#include "engine/script_env.h"
#include "model/digest.h"

namespace jlrec {

namespace {

double MillisBetween(std::chrono::steady_clock::time_point from,
                     std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

HostSnapshot Unreachable(const std::string& host, const std::string& error) {
  HostSnapshot s;
  s.host = host;
  s.reachable = false;
  s.error = error;
  s.observed_at = std::time(nullptr);
  return s;
}

// Records `image` as missing when its registry said it does not exist (`not_found`) and the
// host has no copy either (a local-only image is fine: apply never pulls what is there).
// An unanswered HasImage records nothing: only a sure "nowhere" makes a plan fail.
void NoteIfNowhere(Provider& provider, const std::string& image, const Status& not_found,
                   HostSnapshot& snap) {
  auto present = provider.HasImage(image);
  if (present.ok() && !*present) snap.missing_images[image] = not_found.message();
}

}  // namespace

void NoteMissingImages(Provider& provider, const std::set<std::string>& images,
                       HostSnapshot& snapshot) {
  for (const auto& image : images) {
    auto present = provider.HasImage(image);
    if (!present.ok() || *present) continue;
    auto digest = provider.ResolveImageDigest(image);
    if (!digest.ok() && digest.status().code() == Status::Code::kNotFound)
      snapshot.missing_images[image] = digest.status().message();
  }
}

KnownContainers::KnownContainers(std::vector<HostSnapshot> cached) : snapshots(std::move(cached)) {
  for (const HostSnapshot& h : snapshots) {
    // What an unreachable host last showed is not vouched for by any later event log.
    if (!h.reachable || h.observed_at <= 0) continue;
    observed_at[h.host] = h.observed_at;
    auto& known = by_host[h.host];
    for (const LiveContainer& c : h.containers) known.emplace(c.id, &c);
  }
}

Result<std::string> RegistryDigestMemo::Resolve(const std::string& image, Provider& provider) {
  {
    MutexLock lock(mu_);
    // Until another host's answer is shared, or nobody is asking any more (its request
    // failed in a way that is not shared): then this host asks.
    lock.Wait(cv_, [&]() REQUIRES(mu_) {
      const Entry& entry = entries_[image];
      return entry.answer.has_value() || !entry.asking;
    });
    Entry& entry = entries_[image];
    if (entry.answer) return *entry.answer;
    entry.asking = true;
  }
  Result<std::string> answer = provider.ResolveImageDigest(image);
  {
    MutexLock lock(mu_);
    Entry& entry = entries_[image];
    entry.asking = false;
    if (answer.ok() || answer.status().code() == Status::Code::kNotFound) entry.answer = answer;
  }
  cv_.notify_all();
  return answer;
}

namespace {

// What a host's registry checks found, gathered apart from the snapshot while the containers
// are read.
struct ImageChecks {
  std::map<std::string, std::string> registry_digests;
  std::map<std::string, std::string> image_check_errors;
  std::map<std::string, std::string> missing_images;
};

// Asks the registry for each wanted tag (through `digests` when shared) and whether each
// pinned image exists somewhere.
ImageChecks CheckImages(Provider& provider, const std::set<std::string>& images,
                        const std::set<std::string>& pinned_images, RegistryDigestMemo* digests) {
  ImageChecks out;
  HostSnapshot missing;
  for (const auto& image : images) {
    auto digest = digests ? digests->Resolve(image, provider) : provider.ResolveImageDigest(image);
    if (digest.ok()) {
      out.registry_digests[image] = *digest;
    } else {
      out.registry_digests[image] = "";
      out.image_check_errors[image] = digest.status().message();
      if (digest.status().code() == Status::Code::kNotFound)
        NoteIfNowhere(provider, image, digest.status(), missing);
    }
  }
  // A digest cannot move; it only has to exist somewhere apply can take it from.
  NoteMissingImages(provider, pinned_images, missing);
  out.missing_images = std::move(missing.missing_images);
  return out;
}

}  // namespace

HostSnapshot RefreshHost(const DesiredState& desired, Provider& unfenced, bool check_image_digests,
                         const std::string& script_key, const KnownScripts* known_scripts,
                         const std::vector<std::string>* extra_names,
                         const KnownContainers* known_containers, RegistryDigestMemo* digests) {
  const std::string& host = unfenced.host();
  // One request without an answer settles it: the host is unreachable, and the reads still to
  // come (a stat per container, a digest check per image) fail at once instead of each
  // waiting out the same timeout.
  auto fence = std::make_shared<HostFence>();
  FencedProvider provider(unfenced, fence);
  ContainerReadRequest read;
  read.project = desired.project;
  read.stat_path = "/run.sh";
  std::set<std::string> images;         // wanted tags: their registry digest is asked
  std::set<std::string> pinned_images;  // wanted digest references: only their existence
  std::map<std::string, const std::string*> wanted_script;  // name -> desired digest
  for (const auto& c : desired.containers) {
    if (c.host != host) continue;
    read.names.push_back(c.name);
    wanted_script[c.name] = &c.script_digest;
    (c.spec.image.find('@') == std::string::npos ? images : pinned_images).insert(c.spec.image);
  }
  if (extra_names)
    for (const auto& name : *extra_names)
      if (!wanted_script.count(name)) read.names.push_back(name);
  if (known_containers)
    if (auto seen = known_containers->observed_at.find(host);
        seen != known_containers->observed_at.end()) {
      read.known = &known_containers->by_host.at(host);
      read.known_since = seen->second;
    }

  // The registry checks need nothing the host's containers say: they run beside the reads
  // (on a connection of their own), so they cost the host no round trip of its own.
  std::optional<ImageChecks> checks;
  std::thread checking;
  if (check_image_digests)
    checking = std::thread([&] { checks = CheckImages(provider, images, pinned_images, digests); });
  // The observation's time is when the read began: the next refresh asks the daemon's event
  // log from then on, so nothing that happened during this read falls between the two.
  const std::int64_t read_started = std::time(nullptr);
  auto read_containers = provider.ReadContainers(read);
  if (checking.joinable()) checking.join();
  // The first request that went unanswered says why, whichever of the two hit it.
  if (std::optional<Status> first = fence->TrippedBy(host))
    return Unreachable(host, first->message());
  if (!read_containers.ok()) return Unreachable(host, read_containers.status().message());

  HostSnapshot snap;
  snap.host = host;
  snap.reachable = true;
  snap.observed_at = read_started;
  HostTraffic counted;
  std::set<std::string> image_ids;
  for (ContainerReading& reading : *read_containers) {
    LiveContainer& c = reading.container;
    (reading.inspected ? counted.inspected : counted.reused) += 1;
    image_ids.insert(c.image_id);  // an unlabelled one may be adopted: its digest matters too
    std::optional<std::string>& stat = reading.stat;
    if (!stat.has_value()) {  // no /run.sh: script_digest stays unset
      snap.containers.push_back(std::move(c));
      continue;
    }
    bool vouched = false;
    if (known_scripts && !stat->empty()) {
      auto known = known_scripts->find(c.id);
      auto wanted = wanted_script.find(c.name);
      if (known != known_scripts->end() && known->second.stat == *stat &&
          wanted != wanted_script.end() && known->second.digest == *wanted->second) {
        c.script_digest = known->second.digest;
        c.script_stat = *stat;
        vouched = true;
      }
    }
    if (!vouched) {
      auto script = provider.ReadFile(c.id, "/run.sh");
      if (!script.ok())
        return Unreachable(host, "reading /run.sh of " + c.name + ": " + script.status().message());
      if (script->has_value()) {
        c.script_digest = ScriptDigest(script_key, **script);
        c.script_env = ParseExportBlock(**script);
        // A script the manifest would rewrite: the plan shows how it differs.
        if (auto wanted = wanted_script.find(c.name);
            wanted != wanted_script.end() && *wanted->second != *c.script_digest)
          c.script_content = std::move(**script);
        // Stat before read: a rewrite in between leaves an older key, so the next refresh
        // reads again rather than trusting a digest the key does not vouch for.
        c.script_stat = *stat;
      }
    }
    snap.containers.push_back(std::move(c));
  }
  if (checks) {
    snap.registry_digests = std::move(checks->registry_digests);
    snap.image_check_errors = std::move(checks->image_check_errors);
    snap.missing_images = std::move(checks->missing_images);
    if (!snap.registry_digests.empty()) {
      for (const auto& id : image_ids) {
        auto rd = provider.LocalImageDigests(id);
        if (rd.ok()) snap.image_repo_digests[id] = *rd;
      }
    }
  }
  // The image checks note their failures and go on; a host that stopped answering meanwhile
  // is not "reachable with a few failed checks".
  if (std::optional<Status> first = fence->TrippedBy(host))
    return Unreachable(host, first->message());
  snap.traffic = counted;
  return snap;
}

std::vector<HostSnapshot> RefreshOpenHosts(const DesiredState& desired,
                                           const std::map<std::string, Provider*>& providers,
                                           int parallelism, const std::string& script_key,
                                           const KnownScripts* known_scripts,
                                           const KnownContainers* known_containers) {
  std::vector<Provider*> list;
  for (const auto& [host, p] : providers)
    if (p) list.push_back(p);
  std::vector<HostSnapshot> out(list.size());
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  size_t workers = std::min<size_t>(list.size(), std::max(1, parallelism));
  for (size_t w = 0; w < workers; ++w)
    pool.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < list.size();)
        out[i] = RefreshHost(desired, *list[i], /*check_image_digests=*/false, script_key,
                             known_scripts, nullptr, known_containers);
    });
  for (auto& t : pool) t.join();
  return out;
}

RefreshWorkers::RefreshWorkers(std::vector<std::thread> threads, std::shared_ptr<Count> count)
    : threads_(std::move(threads)), count_(std::move(count)) {}

bool RefreshWorkers::JoinUntil(std::chrono::steady_clock::time_point deadline) {
  {
    MutexLock lock(count_->mu);
    if (!lock.WaitUntil(count_->cv, deadline,
                        [&]() REQUIRES(count_->mu) { return count_->running == 0; }))
      return false;
  }
  for (std::thread& t : threads_)
    if (t.joinable()) t.join();
  return true;
}

RefreshWorkers::~RefreshWorkers() {
  // Workers that handled every host leave at once; only one stuck on a hung host waits out
  // this grace.
  if (JoinUntil(std::chrono::steady_clock::now() + std::chrono::seconds(2))) return;
  for (std::thread& t : threads_)
    if (t.joinable()) t.detach();
}

RefreshOutcome RefreshHosts(const DesiredState& desired, const std::vector<std::string>& hosts,
                            std::shared_ptr<ProviderFactory> factory,
                            const RefreshOptions& options) {
  // Shared with the workers; a worker stuck past the deadline may outlive this call, so it
  // owns a reference and the call never waits for it.
  struct Shared {
    explicit Shared(size_t n) : snapshots(n), providers(n), done(n, false) {}
    Mutex mu;
    std::condition_variable cv;
    std::vector<HostSnapshot> snapshots GUARDED_BY(mu);
    std::vector<std::shared_ptr<Provider>> providers GUARDED_BY(mu);
    std::vector<bool> done GUARDED_BY(mu);
    size_t finished GUARDED_BY(mu) = 0;
    std::atomic<size_t> next{0};  // the next host to take; no lock
  };
  auto shared = std::make_shared<Shared>(hosts.size());

  // Workers get their own copy of what they read, for the same reason.
  auto model = std::make_shared<const DesiredState>(desired);
  auto digests = std::make_shared<RegistryDigestMemo>();
  const size_t workers = std::min<size_t>(hosts.size(), std::max(1, options.parallelism));
  auto count = std::make_shared<RefreshWorkers::Count>(workers);
  auto work = [shared, hosts, model, factory, options, count, digests]() {
    const DesiredState& desired = *model;
    for (;;) {
      size_t i = shared->next.fetch_add(1);
      if (i >= hosts.size()) {
        MutexLock lock(count->mu);
        --count->running;
        count->cv.notify_all();
        return;
      }
      HostSnapshot snap;
      std::shared_ptr<Provider> provider;
      if (std::chrono::steady_clock::now() >= options.deadline) {
        snap = Unreachable(hosts[i], "not contacted: the global timeout expired");
      } else {
        auto it = desired.hosts.find(hosts[i]);
        if (it == desired.hosts.end()) {
          snap = Unreachable(hosts[i], "no connection settings for this host");
        } else {
          // A host's connect and requests never outlast the global deadline: every worker
          // has returned shortly after it, so the process can wait for them before exiting.
          ConnectOptions connect = options.connect;
          if (options.deadline != std::chrono::steady_clock::time_point::max()) {
            const auto left = std::max(std::chrono::milliseconds(1),
                                       std::chrono::duration_cast<std::chrono::milliseconds>(
                                           options.deadline - std::chrono::steady_clock::now()));
            connect.connect_timeout = std::min(connect.connect_timeout, left);
            connect.request_timeout = std::min(connect.request_timeout, left);
          }
          const auto connecting = std::chrono::steady_clock::now();
          auto opened = factory->Open(it->second, connect);
          const auto connected = std::chrono::steady_clock::now();
          if (!opened.ok()) {
            snap = Unreachable(hosts[i], opened.status().message());
          } else {
            provider = std::shared_ptr<Provider>(std::move(*opened));
            const std::vector<std::string>* extra = nullptr;
            if (options.adopted_names)
              if (auto names = options.adopted_names->find(hosts[i]);
                  names != options.adopted_names->end())
                extra = &names->second;
            snap = RefreshHost(desired, *provider, options.check_image_digests, options.script_key,
                               options.known_scripts.get(), extra, options.known_containers.get(),
                               digests.get());
            if (snap.traffic) {
              const ProviderTraffic sent = provider->TrafficSince(connected);
              snap.traffic->connect_ms = MillisBetween(connecting, connected);
              snap.traffic->requests_ms =
                  MillisBetween(connected, std::chrono::steady_clock::now());
              snap.traffic->requests = sent.requests;
              snap.traffic->streams_opened = sent.streams_opened;
              snap.traffic->sequential_round_trips = sent.sequential_round_trips;
            }
            if (!snap.reachable) provider.reset();
          }
        }
      }
      MutexLock lock(shared->mu);
      shared->snapshots[i] = std::move(snap);
      shared->providers[i] = std::move(provider);
      shared->done[i] = true;
      ++shared->finished;
      shared->cv.notify_all();
    }
  };

  std::vector<std::thread> threads;
  for (size_t w = 0; w < workers; ++w) threads.emplace_back(work);

  RefreshOutcome out;
  out.workers = std::make_shared<RefreshWorkers>(std::move(threads), count);
  MutexLock lock(shared->mu);
  // Timed out or not, each host is then read as it stands: a pending one is reported so.
  (void)lock.WaitUntil(shared->cv, options.deadline,
                       [&]() REQUIRES(shared->mu) { return shared->finished == hosts.size(); });
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (!shared->done[i]) {
      out.result.hosts.push_back(
          Unreachable(hosts[i], "timed out: still pending when the global timeout expired"));
      continue;
    }
    out.result.hosts.push_back(shared->snapshots[i]);
    if (shared->providers[i]) out.providers[hosts[i]] = shared->providers[i];
  }
  return out;
}

}  // namespace jlrec
