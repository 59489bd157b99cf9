#include "providers/docker_provider.h"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "model/registry_host.h"
#include "model/rfc3339.h"
#include "providers/docker_exec_session.h"
#include "providers/tar_archive.h"
#include "providers/url_encoding.h"

namespace jlrec {

namespace {

using nlohmann::json;
using Query = std::vector<std::pair<std::string, std::string>>;

// The largest answers accepted, by kind of call: far above what a sane daemon sends, far
// below what would exhaust memory. (Other calls keep the client's default of 1 MiB.)
constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr std::uint64_t kListBodyBytes = 64 * kMiB;     // GET /containers/json: ~2 KiB each
constexpr std::uint64_t kInspectBodyBytes = 16 * kMiB;  // one container, image or exec
constexpr std::uint64_t kArchiveBodyBytes = 64 * kMiB;  // a file read from a container
constexpr std::uint64_t kPullBodyBytes = 256 * kMiB;    // a pull's progress stream
// A pull progress line longer than this is no progress line Docker writes: dropped.
constexpr std::size_t kLongestPullLine = 1024 * 1024;

// What jlrec reads of a GET /containers/json entry (see ListedContainer).
const JsonSelection& ListEntrySelection() {
  static const JsonSelection kSelection = {{"Id", {}},    {"State", {}},   {"Status", {}},
                                           {"Names", {}}, {"ImageID", {}}, {"Labels", {}}};
  return kSelection;
}

// A container id or name as one path segment.
std::string Segment(const std::string& id) { return PercentEncode(id); }
// An image reference ("registry:5000/repo/name:tag", "name@sha256:...") in a path: Docker
// routes /images/{name:.*}/json, so its slashes, colons and at-signs stay literal.
std::string ImagePath(const std::string& ref) { return PercentEncode(ref, "/:@"); }

// Go regexp (RE2) syntax for exactly `name`, as Docker's name filter matches "/name".
std::string ExactNameRegex(const std::string& name) {
  std::string out = "^/";
  for (char c : name) {
    if (std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  out += '$';
  return out;
}

Status CheckAbsolutePath(const std::string& path) {
  if (path.empty() || path.front() != '/' || path.back() == '/' ||
      path.find('\0') != std::string::npos)
    return Status::InvalidArgument("path '" + path + "' must be an absolute file path");
  return Status::Ok();
}

std::string Dirname(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// Splits a reference into what POST /images/create takes: fromImage and tag (a tag or a
// digest). An empty tag would pull every tag of the repository, so "latest" is explicit.
std::pair<std::string, std::string> SplitImageReference(const std::string& ref) {
  if (auto at = ref.find('@'); at != std::string::npos)
    return {ref.substr(0, at), ref.substr(at + 1)};
  auto slash = ref.rfind('/');
  auto colon = ref.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
    return {ref.substr(0, colon), ref.substr(colon + 1)};
  return {ref, "latest"};
}

// RepoDigests of a GET /images/{id}/json answer (null or absent: none); throws
// json::exception on another shape, like the callers' other reads of that answer.
std::vector<std::string> RepoDigestsOf(const json& image) {
  auto it = image.find("RepoDigests");
  if (it == image.end() || it->is_null()) return {};
  return it->get<std::vector<std::string>>();
}

// The daemon keeps its last 256 events (moby daemon/events: eventsLimit); an answer that
// long may have lost older ones.
constexpr std::size_t kDaemonEventLog = 256;
// Slack before the time the known containers were read (when their read began). The window's
// start is already early (the host's clock is estimated early, times are floored to seconds);
// this covers a host clock stepped back since, by NTP.
constexpr std::int64_t kEventWindowSlackSeconds = 3;

// What the daemon logged in a time window, as far as inspects are concerned.
struct EventLog {
  std::set<std::string> touched;         // containers with an event that an inspect might show
  std::size_t events = kDaemonEventLog;  // in the answer (unreadable: as many as it keeps)
};

// Container events that change nothing an inspect reports (execs, file reads and copies,
// which the stat of /run.sh sees for itself, attaches, resizes, exports).
bool LeavesInspectAlone(const std::string& action) {
  static const std::set<std::string> kReads = {"archive-path", "extract-to-dir", "top",
                                               "attach",       "detach",         "resize",
                                               "export",       "commit",         "copy"};
  return action.rfind("exec_", 0) == 0 || kReads.count(action) != 0;
}

// GET /events answer: one JSON object per line.
EventLog ParseEventLog(const std::string& body) {
  EventLog log;
  std::size_t events = 0;
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    std::string_view line(body.data() + start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
    ++events;
    try {
      json e = json::parse(line);
      if (e.value("Type", std::string()) != "container") continue;
      std::string action = e.value("Action", e.value("status", std::string()));
      std::string id;
      if (auto actor = e.find("Actor"); actor != e.end() && actor->is_object())
        id = actor->value("ID", std::string());
      if (id.empty()) id = e.value("id", std::string());
      // An event about some container, but which one is not said: trust none.
      if (id.empty()) return EventLog{};
      if (LeavesInspectAlone(action)) continue;
      log.touched.insert(std::move(id));
    } catch (const json::exception&) {
      return EventLog{};  // unreadable: no reuse rather than a guess
    }
  }
  log.events = events;
  return log;
}

// The longest uptime Docker's humanized "Up ..." text (go-units HumanDuration) may stand
// for, in seconds; nullopt for a text it does not write. Only short uptimes are told
// precisely, which is all a recent restart needs.
std::optional<std::int64_t> LongestUptime(std::string_view text) {
  if (text == "Less than a second") return 1;
  if (text == "About a minute") return 120;
  if (text == "About an hour") return 2 * 3600;
  const std::size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::int64_t n = 0;
  for (char c : text.substr(0, space)) {
    if (c < '0' || c > '9' || n > 1000000) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  const std::string_view unit = text.substr(space + 1);
  if (unit == "second" || unit == "seconds") return n + 1;
  if (unit == "minutes") return (n + 1) * 60;
  if (unit == "hours") return (n + 1) * 3600;
  if (unit == "days") return (n + 1) * 86400;
  if (unit == "weeks") return (n + 1) * 7 * 86400;
  if (unit == "months") return (n + 1) * 31 * 86400;
  if (unit == "years") return (n + 1) * 366 * 86400;
  return std::nullopt;
}

// Whether a running container's list Status ("Up 3 hours (healthy)") agrees with how it was
// read before: the same health, and an uptime not shorter than since its known start (a
// restart since shows as a short uptime, also when the event log cannot say so yet).
bool StatusAgrees(const std::string& status, const LiveContainer& known,
                  std::optional<std::chrono::system_clock::time_point> host_now) {
  std::string_view text(status);
  if (text.rfind("Up ", 0) != 0) return false;
  text.remove_prefix(3);
  std::string_view health;
  if (auto open = text.find(" ("); open != std::string_view::npos) {
    health = text.substr(open + 2);
    text = text.substr(0, open);
    if (health.empty() || health.back() != ')') return false;
    health.remove_suffix(1);
  }
  const std::string wanted_health = known.health.empty()         ? ""
                                    : known.health == "starting" ? "health: starting"
                                                                 : known.health;
  if (health != wanted_health) return false;
  const std::optional<std::int64_t> longest = LongestUptime(text);
  const std::optional<std::int64_t> started = ParseRfc3339(known.started_at);
  if (!longest || !started || !host_now) return false;
  const std::int64_t now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(host_now->time_since_epoch()).count();
  // The host's clock is estimated up to about a second early: two seconds of tolerance.
  return (now_ns - *started) / 1000000000 <= *longest + 2;
}

}  // namespace

DockerProvider::DockerProvider(std::string host, std::unique_ptr<DockerApiClient> api,
                               std::shared_ptr<RegistryAuth> registry_auth)
    : host_(std::move(host)), api_(std::move(api)), registry_auth_(std::move(registry_auth)) {}

DockerProvider::~DockerProvider() = default;

Result<HttpResponse> DockerProvider::Call(DockerApiClient::Call call) {
  auto response = api_->Send(call);
  if (!response.ok()) return response.status();
  if (!response->success())
    return DockerErrorStatus(*response, host_ + ": " + call.method + " " + call.path);
  return response;
}

Result<json> DockerProvider::CallJson(DockerApiClient::Call call, const JsonSelection& keep) {
  const std::string what = host_ + ": " + call.method + " " + call.path;
  return SendForJson(*api_, std::move(call), keep, what);
}

DockerApiClient::Call DockerProvider::ListCall(const json& filters,
                                               std::vector<ListedContainer>* out,
                                               const std::string& only_host) {
  DockerApiClient::Call call;
  call.path = "/containers/json";
  call.query = {{"all", "1"}, {"filters", filters.dump()}};
  call.max_body_bytes = kListBodyBytes;
  // Each entry is read as soon as it is parsed: a list of thousands of containers is never
  // held as a whole, neither as text nor as a DOM.
  auto take_entry = [out, only_host](json& item) {
    try {
      ListedContainer listed;
      listed.id = item.at("Id").get<std::string>();
      if (auto it = item.find("State"); it != item.end() && it->is_string())
        listed.running = it->get<std::string>() == "running";
      if (auto it = item.find("Names"); it != item.end() && it->is_array())
        listed.names = it->get<std::vector<std::string>>();
      if (auto it = item.find("ImageID"); it != item.end() && it->is_string())
        listed.image_id = it->get<std::string>();
      if (auto it = item.find("Status"); it != item.end() && it->is_string())
        listed.status = it->get<std::string>();
      if (auto it = item.find("Labels"); it != item.end() && it->is_object())
        for (const auto& [key, value] : it->items()) {
          if (!value.is_string() || key.rfind(labels::kPrefix, 0) != 0) continue;
          if (key == labels::kHost) listed.host_label = value.get<std::string>();
          listed.jlrec_labels.emplace(key, value.get<std::string>());
        }
      if (only_host.empty() || listed.host_label.empty() || listed.host_label == only_host)
        out->push_back(std::move(listed));
      return Status::Ok();
    } catch (const json::exception& e) {
      return Status::RemoteError(std::string("unexpected container list JSON: ") + e.what());
    }
  };
  call.body_reader = [take_entry](HttpResponse&, std::istream& body) {
    return ParseSelectedJsonArray(body, ListEntrySelection(), take_entry);
  };
  return call;
}

Result<std::vector<DockerProvider::ListedContainer>> DockerProvider::ListIds(
    const json& filters, const std::string& only_host) {
  std::vector<ListedContainer> out;
  auto list = Call(ListCall(filters, &out, only_host));
  if (!list.ok()) return list.status();
  return out;
}

Result<std::map<std::string, DockerProvider::ListedContainer>> DockerProvider::SelectListed(
    std::vector<ListedContainer> labelled, const std::vector<std::string>& names) {
  std::map<std::string, ListedContainer> kept;
  std::set<std::string> found_names;  // "/name" of the labelled containers kept
  // Another host key on the same daemon owns those: not inspected, not orphans here.
  for (auto& listed : labelled)
    if (listed.host_label.empty() || listed.host_label == host_) {
      if (listed.running) found_names.insert(listed.names.begin(), listed.names.end());
      std::string id = listed.id;
      kept.emplace(std::move(id), std::move(listed));
    }
  // Names are unique on a daemon: when the labelled list already holds every wanted name,
  // running (the steady state), a name query could only return those same containers. A
  // missing or stopped one may be an interrupted replace of a container jlrec did not
  // manage, whose NAME.jlrec-prev carries no label: the name query looks for those too.
  bool all_found = std::all_of(names.begin(), names.end(), [&](const std::string& n) {
    return found_names.count("/" + n) != 0;
  });
  if (!names.empty() && !all_found) {
    // Docker's name filter is an unanchored regex; anchored and escaped it is exact, and
    // the names are checked again here so that no near-miss slips through.
    std::set<std::string> wanted;
    json patterns = json::array();
    for (const auto& name : names) {
      wanted.insert("/" + name);
      wanted.insert("/" + name + kPreviousSuffix);
      patterns.push_back(ExactNameRegex(name));
      patterns.push_back(ExactNameRegex(name + kPreviousSuffix));
    }
    auto named = ListIds(json{{"name", patterns}}, "");
    if (!named.ok()) return named.status();
    for (auto& listed : *named) {
      if (std::any_of(listed.names.begin(), listed.names.end(),
                      [&](const std::string& n) { return wanted.count(n) != 0; })) {
        std::string id = listed.id;
        kept.emplace(std::move(id), std::move(listed));
      }
    }
  }
  return kept;
}

Result<std::vector<LiveContainer>> DockerProvider::ListContainers(
    const std::string& project, const std::vector<std::string>& names) {
  std::vector<ListedContainer> labelled;
  if (!project.empty()) {
    auto listed = ListIds(json{{"label", {std::string(labels::kProject) + "=" + project}}}, host_);
    if (!listed.ok()) return listed.status();
    labelled = std::move(*listed);
  }
  auto kept = SelectListed(std::move(labelled), names);
  if (!kept.ok()) return kept.status();
  std::vector<LiveContainer> out;
  for (const auto& [id, listed] : *kept) {
    auto container = InspectContainer(id);
    // Removed between the list and the inspect: it is gone, which is what a later list
    // would say too.
    if (!container.ok() && container.status().code() == Status::Code::kNotFound) continue;
    if (!container.ok()) return container.status();
    out.push_back(std::move(*container));
  }
  std::sort(out.begin(), out.end(),
            [](const LiveContainer& a, const LiveContainer& b) { return a.name < b.name; });
  return out;
}

Status DockerProvider::NoteImageAnswer(const std::string& image_id,
                                       const Result<HttpResponse>& answer, const json& image) {
  if (!answer.ok()) return answer.status();
  std::optional<ImageDefaults> defaults;
  std::optional<std::vector<std::string>> repo_digests;
  if (answer->success()) {
    auto found = ImageDefaultsFromInspect(image);
    if (!found.ok()) return found.status().WithContext(host_ + ": image " + image_id);
    defaults = std::move(*found);
    try {
      repo_digests = RepoDigestsOf(image);
    } catch (const std::exception& e) {
      return Status::RemoteError(host_ + ": unexpected image inspect JSON: " + e.what());
    }
  } else if (answer->status != 404) {
    return DockerErrorStatus(*answer, host_ + ": GET /images/" + ImagePath(image_id) + "/json");
  }
  // A missing image (removed by force while containers still use it) has no defaults to
  // subtract; that is cached too, as image ids are content hashes.
  MutexLock lock(image_mu_);
  image_defaults_[image_id] = defaults;
  if (repo_digests) fresh_repo_digests_[image_id] = std::move(*repo_digests);
  return Status::Ok();
}

std::optional<std::optional<ImageDefaults>> DockerProvider::CachedDefaults(
    const std::string& image_id) {
  MutexLock lock(image_mu_);
  if (auto it = image_defaults_.find(image_id); it != image_defaults_.end()) return it->second;
  return std::nullopt;
}

namespace {

// GET /images/{id or reference}/json, parsed into `*out` (which must outlive the call).
DockerApiClient::Call ImageInspectCall(const std::string& image_id, json* out) {
  DockerApiClient::Call call;
  call.path = "/images/" + ImagePath(image_id) + "/json";
  call.max_body_bytes = kInspectBodyBytes;
  call.body_reader = JsonBodyInto(out, ImageInspectSelection());
  return call;
}

// HEAD /containers/{id}/archive?path=PATH: the stat of PATH in container `id`.
DockerApiClient::Call StatCall(const std::string& id, const std::string& path) {
  DockerApiClient::Call call;
  call.method = "HEAD";
  call.path = "/containers/" + Segment(id) + "/archive";
  call.query = {{"path", path}};
  return call;
}

}  // namespace

Result<std::optional<ImageDefaults>> DockerProvider::DefaultsOfImage(const std::string& image_id) {
  if (auto cached = CachedDefaults(image_id)) return *cached;
  json image;
  if (Status st = NoteImageAnswer(image_id, api_->Send(ImageInspectCall(image_id, &image)), image);
      !st.ok())
    return st;
  return CachedDefaults(image_id).value_or(std::nullopt);
}

Result<std::vector<ContainerReading>> DockerProvider::ReadContainers(
    const ContainerReadRequest& request) {
  if (!request.stat_path.empty())
    if (Status st = CheckAbsolutePath(request.stat_path); !st.ok()) return st;
  // Round one: the project's list and, for the known containers, what the daemon logged
  // since they were read. Pipelined: one round trip.
  std::vector<DockerApiClient::Call> first;
  std::vector<ListedContainer> labelled;
  const bool listing = !request.project.empty();
  if (listing)
    first.push_back(
        ListCall(json{{"label", {std::string(labels::kProject) + "=" + request.project}}},
                 &labelled, host_));
  // The window in the host's clock: the offset to it now stands for the offset then.
  const auto host_now = api_->HostClockNow();
  const bool asking_events =
      request.known && !request.known->empty() && request.known_since > 0 && host_now;
  if (asking_events) {
    const auto offset = std::chrono::duration_cast<std::chrono::seconds>(
        *host_now - std::chrono::system_clock::now());
    const std::int64_t until =
        std::chrono::floor<std::chrono::seconds>(host_now->time_since_epoch()).count();
    const std::int64_t since =
        std::min(until, request.known_since + offset.count() - kEventWindowSlackSeconds);
    DockerApiClient::Call events;
    events.path = "/events";
    events.query = {{"since", std::to_string(since)}, {"until", std::to_string(until)}};
    first.push_back(std::move(events));
  }
  // What round two would ask of the known containers, asked now: the stat of each running
  // one (by id, just after the list on the same connection) and each image they run that
  // this provider has not read yet. When nothing changed, which is the steady state, round
  // two is then empty and not sent; what changed (another id, another image) is asked for
  // there as before, and an answer for a container that is gone is dropped.
  std::map<std::string, std::size_t> early_stat_at;                 // container id -> in first
  std::vector<std::pair<std::string, std::size_t>> early_image_at;  // image id -> in first
  std::map<std::string, json> early_images;
  if (asking_events)
    for (const auto& [id, known] : *request.known) {
      if (known == nullptr || !known->running() || id.empty()) continue;
      if (!request.stat_path.empty() && !early_stat_at.count(id)) {
        early_stat_at[id] = first.size();
        first.push_back(StatCall(id, request.stat_path));
      }
      const std::string& image_id = known->image_id;
      if (image_id.empty() || early_images.count(image_id) || CachedDefaults(image_id)) continue;
      early_image_at.emplace_back(image_id, first.size());
      first.push_back(ImageInspectCall(image_id, &early_images[image_id]));
    }
  EventLog log;
  bool log_complete = false;  // the event log reaches back to the last read
  std::vector<Result<HttpResponse>> first_answers;
  if (!first.empty()) {
    first_answers = api_->SendPipelined(first);
    const auto& answers = first_answers;
    if (answers.size() != first.size())
      return Status::Internal(host_ + ": pipelined answers do not match the requests");
    std::size_t k = 0;
    if (listing) {
      const auto& list = answers[k++];
      if (!list.ok()) return list.status();
      if (!list->success()) return DockerErrorStatus(*list, host_ + ": GET /containers/json");
    }
    // An event log that cannot be read only costs the inspects it would have saved.
    if (asking_events) {
      const auto& events = answers[k++];
      if (events.ok() && events->success()) {
        log = ParseEventLog(events->body);
        // Events after the window's end (the host's clock is known to the second) are not in
        // the answer but may have pushed older ones out of the daemon's log. A window holding
        // a quarter of what the daemon keeps at most leaves room for 192 events in the last
        // second or two; a busier daemon gets every container inspected.
        log_complete = log.events < kDaemonEventLog / 4;
      }
    }
    // An image answer that cannot be used leaves the image to round two.
    for (const auto& [image_id, at] : early_image_at)
      if (answers[at].ok() && (answers[at]->success() || answers[at]->status == 404)) {
        Status noted = NoteImageAnswer(image_id, answers[at], early_images[image_id]);
        static_cast<void>(noted);  // not cached then: round two asks again and reports it
      }
  }
  auto kept = SelectListed(std::move(labelled), request.names);
  if (!kept.ok()) return kept.status();

  // A known container the daemon says nothing new about is taken as it was read.
  auto known_as_listed = [&](const ListedContainer& listed) -> const LiveContainer* {
    if (!log_complete || !listed.running || log.touched.count(listed.id)) return nullptr;
    auto it = request.known->find(listed.id);
    if (it == request.known->end() || it->second == nullptr) return nullptr;
    const LiveContainer& known = *it->second;
    if (!known.running() || known.image_id != listed.image_id ||
        known.jlrec_labels != listed.jlrec_labels ||
        listed.names != std::vector<std::string>{"/" + known.name} ||
        !StatusAgrees(listed.status, known, host_now))
      return nullptr;
    return &known;
  };

  // Round two, one pipelined batch: the inspects still needed, the images of every container
  // not seen yet (their defaults, and the repo digests the tag checks compare), every stat.
  struct Pending {
    const ListedContainer* listed = nullptr;
    const LiveContainer* known = nullptr;
    json inspect;
    std::optional<std::size_t> inspect_at, stat_at;
    const Result<HttpResponse>* early_stat = nullptr;  // the stat round one asked for
  };
  std::vector<Pending> pending;
  std::vector<DockerApiClient::Call> second;
  std::vector<std::pair<std::string, std::size_t>> image_at;  // image id -> index in second
  std::map<std::string, json> images;
  pending.reserve(kept->size());
  for (const auto& [id, listed] : *kept) {
    Pending p;
    p.listed = &listed;
    p.known = known_as_listed(listed);
    pending.push_back(std::move(p));
  }
  for (Pending& p : pending) {
    if (p.known) continue;
    DockerApiClient::Call call;
    call.path = "/containers/" + Segment(p.listed->id) + "/json";
    call.max_body_bytes = kInspectBodyBytes;
    call.body_reader = JsonBodyInto(&p.inspect, ContainerInspectSelection());
    p.inspect_at = second.size();
    second.push_back(std::move(call));
  }
  for (const Pending& p : pending) {
    const std::string& image_id = p.listed->image_id;
    if (image_id.empty() || images.count(image_id) || CachedDefaults(image_id)) continue;
    image_at.emplace_back(image_id, second.size());
    second.push_back(ImageInspectCall(image_id, &images[image_id]));
  }
  if (!request.stat_path.empty())
    for (Pending& p : pending) {
      if (auto early = early_stat_at.find(p.listed->id); early != early_stat_at.end()) {
        p.early_stat = &first_answers[early->second];
        continue;
      }
      p.stat_at = second.size();
      second.push_back(StatCall(p.listed->id, request.stat_path));
    }
  std::vector<Result<HttpResponse>> answers;
  if (!second.empty()) answers = api_->SendPipelined(second);
  if (answers.size() != second.size())
    return Status::Internal(host_ + ": pipelined answers do not match the requests");

  for (const auto& [image_id, at] : image_at)
    if (Status st = NoteImageAnswer(image_id, answers[at], images[image_id]); !st.ok()) return st;

  std::vector<ContainerReading> out;
  out.reserve(pending.size());
  for (Pending& p : pending) {
    const std::string& id = p.listed->id;
    ContainerReading reading;
    if (p.known) {
      reading.container = *p.known;
      reading.container.script_digest.reset();
      reading.container.script_stat.clear();
      reading.container.script_env.clear();
      reading.container.script_content.reset();
      reading.inspected = false;
    } else {
      const auto& answer = answers[*p.inspect_at];
      if (!answer.ok()) return answer.status();
      // Removed between the list and the inspect: gone, as a later list would say.
      if (answer->status == 404) continue;
      if (!answer->success())
        return DockerErrorStatus(*answer, host_ + ": GET /containers/" + id + "/json");
      std::optional<ImageDefaults> defaults;
      if (auto it = p.inspect.find("Image");
          it != p.inspect.end() && it->is_string() && !it->get<std::string>().empty()) {
        auto found = DefaultsOfImage(it->get<std::string>());  // cached by the batch
        if (!found.ok()) return found.status();
        defaults = std::move(*found);
      }
      auto container = LiveContainerFromInspect(p.inspect, defaults ? &*defaults : nullptr);
      if (!container.ok()) return container.status().WithContext(host_ + ": " + id);
      reading.container = std::move(*container);
    }
    if (p.stat_at || p.early_stat) {
      const auto& answer = p.early_stat ? *p.early_stat : answers[*p.stat_at];
      const std::string what = host_ + ": stat " + request.stat_path + " in " + id;
      if (!answer.ok())
        return answer.status().WithContext("reading " + request.stat_path + " of " +
                                           reading.container.name);
      if (answer->status == 404) {
        // No body tells a missing file from a missing container. One inspected in the batch
        // of its stat, just before, or after it in round two, existed around the stat (ids
        // are never reused); one taken as known is asked for.
        if (!p.inspect_at) {
          auto stat = StatFile(id, request.stat_path);
          if (!stat.ok() && stat.status().code() == Status::Code::kNotFound) continue;
          if (!stat.ok())
            return stat.status().WithContext("reading " + request.stat_path + " of " +
                                             reading.container.name);
          reading.stat = std::move(*stat);
        }
      } else {
        auto stat = StatFromAnswer(*answer, what);
        if (!stat.ok())
          return stat.status().WithContext("reading " + request.stat_path + " of " +
                                           reading.container.name);
        reading.stat = std::move(*stat);
      }
    }
    out.push_back(std::move(reading));
  }
  std::sort(out.begin(), out.end(), [](const ContainerReading& a, const ContainerReading& b) {
    return a.container.name < b.container.name;
  });
  return out;
}

ProviderTraffic DockerProvider::TrafficSince(std::chrono::steady_clock::time_point since) const {
  const DockerApiClient::Traffic t = api_->TrafficSince(since);
  ProviderTraffic out;
  out.requests = t.requests;
  out.streams_opened = t.streams_opened;
  out.sequential_round_trips = t.sequential_round_trips;
  out.waiting = t.waiting;
  return out;
}

Result<LiveContainer> DockerProvider::InspectContainer(const std::string& id_or_name) {
  if (id_or_name.empty()) return Status::InvalidArgument("empty container id");
  DockerApiClient::Call call;
  call.path = "/containers/" + Segment(id_or_name) + "/json";
  call.max_body_bytes = kInspectBodyBytes;
  auto inspect = CallJson(std::move(call), ContainerInspectSelection());
  if (!inspect.ok()) return inspect.status();
  std::optional<ImageDefaults> defaults;
  if (auto it = inspect->find("Image");
      it != inspect->end() && it->is_string() && !it->get<std::string>().empty()) {
    auto found = DefaultsOfImage(it->get<std::string>());
    if (!found.ok()) return found.status();
    defaults = std::move(*found);
  }
  auto container = LiveContainerFromInspect(*inspect, defaults ? &*defaults : nullptr);
  if (!container.ok()) return container.status().WithContext(host_ + ": " + id_or_name);
  return container;
}

Result<std::optional<std::string>> DockerProvider::ReadFile(const std::string& id,
                                                            const std::string& path) {
  if (Status st = CheckAbsolutePath(path); !st.ok()) return st;
  return ReadFileFollowingLinks(id, path, 0);
}

Result<std::optional<std::string>> DockerProvider::StatFile(const std::string& id,
                                                            const std::string& path) {
  if (Status st = CheckAbsolutePath(path); !st.ok()) return st;
  const std::string what = host_ + ": stat " + path + " in " + id;
  auto response = api_->Send(StatCall(id, path));
  if (!response.ok()) return response.status();
  if (response->status == 404) {
    // A HEAD answer has no body, so no message tells a missing container from a missing
    // file; ask for the container.
    auto container = InspectContainer(id);
    if (!container.ok()) return container.status();
    return std::optional<std::string>();
  }
  return StatFromAnswer(*response, what);
}

Result<std::optional<std::string>> DockerProvider::StatFromAnswer(const HttpResponse& response,
                                                                  const std::string& what) const {
  if (!response.success()) return DockerErrorStatus(response, what);
  // base64 of {"name","size","mode","mtime","linkTarget"}.
  const std::string* header = response.FindHeader("X-Docker-Container-Path-Stat");
  if (!header || header->empty()) return Status::RemoteError(what + ": no path stat in the answer");
  std::string decoded(header->size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                          reinterpret_cast<const unsigned char*>(header->data()),
                          static_cast<int>(header->size()));
  if (n < 0) return Status::RemoteError(what + ": path stat is not base64");
  decoded.resize(static_cast<size_t>(n));
  while (!decoded.empty() && decoded.back() == '\0') decoded.pop_back();  // base64 padding
  try {
    json stat = json::parse(decoded);
    // A symlink's own metadata says nothing about its target's content.
    if (!stat.value("linkTarget", std::string()).empty()) return std::optional<std::string>("");
    return std::optional<std::string>(std::to_string(stat.at("size").get<long long>()) + ":" +
                                      std::to_string(stat.at("mode").get<long long>()) + ":" +
                                      stat.at("mtime").get<std::string>());
  } catch (const json::exception& e) {
    return Status::RemoteError(what + ": unexpected path stat: " + e.what());
  }
}

Result<std::optional<std::string>> DockerProvider::ReadFileFollowingLinks(const std::string& id,
                                                                          const std::string& path,
                                                                          int hops) {
  DockerApiClient::Call call;
  call.path = "/containers/" + Segment(id) + "/archive";
  call.query = {{"path", path}};
  call.max_body_bytes = kArchiveBodyBytes;
  const std::string what = host_ + ": read " + path + " in " + id;
  auto response = api_->Send(call);
  if (!response.ok()) return response.status();
  if (response->status == 404) {
    // Docker answers 404 both for a missing container and a missing file; only the
    // message tells them apart.
    Status st = DockerErrorStatus(*response, what);
    if (st.message().find("No such container") != std::string::npos) return st;
    return std::optional<std::string>();
  }
  if (!response->success()) return DockerErrorStatus(*response, what);
  auto entries = ReadTar(response->body);
  if (!entries.ok()) return entries.status().WithContext(what);
  if (entries->empty()) return Status::RemoteError(what + ": empty archive");
  const TarEntry& entry = entries->front();
  switch (entry.type) {
    case TarEntry::Type::kRegular:
      return std::optional<std::string>(entry.content);
    case TarEntry::Type::kSymlink: {
      // Docker archives a symlink itself, not its target; follow it like a read would.
      if (hops >= 8) return Status::InvalidArgument(what + ": too many levels of symbolic links");
      std::string target = entry.link_target;
      if (target.empty()) return Status::RemoteError(what + ": symlink without a target");
      if (target.front() != '/')
        target = (Dirname(path) == "/" ? "" : Dirname(path)) + "/" + target;
      return ReadFileFollowingLinks(id, target, hops + 1);
    }
    case TarEntry::Type::kDirectory:
      return Status::InvalidArgument(what + ": is a directory");
    case TarEntry::Type::kOther:
      break;
  }
  return Status::InvalidArgument(what + ": not a regular file");
}

Result<std::string> DockerProvider::CreateContainer(const CreateContainerRequest& req) {
  if (req.name.empty()) return Status::InvalidArgument("container name is empty");
  auto body = ContainerCreateBody(req);
  if (!body.ok()) return body.status();
  DockerApiClient::Call call;
  call.method = "POST";
  call.path = "/containers/create";
  call.query = {{"name", req.name}};
  call.content_type = "application/json";
  call.body = body->dump();
  auto created = CallJson(std::move(call), {{"Id", {}}});
  if (!created.ok()) return created.status().WithContext("create " + req.name);
  auto id = created->find("Id");
  if (id == created->end() || !id->is_string())
    return Status::RemoteError(host_ + ": create " + req.name + ": answer has no Id");
  return id->get<std::string>();
}

Status DockerProvider::ContainerAction(const std::string& id, const std::string& action,
                                       std::optional<std::chrono::seconds> grace) {
  DockerApiClient::Call call;
  call.method = "POST";
  call.path = "/containers/" + Segment(id) + "/" + action;
  if (grace) {
    call.query = {{"t", std::to_string(grace->count())}};
    call.extra_time = *grace;  // the daemon answers only after the container stopped
  }
  auto response = api_->Send(call);
  if (!response.ok()) return response.status();
  // 304 Not Modified: already in the state asked for (start, stop).
  if (response->success() || response->status == 304) return Status::Ok();
  return DockerErrorStatus(*response, host_ + ": " + action + " " + id);
}

Status DockerProvider::StartContainer(const std::string& id) {
  return ContainerAction(id, "start", std::nullopt);
}

Status DockerProvider::StopContainer(const std::string& id, std::chrono::seconds grace) {
  return ContainerAction(id, "stop", grace);
}

Status DockerProvider::RestartContainer(const std::string& id, std::chrono::seconds grace) {
  return ContainerAction(id, "restart", grace);
}

Status DockerProvider::RemoveContainer(const std::string& id) {
  DockerApiClient::Call call;
  call.method = "DELETE";
  call.path = "/containers/" + Segment(id);
  call.query = {{"v", "1"}};
  auto response = api_->Send(call);
  if (!response.ok()) return response.status();
  if (response->success() || response->status == 404) return Status::Ok();
  return DockerErrorStatus(*response, host_ + ": remove " + id);
}

Status DockerProvider::RenameContainer(const std::string& id, const std::string& new_name) {
  if (new_name.empty()) return Status::InvalidArgument("rename " + id + ": empty name");
  DockerApiClient::Call call;
  call.method = "POST";
  call.path = "/containers/" + Segment(id) + "/rename";
  call.query = {{"name", new_name}};
  auto response = Call(std::move(call));
  return response.ok() ? Status::Ok() : response.status().WithContext("rename to " + new_name);
}

Status DockerProvider::UploadFile(const std::string& id, const std::string& path,
                                  const std::string& content, int mode) {
  if (Status st = CheckAbsolutePath(path); !st.ok()) return st;
  // The host's clock, not ours: the mtime is compared with the container's StartedAt, and a
  // control machine whose clock runs ahead would make every script look written after the
  // start. HostClockNow errs early, never late; floored, as a tar header holds whole seconds.
  const auto now = api_->HostClockNow().value_or(std::chrono::system_clock::now());
  const std::int64_t mtime =
      std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
  auto tar = WriteSingleFileTar(Basename(path), content, mode, mtime);
  if (!tar.ok()) return tar.status().WithContext("upload " + path);
  DockerApiClient::Call call;
  call.method = "PUT";
  call.path = "/containers/" + Segment(id) + "/archive";
  call.query = {{"path", Dirname(path)}};
  call.content_type = "application/x-tar";
  call.body = std::move(*tar);
  auto response = Call(std::move(call));
  return response.ok() ? Status::Ok() : response.status().WithContext("upload " + path);
}

Result<int> DockerProvider::Exec(const std::string& id, const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout) {
  if (argv.empty()) return Status::InvalidArgument("exec: empty command");
  const Deadline deadline = DeadlineAfter(timeout);
  const std::string what = host_ + ": exec '" + DescribeCommand(argv) + "' in " + id;

  DockerApiClient::Call create;
  create.method = "POST";
  create.path = "/containers/" + Segment(id) + "/exec";
  create.content_type = "application/json";
  create.body = json{
      {"Cmd", argv},
      {"AttachStdin", false},
      {"AttachStdout", false},
      {"AttachStderr", false},
      {"Tty",
       false}}.dump();
  auto created = CallJson(std::move(create), {{"Id", {}}});
  if (!created.ok()) return created.status();
  auto exec_id_field = created->find("Id");
  if (exec_id_field == created->end() || !exec_id_field->is_string())
    return Status::RemoteError(what + ": answer has no Id");
  const std::string exec_id = exec_id_field->get<std::string>();

  DockerApiClient::Call start;
  start.method = "POST";
  start.path = "/exec/" + Segment(exec_id) + "/start";
  start.content_type = "application/json";
  start.body = json{{"Detach", true}, {"Tty", false}}.dump();
  if (auto started = Call(std::move(start)); !started.ok()) return started.status();

  // Detached execs have no completion event on this API; poll, backing off, until the
  // process has exited (Running false and an ExitCode) or the caller's deadline passes.
  auto pause = std::chrono::milliseconds(10);
  for (;;) {
    DockerApiClient::Call poll;
    poll.path = "/exec/" + Segment(exec_id) + "/json";
    poll.max_body_bytes = kInspectBodyBytes;
    auto state = CallJson(std::move(poll), {{"Running", {}}, {"ExitCode", {}}});
    if (!state.ok()) return state.status();
    try {
      bool running = state->value("Running", false);
      auto code = state->find("ExitCode");
      if (!running && code != state->end() && code->is_number_integer()) return code->get<int>();
    } catch (const json::exception& e) {
      return Status::RemoteError(what + ": unexpected exec inspect JSON: " + e.what());
    }
    if (Expired(deadline))
      return Status::Timeout(what + ": still running after " + std::to_string(timeout.count()) +
                             " ms (Docker cannot kill an exec; it keeps running)");
    std::this_thread::sleep_for(std::min(pause, TimeLeft(deadline)));
    pause = std::min(pause * 2, std::chrono::milliseconds(200));
  }
}

Status DockerProvider::StreamLogs(const std::string& id, const LogsRequest& request,
                                  const OutputSink& sink) {
  const std::string what = host_ + ": logs of " + id;
  // Whether the log is multiplexed: up to API 1.41 both kinds are called a raw stream (1.42
  // labels them by Content-Type), so the container's own Tty setting tells, at every version.
  DockerApiClient::Call inspect;
  inspect.path = "/containers/" + Segment(id) + "/json";
  inspect.max_body_bytes = kInspectBodyBytes;
  auto container = CallJson(std::move(inspect), {{"Config", {{"Tty", {}}}}});
  if (!container.ok()) return container.status();
  bool tty = false;
  if (auto config = container->find("Config"); config != container->end() && config->is_object())
    if (auto it = config->find("Tty"); it != config->end() && it->is_boolean())
      tty = it->get<bool>();

  DockerApiClient::Call call;
  call.path = "/containers/" + Segment(id) + "/logs";
  call.query = {{"stdout", "1"},
                {"stderr", "1"},
                {"follow", request.follow ? "1" : "0"},
                {"timestamps", request.timestamps ? "1" : "0"},
                {"tail", request.tail ? std::to_string(*request.tail) : "all"}};
  auto stream = api_->OpenStream(call, /*upgrade=*/false, request.interrupted);
  if (!stream.ok()) return stream.status();
  if (!(*stream)->response().success())
    return DockerErrorStatus((*stream)->response(), host_ + ": GET " + call.path);

  DockerStreamDemuxer demuxer(sink, what);
  std::string chunk;
  for (;;) {
    // A follow waits for new lines as long as the container runs; otherwise each wait is
    // bounded like a streamed call's: the timeout is for silence, not for a long log.
    const Deadline deadline =
        request.follow ? NoDeadline() : DeadlineAfter(api_->request_timeout());
    chunk.clear();
    auto more = (*stream)->Read(&chunk, deadline);
    if (!more.ok()) return more.status().WithContext(what);
    if (!*more) break;
    Status delivered = tty ? sink(OutputStream::kStdout, chunk) : demuxer.Feed(chunk);
    if (!delivered.ok()) return delivered;
  }
  return tty ? Status::Ok() : demuxer.Finish();
}

Result<std::unique_ptr<ExecSession>> DockerProvider::StartExec(const std::string& id,
                                                               const ExecRequest& request) {
  return StartDockerExec(*api_, host_, id, request);
}

Result<bool> DockerProvider::HasImage(const std::string& ref) {
  if (ref.empty()) return Status::InvalidArgument("empty image reference");
  DockerApiClient::Call call;
  call.path = "/images/" + ImagePath(ref) + "/json";
  call.max_body_bytes = kInspectBodyBytes;
  // Only the status matters: the inspect itself is not read.
  call.body_reader = [](HttpResponse&, std::istream&) { return Status::Ok(); };
  auto response = api_->Send(call);
  if (!response.ok()) return response.status();
  if (response->status == 404) return false;
  if (!response->success()) return DockerErrorStatus(*response, host_ + ": inspect image " + ref);
  return true;
}

Result<std::optional<RegistryCredential>> DockerProvider::CredentialFor(const std::string& ref) {
  if (!registry_auth_) return std::optional<RegistryCredential>();
  return registry_auth_->CredentialFor(RegistryHostOf(ref));
}

Status DockerProvider::ExplainLoginFailure(Status status, const std::string& what,
                                           const std::string& ref,
                                           const std::optional<RegistryCredential>& credential,
                                           std::string_view daemon_message) const {
  if (!IsRegistryLoginFailure(daemon_message)) return status;
  if (credential) return RegistryRefusedLogin(what, *credential, daemon_message);
  return RegistryLoginMissing(what, RegistryHostOf(ref), daemon_message);
}

Status DockerProvider::PullImage(const std::string& ref) {
  if (ref.empty()) return Status::InvalidArgument("empty image reference");
  const std::string what = host_ + ": pull " + ref;
  auto credential = CredentialFor(ref);
  if (!credential.ok()) return credential.status().WithContext(what);
  auto [repository, tag] = SplitImageReference(ref);
  // The answer is a stream of JSON progress objects, one per line; a failure after the
  // 200 header arrives as {"error": ..., "errorDetail": {"message": ...}}.
  std::string pending, error, head;
  auto consume_line = [&error](std::string_view line) {
    if (line.find("error") == std::string_view::npos) return;
    try {
      auto j = json::parse(line);
      if (!j.is_object()) return;
      if (auto d = j.find("errorDetail");
          d != j.end() && d->is_object() && d->contains("message") && (*d)["message"].is_string())
        error = (*d)["message"].get<std::string>();
      else if (auto e = j.find("error"); e != j.end() && e->is_string())
        error = e->get<std::string>();
    } catch (const json::exception&) {
      // A progress line that is not JSON carries no verdict.
    }
  };
  DockerApiClient::Call call;
  call.method = "POST";
  call.path = "/images/create";
  call.query = {{"fromImage", repository}, {"tag", tag}};
  if (*credential) call.headers.emplace_back("X-Registry-Auth", RegistryAuthHeader(**credential));
  call.streamed = true;
  call.max_body_bytes = kPullBodyBytes;
  bool skipping_line = false;  // the rest of an over-long line
  call.body_sink = [&](std::string_view bytes) {
    if (head.size() < DockerApiClient::kErrorBodyBytes)
      head.append(bytes.substr(0, DockerApiClient::kErrorBodyBytes - head.size()));
    pending.append(bytes);
    std::size_t start = 0;
    for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n', start)) {
      if (!skipping_line) consume_line(std::string_view(pending).substr(start, nl - start));
      skipping_line = false;
      start = nl + 1;
    }
    pending.erase(0, start);
    if (pending.size() > kLongestPullLine) {
      pending.clear();
      skipping_line = true;
    }
    return Status::Ok();
  };
  auto response = api_->Send(call);
  if (!response.ok()) return response.status().WithContext("pull " + ref);
  if (!response->success()) {
    // The error answer went through the sink too.
    response->body = head;
    return ExplainLoginFailure(DockerErrorStatus(*response, what), what, ref, *credential,
                               DockerErrorMessage(*response));
  }
  if (!pending.empty() && !skipping_line) consume_line(pending);
  if (!error.empty())
    return ExplainLoginFailure(Status::RemoteError(what + ": " + error), what, ref, *credential,
                               error);
  return Status::Ok();
}

Result<std::string> DockerProvider::ResolveImageDigest(const std::string& ref) {
  if (ref.empty()) return Status::InvalidArgument("empty image reference");
  const std::string what = host_ + ": resolve " + ref + " at its registry";
  auto credential = CredentialFor(ref);
  if (!credential.ok()) return credential.status().WithContext(what);
  DockerApiClient::Call call;
  call.path = "/distribution/" + ImagePath(ref) + "/json";
  if (*credential) call.headers.emplace_back("X-Registry-Auth", RegistryAuthHeader(**credential));
  auto response = api_->Send(call);
  if (!response.ok()) return response.status();
  if (!response->success()) {
    const std::string message = DockerErrorMessage(*response);
    // Docker answers a missing login with a 500 and a wrong one with a 401.
    if (IsRegistryLoginFailure(message))
      return ExplainLoginFailure(Status::RemoteError(message), what, ref, *credential, message);
    Status st = DockerErrorStatus(*response, what);
    // The daemon reports a registry it cannot reach as a 5xx.
    if (response->status >= 500) return Status::Unavailable(st.message());
    return st;
  }
  try {
    auto body = json::parse(response->body);
    auto digest = body.at("Descriptor").at("digest").get<std::string>();
    if (digest.rfind("sha256:", 0) != 0)
      return Status::RemoteError(what + ": unexpected digest '" + digest + "'");
    return digest;
  } catch (const json::exception& e) {
    return Status::RemoteError(what + ": unexpected answer: " + e.what());
  }
}

Result<std::vector<std::string>> DockerProvider::LocalImageDigests(const std::string& ref) {
  if (ref.empty()) return Status::InvalidArgument("empty image reference");
  {
    MutexLock lock(image_mu_);
    if (auto it = fresh_repo_digests_.find(ref); it != fresh_repo_digests_.end()) {
      std::vector<std::string> digests = std::move(it->second);
      fresh_repo_digests_.erase(it);
      return digests;
    }
  }
  json image;
  auto response = api_->Send(ImageInspectCall(ref, &image));
  if (!response.ok()) return response.status();
  if (response->status == 404) return std::vector<std::string>();
  if (!response->success()) return DockerErrorStatus(*response, host_ + ": inspect image " + ref);
  try {
    return RepoDigestsOf(image);
  } catch (const json::exception& e) {
    return Status::RemoteError(host_ + ": inspect image " + ref +
                               ": unexpected answer: " + e.what());
  }
}

}  // namespace jlrec
