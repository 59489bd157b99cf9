#include "providers/docker_api_client.h"

#include <algorithm>
#include <charconv>
#include <istream>

#include <nlohmann/json.hpp>

#include "model/terminal_text.h"
#include "providers/http_date.h"
#include "providers/url_encoding.h"

namespace jlrec {

namespace {

// "1.41" -> 41; -1 if it is not "1.N".
int MinorVersion(const std::string& version) {
  if (version.size() < 3 || version.compare(0, 2, "1.") != 0) return -1;
  int minor = -1;
  auto [end, ec] = std::from_chars(version.data() + 2, version.data() + version.size(), minor);
  if (ec != std::errc() || end != version.data() + version.size()) return -1;
  return minor;
}

// A version or release a daemon (or whatever answered for it) named, for a message: short
// and printable, since it is anything a header or body held.
std::string Shown(const std::string& text) {
  constexpr std::size_t kShown = 40;
  return Printable(text.substr(0, kShown)) + (text.size() > kShown ? "..." : "");
}

// Appends at most `limit` bytes of `in` to `out`.
void ReadAtMost(std::istream& in, std::size_t limit, std::string* out) {
  char buffer[16 * 1024];
  while (limit > 0 &&
         in.read(buffer, static_cast<std::streamsize>(std::min(limit, sizeof buffer))).gcount() >
             0) {
    const auto n = static_cast<std::size_t>(in.gcount());
    out->append(buffer, n);
    limit -= n;
  }
}

}  // namespace

std::string DockerErrorMessage(const HttpResponse& response) {
  std::string message;
  try {
    auto body = nlohmann::json::parse(response.body);
    if (body.is_object() && body.contains("message") && body["message"].is_string())
      message = body["message"].get<std::string>();
  } catch (const nlohmann::json::exception&) {
    // Not JSON: the text itself is the best explanation there is.
  }
  if (message.empty()) {
    message = response.body.substr(0, 300);
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r'))
      message.pop_back();
  }
  if (message.empty()) message = response.reason;
  return message;
}

Status DockerErrorStatus(const HttpResponse& response, std::string_view what) {
  const std::string message = DockerErrorMessage(response);
  std::string text =
      std::string(what) + ": " + message + " (HTTP " + std::to_string(response.status) + ")";
  // A daemon that does not accept the API version spoken ("client version 1.52 is too old.
  // Minimum supported API version is 1.55"): the host cannot be used, as when it is down.
  if (response.status == 400 && message.rfind("client version ", 0) == 0 &&
      (message.find(" is too old") != std::string::npos ||
       message.find(" is too new") != std::string::npos))
    return Status::Unavailable(text);
  switch (response.status) {
    case 400:
      return Status::InvalidArgument(text);
    case 404:
      return Status::NotFound(text);
    case 409:
      return Status::Conflict(text);
    default:
      return Status::RemoteError(text);
  }
}

HttpBodyReader JsonBodyInto(nlohmann::json* out, const JsonSelection& keep) {
  return [out, &keep](HttpResponse&, std::istream& body) {
    auto parsed = ParseSelectedJson(body, keep);
    if (!parsed.ok()) return parsed.status();
    *out = std::move(*parsed);
    return Status::Ok();
  };
}

Result<nlohmann::json> SendForJson(DockerApiClient& api, DockerApiClient::Call call,
                                   const JsonSelection& keep, std::string_view what) {
  nlohmann::json parsed;
  call.body_reader = JsonBodyInto(&parsed, keep);
  auto response = api.Send(call);
  if (!response.ok()) return response.status();
  if (!response->success()) return DockerErrorStatus(*response, what);
  return parsed;
}

DockerApiClient::DockerApiClient(StreamOpener opener, Options options)
    : opener_(std::move(opener)), options_(std::move(options)) {
  if (options_.max_connections < 1) options_.max_connections = 1;
}

DockerApiClient::~DockerApiClient() = default;

std::string DockerApiClient::api_version() const {
  MutexLock lock(mu_);
  return version_prefix_.empty() ? "" : version_prefix_.substr(2);
}

Status DockerApiClient::NegotiateVersion() {
  Call ping;
  ping.path = "/_ping";
  return SettleVersionFromPing(SendTarget(ping, ping.path));
}

Status DockerApiClient::SettleVersionFromPing(const Result<HttpResponse>& ping) {
  if (!ping.ok()) return Status::Unavailable(ping.status().message());
  if (auto api = PingApi(*ping)) return SettleVersion(*api);
  // A daemon (or a proxy before it) whose ping does not name its API: /version does.
  return SettleVersionAnswer(SendVersionRequest());
}

Result<HttpResponse> DockerApiClient::SendVersionRequest() {
  Call version;
  version.path = "/version";
  return SendTarget(version, version.path);
}

Status DockerApiClient::NegotiateVersionPipelined(const std::vector<Call>& calls,
                                                  std::vector<Result<HttpResponse>>* results) {
  std::vector<Call> all;
  all.reserve(calls.size() + 1);
  all.emplace_back().path = "/_ping";
  all.insert(all.end(), calls.begin(), calls.end());
  const std::string optimistic = "/v1." + std::to_string(kNewestMinorVersion);
  std::vector<std::string> targets = {"/_ping"};
  for (const Call& call : calls) targets.push_back(optimistic + call.path);
  auto answers = SendPipelinedTargets(all, targets);
  results->clear();
  Status negotiated = SettleVersionFromPing(answers[0]);
  if (!negotiated.ok()) {
    results->assign(calls.size(), negotiated);
    return negotiated;
  }
  if (api_version() != optimistic.substr(2)) {
    // An older daemon refused the optimistic version: ask again in its own.
    *results = SendPipelined(calls);
    return negotiated;
  }
  for (std::size_t i = 1; i < answers.size(); ++i) results->push_back(std::move(answers[i]));
  return negotiated;
}

std::optional<DockerApiClient::DaemonApi> DockerApiClient::PingApi(const HttpResponse& response) {
  const std::string* version = response.FindHeader("API-Version");
  // A version that is not "1.N" (a proxy answering pings itself) says nothing: /version may.
  if (!response.success() || version == nullptr || MinorVersion(*version) < 0) return std::nullopt;
  DaemonApi api;
  api.version = *version;
  // "Docker/20.10.24+dfsg1 (linux)": the engine's release, for messages only.
  if (const std::string* server = response.FindHeader("Server");
      server != nullptr && server->rfind("Docker/", 0) == 0) {
    const std::size_t end = server->find(' ');
    api.engine = server->substr(7, end == std::string::npos ? std::string::npos : end - 7);
  }
  return api;
}

Status DockerApiClient::SettleVersionAnswer(const Result<HttpResponse>& response) {
  if (!response.ok()) return Status::Unavailable(response.status().message());
  if (!response->success())
    return Status::Unavailable(
        DockerErrorStatus(*response, options_.peer + ": GET /version").message());
  DaemonApi api;
  try {
    auto body = nlohmann::json::parse(response->body);
    api.version = body.value("ApiVersion", "");
    api.min_version = body.value("MinAPIVersion", "");
    api.engine = body.value("Version", "");
  } catch (const nlohmann::json::exception& e) {
    return Status::Unavailable(options_.peer + ": GET /version: not JSON: " + e.what());
  }
  return SettleVersion(api);
}

Status DockerApiClient::SettleVersion(const DaemonApi& api) {
  const std::string engine = api.engine.empty() ? "" : " " + Shown(api.engine);
  int daemon_minor = MinorVersion(api.version);
  if (daemon_minor < 0)
    return Status::Unavailable(options_.peer + ": docker reports API version '" +
                               Shown(api.version) + "', expected 1.N");
  if (daemon_minor < kOldestMinorVersion)
    return Status::Unavailable(options_.peer + ": docker" + engine + " speaks API " + api.version +
                               "; jlrec needs 1." + std::to_string(kOldestMinorVersion) +
                               " or newer");
  int chosen = std::min(daemon_minor, kNewestMinorVersion);
  if (int min_minor = MinorVersion(api.min_version); min_minor > chosen)
    return Status::Unavailable(options_.peer + ": docker" + engine + " needs API " +
                               api.min_version + " or newer; jlrec speaks up to 1." +
                               std::to_string(kNewestMinorVersion));
  MutexLock lock(mu_);
  version_prefix_ = "/v1." + std::to_string(chosen);
  return Status::Ok();
}

Result<HttpResponse> DockerApiClient::Send(const Call& call) {
  std::string prefix;
  {
    MutexLock lock(mu_);
    prefix = version_prefix_;
  }
  if (prefix.empty()) return Status::Internal("Docker API used before version negotiation");
  return SendTarget(call, prefix + call.path);
}

HttpExchangeOptions DockerApiClient::ExchangeFor(
    const Call& call, std::optional<std::chrono::system_clock::time_point>* first_body_byte) const {
  HttpExchangeOptions exchange;
  exchange.deadline = DeadlineAfter(options_.request_timeout + call.extra_time);
  exchange.max_body_bytes = call.max_body_bytes;
  if (call.streamed) exchange.idle_timeout = options_.request_timeout;
  // The Date header is written before the body: a streamed answer (a pull) may go on for
  // minutes, and the end of it would make the host's clock look that much behind.
  if (call.body_sink) {
    exchange.body_sink = [&call, first_body_byte](std::string_view bytes) {
      if (!*first_body_byte) *first_body_byte = std::chrono::system_clock::now();
      return call.body_sink(bytes);
    };
  } else {
    // Only what is used of the body is held: the start of an error answer (its message),
    // and a 2xx answer as the caller's reader keeps it, or whole up to the limit.
    exchange.body_reader = [&call, first_body_byte](HttpResponse& response, std::istream& body) {
      *first_body_byte = std::chrono::system_clock::now();
      if (!response.success()) {
        ReadAtMost(body, kErrorBodyBytes, &response.body);
        return Status::Ok();
      }
      if (call.body_reader) return call.body_reader(response, body);
      ReadAtMost(body, call.max_body_bytes, &response.body);
      return Status::Ok();
    };
  }
  return exchange;
}

Status DockerApiClient::CallFailure(const Call& call, const Status& st) const {
  const std::string what = options_.peer + ": " + call.method + " " + call.path;
  if (st.code() == Status::Code::kTimeout)
    return Status::Timeout(what + ": no complete answer within " +
                           FormatSeconds(call.streamed
                                             ? options_.request_timeout
                                             : options_.request_timeout + call.extra_time) +
                           (call.streamed ? " of silence" : "") + " (" + st.message() + ")");
  return st.WithContext(what);
}

Result<HttpResponse> DockerApiClient::SendTarget(const Call& call, const std::string& path) {
  const HttpRequest request = RequestFor(call, path);
  std::optional<std::chrono::system_clock::time_point> first_body_byte;
  const HttpExchangeOptions exchange = ExchangeFor(call, &first_body_byte);

  // A reused keep-alive connection may have been dropped by the daemon while idle; that
  // shows as the stream closing before any response byte, and one retry on a fresh
  // connection is safe because the daemon never saw the request.
  for (int attempt = 0;; ++attempt) {
    auto connection = Acquire(exchange.deadline, attempt > 0);
    if (!connection.ok()) return CallFailure(call, connection.status());
    const bool reused = (*connection)->completed_exchanges() > 0;
    first_body_byte.reset();
    const auto started = std::chrono::steady_clock::now();
    auto response = (*connection)->Exchange(request, exchange);
    RecordWait(started, 1, 0);
    if (response.ok())
      NoteHostDate(*response, first_body_byte.value_or(std::chrono::system_clock::now()));
    const bool retry =
        !response.ok() && reused && attempt == 0 && (*connection)->closed_before_response();
    Release(std::move(*connection));
    if (response.ok()) return response;
    if (retry) continue;
    return CallFailure(call, response.status());
  }
}

std::vector<Result<HttpResponse>> DockerApiClient::SendPipelined(const std::vector<Call>& calls) {
  std::string prefix;
  {
    MutexLock lock(mu_);
    prefix = version_prefix_;
  }
  std::vector<std::string> targets;
  targets.reserve(calls.size());
  for (const Call& call : calls) targets.push_back(prefix.empty() ? "" : prefix + call.path);
  return SendPipelinedTargets(calls, targets);
}

std::vector<Result<HttpResponse>> DockerApiClient::SendPipelinedTargets(
    const std::vector<Call>& calls, const std::vector<std::string>& targets) {
  std::vector<Result<HttpResponse>> results(calls.size(), Status::Internal("not sent"));
  std::vector<std::size_t> todo;  // indices of the calls still to send
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const Call& call = calls[i];
    if (targets[i].empty()) {
      results[i] = Status::Internal("Docker API used before version negotiation");
    } else if (call.method != "GET" && call.method != "HEAD") {
      results[i] = CallFailure(
          call, Status::InvalidArgument("only GET and HEAD are pipelined (a read can be resent)"));
    } else if (call.streamed || call.body_sink) {
      results[i] = CallFailure(
          call, Status::InvalidArgument("a streamed answer or a body sink is not pipelined"));
    } else {
      todo.push_back(i);
    }
  }

  for (bool resent = false; !todo.empty(); resent = true) {
    std::vector<HttpRequest> requests;
    std::vector<HttpExchangeOptions> exchanges;
    // One per call, sized before ExchangeFor takes pointers into it.
    std::vector<std::optional<std::chrono::system_clock::time_point>> first_body_byte(todo.size());
    Deadline deadline = Deadline::max();
    for (std::size_t k = 0; k < todo.size(); ++k) {
      const Call& call = calls[todo[k]];
      requests.push_back(RequestFor(call, targets[todo[k]]));
      exchanges.push_back(ExchangeFor(call, &first_body_byte[k]));
      deadline = std::min(deadline, exchanges.back().deadline);
    }
    auto connection = Acquire(deadline, resent);
    if (!connection.ok()) {
      for (std::size_t index : todo)
        results[index] = CallFailure(calls[index], connection.status());
      break;
    }
    const bool reused = (*connection)->completed_exchanges() > 0;
    const auto started = std::chrono::steady_clock::now();
    auto answers = (*connection)->ExchangeAll(requests, exchanges);
    RecordWait(started, static_cast<int>(requests.size()), 0);
    const auto answered = static_cast<std::size_t>((*connection)->batch_answered());
    // What was cut off by the connection may go again, once: on a reused connection even
    // before any answer (the daemon had dropped it while idle), on a fresh one only after an
    // answer (else the daemon itself is refusing).
    const bool resend =
        !resent && (*connection)->cut_off() && answered < todo.size() && (reused || answered > 0);
    Release(std::move(*connection));
    std::vector<std::size_t> again;
    for (std::size_t k = 0; k < todo.size(); ++k) {
      const std::size_t index = todo[k];
      if (resend && k >= answered) {
        again.push_back(index);
      } else if (answers[k].ok()) {
        NoteHostDate(*answers[k], first_body_byte[k].value_or(std::chrono::system_clock::now()));
        results[index] = std::move(answers[k]);
      } else {
        results[index] = CallFailure(calls[index], answers[k].status());
      }
    }
    todo = std::move(again);
  }
  return results;
}

DockerApiClient::Traffic DockerApiClient::TrafficSince(
    std::chrono::steady_clock::time_point since) const {
  std::vector<Wait> waits;
  {
    MutexLock lock(mu_);
    for (const Wait& wait : waits_)
      if (wait.start >= since) waits.push_back(wait);
  }
  Traffic traffic;
  for (const Wait& wait : waits) {
    traffic.requests += wait.requests;
    traffic.streams_opened += wait.streams;
  }
  // The longest chain of waits each begun after the previous one ended is the largest set of
  // pairwise disjoint intervals, which taking the earliest-ending one that fits finds.
  std::sort(waits.begin(), waits.end(), [](const Wait& a, const Wait& b) { return a.end < b.end; });
  std::optional<std::chrono::steady_clock::time_point> chain_end;
  for (const Wait& wait : waits) {
    if (chain_end && wait.start < *chain_end) continue;
    ++traffic.sequential_round_trips;
    chain_end = wait.end;
  }
  // The union of the intervals: sorted by start, each adds what reaches past the covered end.
  std::sort(waits.begin(), waits.end(),
            [](const Wait& a, const Wait& b) { return a.start < b.start; });
  std::optional<std::chrono::steady_clock::time_point> covered;
  for (const Wait& wait : waits) {
    const auto from = covered ? std::max(*covered, wait.start) : wait.start;
    if (wait.end > from) traffic.waiting += wait.end - from;
    if (!covered || wait.end > *covered) covered = wait.end;
  }
  return traffic;
}

void DockerApiClient::RecordWait(std::chrono::steady_clock::time_point start, int requests,
                                 int streams) {
  const auto end = std::chrono::steady_clock::now();
  MutexLock lock(mu_);
  if (waits_.size() >= kMaxRecordedWaits)
    waits_.erase(waits_.begin(), waits_.begin() + kMaxRecordedWaits / 2);
  waits_.push_back(Wait{start, end, requests, streams});
}

HttpRequest DockerApiClient::RequestFor(const Call& call, const std::string& target) {
  HttpRequest request;
  request.method = call.method;
  request.target = target + BuildQuery(call.query);
  request.headers.emplace_back("User-Agent", "jlrec/" JLREC_VERSION);
  if (!call.content_type.empty()) request.headers.emplace_back("Content-Type", call.content_type);
  request.headers.insert(request.headers.end(), call.headers.begin(), call.headers.end());
  request.body = call.body;
  return request;
}

Result<std::unique_ptr<HttpStream>> DockerApiClient::OpenStream(const Call& call, bool upgrade,
                                                                std::function<bool()> interrupted) {
  std::string prefix;
  {
    MutexLock lock(mu_);
    prefix = version_prefix_;
  }
  if (prefix.empty()) return Status::Internal("Docker API used before version negotiation");
  const std::string what = options_.peer + ": " + call.method + " " + call.path;
  const Deadline deadline = DeadlineAfter(options_.request_timeout + call.extra_time);
  auto open_started = std::chrono::steady_clock::now();
  auto stream = opener_(deadline);
  RecordWait(open_started, 0, 1);
  if (!stream.ok()) return stream.status().WithContext(what);
  if (interrupted) (*stream)->SetInterruption(std::move(interrupted));
  const auto started = std::chrono::steady_clock::now();
  auto opened = HttpStream::Open(std::move(*stream), "docker", RequestFor(call, prefix + call.path),
                                 upgrade, deadline, kErrorBodyBytes);
  RecordWait(started, 1, 0);
  if (!opened.ok()) {
    if (opened.status().code() == Status::Code::kTimeout)
      return Status::Timeout(what + ": no answer within " +
                             FormatSeconds(options_.request_timeout + call.extra_time) + " (" +
                             opened.status().message() + ")");
    return opened.status().WithContext(what);
  }
  NoteHostDate((*opened)->response(), std::chrono::system_clock::now());
  return opened;
}

std::optional<std::chrono::system_clock::time_point> DockerApiClient::HostClockNow() const {
  const std::int64_t offset = host_clock_offset_ns_.load(std::memory_order_relaxed);
  if (offset == kHostClockUnknown) return std::nullopt;
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(
             std::chrono::nanoseconds(offset));
}

void DockerApiClient::NoteHostDate(const HttpResponse& response,
                                   std::chrono::system_clock::time_point arrived) {
  const std::string* date = response.FindHeader("Date");
  if (date == nullptr) return;
  const std::optional<std::int64_t> host_seconds = ParseHttpDate(*date);
  if (!host_seconds) return;
  // The latest answer wins rather than the largest offset: a host clock stepped back (NTP)
  // must pull the estimate back too, or uploads would carry times the host has not reached.
  const std::int64_t arrived_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(arrived.time_since_epoch()).count();
  host_clock_offset_ns_.store(*host_seconds * 1000000000 - arrived_ns, std::memory_order_relaxed);
}

Result<std::unique_ptr<HttpConnection>> DockerApiClient::Acquire(Deadline deadline, bool fresh) {
  // The pool lock is never held while a stream is inspected, opened or closed: those
  // take the SSH session's lock and may touch the network.
  for (;;) {
    std::unique_ptr<HttpConnection> idle;
    {
      MutexLock lock(mu_);
      if (!lock.WaitUntil(slot_freed_, deadline, [&]() REQUIRES(mu_) {
            return !idle_.empty() || open_ < options_.max_connections;
          }))
        return Status::Timeout("all " + std::to_string(options_.max_connections) +
                               " connections stayed busy until the deadline");
      if (!idle_.empty()) {
        idle = std::move(idle_.back());
        idle_.pop_back();
      } else {
        ++open_;  // reserve the slot for the stream opened below
      }
    }
    if (idle) {
      if (!fresh && idle->reusable()) return idle;
      Discard(std::move(idle));
      continue;
    }
    const auto started = std::chrono::steady_clock::now();
    auto stream = opener_(deadline);
    RecordWait(started, 0, 1);
    if (!stream.ok()) {
      {
        MutexLock lock(mu_);
        --open_;
      }
      slot_freed_.notify_one();
      return stream.status();
    }
    return std::make_unique<HttpConnection>(std::move(*stream), "docker");
  }
}

void DockerApiClient::Release(std::unique_ptr<HttpConnection> connection) {
  if (!connection->reusable()) {
    Discard(std::move(connection));
    return;
  }
  {
    MutexLock lock(mu_);
    idle_.push_back(std::move(connection));
  }
  slot_freed_.notify_one();
}

void DockerApiClient::Discard(std::unique_ptr<HttpConnection> connection) {
  connection.reset();
  {
    MutexLock lock(mu_);
    --open_;
  }
  slot_freed_.notify_one();
}

}  // namespace jlrec
