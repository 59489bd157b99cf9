// A Docker Engine API client: versioned JSON-over-HTTP/1.1 requests on a small pool of
// keep-alive connections to one daemon. Sequential callers reuse one connection; callers
// that overlap get their own, up to a bound.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/mutex.h"
#include "model/status.h"
#include "model/thread_annotations.h"
#include "providers/byte_stream.h"
#include "providers/deadline.h"
#include "providers/http_connection.h"
#include "providers/http_response.h"
#include "providers/http_stream.h"
#include "providers/json_selection.h"

namespace jlrec {

/// The explanation in a non-2xx Docker answer: its JSON `message`, else the body's text
/// (300 bytes at most), else the HTTP reason phrase.
std::string DockerErrorMessage(const HttpResponse& response);

/// Status for a non-2xx Docker answer: Docker's `message` (or the body's text), the code
/// chosen by HTTP status (400 kInvalidArgument, 404 kNotFound, 409 kConflict, else
/// kRemoteError), prefixed by `what`. A 400 refusing the API version spoken ("client version
/// 1.52 is too old...") is kUnavailable: that host cannot be used until one side changes.
Status DockerErrorStatus(const HttpResponse& response, std::string_view what);

class DockerApiClient;

/// A body reader (DockerApiClient::Call::body_reader) parsing a 2xx JSON answer into `*out` as
/// it arrives, building only what `keep` selects (which must outlive the call).
HttpBodyReader JsonBodyInto(nlohmann::json* out, const JsonSelection& keep);

/// Thread-safe: any number of threads may Send at once.
class DockerApiClient {
 public:
  /// Opens a new byte stream to the daemon's socket by `deadline`.
  using StreamOpener = std::function<Result<std::unique_ptr<ByteStream>>(Deadline)>;

  /// Construction settings.
  struct Options {
    std::string peer;  ///< names the daemon in error messages, e.g. "lab1 (root@h:22)"
    std::chrono::milliseconds request_timeout{30000};  ///< per request
    int max_connections = 4;  ///< streams open at once (one per overlapping request)
  };

  /// One API call.
  struct Call {
    std::string method = "GET";
    std::string path;  ///< without the version prefix, e.g. "/containers/json"
    std::vector<std::pair<std::string, std::string>> query;  ///< unencoded
    std::string body;
    std::string content_type;  ///< sent when non-empty
    /// Further header fields (X-Registry-Auth on pulls). Never logged or put in a message:
    /// they may carry credentials.
    std::vector<std::pair<std::string, std::string>> headers;
    /// Added to the request timeout, for calls the daemon itself takes time to answer
    /// (stop waits for the container's grace period).
    std::chrono::milliseconds extra_time{0};
    /// A progress stream (image pull): the timeout bounds silence, not the whole call.
    bool streamed = false;
    /// The largest body accepted for the answer: past it the call fails (kRemoteError naming
    /// the daemon and the call) before more of it is received, so a daemon gone wrong cannot
    /// exhaust jlrec's memory. Error answers (non-2xx) keep their first
    /// kErrorBodyBytes only, whatever their size.
    std::uint64_t max_body_bytes = 1024 * 1024;
    /// Receives a streamed answer's body as it arrives (error answers' included); it is
    /// not kept in HttpResponse::body.
    HttpResponseParser::BodySink body_sink;
    /// Reads a 2xx answer's body as it arrives (a JSON parser keeping only what it needs)
    /// instead of collecting it in HttpResponse::body. Ignored with body_sink.
    HttpBodyReader body_reader;
  };

  /// How much of an error answer's body is kept: enough for Docker's message.
  static constexpr std::size_t kErrorBodyBytes = 4096;

  /// The newest and oldest API versions (1.x) this client speaks. 52 is Docker 29.0's, and
  /// Docker 29.0-29.2 refuse anything below 1.44; every request and field jlrec uses was read
  /// against the API's changelog from 1.42 to 1.52 (docs/provider.md, "API versions").
  static constexpr int kNewestMinorVersion = 52;
  static constexpr int kOldestMinorVersion = 30;

  DockerApiClient(StreamOpener opener, Options options);
  ~DockerApiClient();
  DockerApiClient(const DockerApiClient&) = delete;
  DockerApiClient& operator=(const DockerApiClient&) = delete;

  /// Asks the daemon its API version and settles on min(daemon's, kNewestMinorVersion);
  /// kUnavailable if the daemon does not answer or is older than kOldestMinorVersion. Asks
  /// with GET /_ping (its API-Version header), as the docker CLI does: GET /version makes
  /// dockerd run `runc --version` and `docker-init --version` (~20 ms of the host's CPU, once
  /// per host per plan). Only a ping answer that names no API version (an old daemon, a proxy)
  /// costs a GET /version too. The ping does not tell the oldest version a daemon accepts:
  /// a daemon that no longer accepts the one chosen refuses each request in its own words
  /// ("client version 1.52 is too old. Minimum supported API version is 1.55"), which
  /// Send's callers report. Call once before Send.
  Status NegotiateVersion() EXCLUDES(mu_);
  /// NegotiateVersion and a first batch in one round trip: GET /_ping is pipelined with
  /// `calls` (as SendPipelined sends them) under /v1.<kNewestMinorVersion>, which a daemon at
  /// least that new answers exactly as under the version negotiated. A daemon that turns out
  /// older answers those with an error, so they are sent again (SendPipelined) under the
  /// negotiated prefix: one more round trip on every daemon older than that (before Docker
  /// 29, so the lab's too), two when its ping named no version. Returns what NegotiateVersion
  /// would; `*results` gets one result per call, each that status when negotiation failed.
  Status NegotiateVersionPipelined(const std::vector<Call>& calls,
                                   std::vector<Result<HttpResponse>>* results) EXCLUDES(mu_);
  /// The negotiated version, e.g. "1.41" (empty before NegotiateVersion).
  std::string api_version() const EXCLUDES(mu_);
  /// Sends `call` under the negotiated version prefix and returns the daemon's answer,
  /// whatever its HTTP status; transport failures are kUnavailable, deadlines kTimeout.
  Result<HttpResponse> Send(const Call& call) EXCLUDES(mu_);
  /// Sends `call` (its body, query and headers; not its sinks, readers or limits) on a
  /// connection of its own and returns once the answer's head is in, within the request
  /// timeout: the caller then reads the body at its own pace, with its own deadlines (a logs
  /// follow may last hours). The connection is not one of the pool's (not counted against
  /// max_connections) and closes with the returned stream. With `upgrade` the connection is
  /// hijacked (exec start): a 101 answer makes it a raw stream both ways. `interrupted` goes to
  /// the connection (ByteStream::SetInterruption). A non-2xx answer is returned as a stream
  /// too, its response() holding the first kErrorBodyBytes of its body. Transport failures are
  /// kUnavailable, deadlines kTimeout, an interruption kCancelled.
  Result<std::unique_ptr<HttpStream>> OpenStream(const Call& call, bool upgrade,
                                                 std::function<bool()> interrupted) EXCLUDES(mu_);
  /// Sends `calls` pipelined on one connection (HttpConnection::ExchangeAll): every request
  /// written at once, the answers read in order. GET and HEAD only (kInvalidArgument for
  /// others: only reads can be resent; and for streamed calls or body sinks, whose answers
  /// could not be taken back); the refused calls are not sent, the others are. One round
  /// trip plus the daemon's time for all of them, each answer within the request timeout
  /// (plus its extra_time) of the batch's start. One result per call, in order, each as Send
  /// would return it (non-2xx answers are results, not errors; body_reader / max_body_bytes /
  /// headers honoured; NoteHostDate). A reused connection that closes before the first
  /// answer: the whole batch is resent once on a fresh connection; one that breaks later
  /// (or a fresh one after an answer): the unanswered calls are resent once on a fresh
  /// connection (they are reads), so a body_reader may see a cut answer's body start again
  /// and must start over (JsonBodyInto does). A deadline that passes resends nothing.
  std::vector<Result<HttpResponse>> SendPipelined(const std::vector<Call>& calls) EXCLUDES(mu_);

  /// What a client sent and waited for since `since`, for `jlrec plan -v` and the benchmarks.
  struct Traffic {
    int requests = 0;        ///< HTTP requests (a pipelined batch counts each request)
    int streams_opened = 0;  ///< connections opened (an SSH channel each)
    /// The longest chain of waits each begun after the previous one ended: an exchange, a
    /// pipelined batch (one wait), a stream open (the opener_ call), an OpenStream. Waits that
    /// overlap (concurrent connections) count once. This is the round trips a host costs on a
    /// network whose RTT dominates.
    int sequential_round_trips = 0;
    std::chrono::nanoseconds waiting{0};  ///< union of the wait intervals (wall time)
  };
  /// The waits that began at or after `since` (of the latest kMaxRecordedWaits), summed up.
  Traffic TrafficSince(std::chrono::steady_clock::time_point since) const EXCLUDES(mu_);
  /// How many waits the client remembers for TrafficSince: the oldest are forgotten past it,
  /// so that a long-lived client's memory stays bounded (a refresh makes tens per host).
  static constexpr std::size_t kMaxRecordedWaits = 4096;

  /// The request timeout this client was made with.
  std::chrono::milliseconds request_timeout() const { return options_.request_timeout; }
  /// The daemon host's clock now, as the Date headers of its answers tell it: the local
  /// clock plus (latest answer's Date - local time when that answer arrived). A Date is
  /// whole seconds taken before the answer was sent, so this is never later than the host's
  /// true clock, and at most about a second plus a round trip earlier. nullopt until an
  /// answer (NegotiateVersion's included) carried a valid Date.
  std::optional<std::chrono::system_clock::time_point> HostClockNow() const;

 private:
  // The pool lock is never held across network I/O, hence EXCLUDES on the pool's users.
  Result<HttpResponse> SendTarget(const Call& call, const std::string& target) EXCLUDES(mu_);
  // SendPipelined with each call's whole target given (version prefix included; empty: not
  // negotiated yet).
  std::vector<Result<HttpResponse>> SendPipelinedTargets(const std::vector<Call>& calls,
                                                         const std::vector<std::string>& targets)
      EXCLUDES(mu_);
  // What a daemon says of its API: its version, the oldest it accepts (empty: not said) and
  // its engine release (for messages; may be empty).
  struct DaemonApi {
    std::string version, min_version, engine;
  };
  // What a ping answer says of the daemon's API; nullopt unless it is a 2xx with API-Version.
  static std::optional<DaemonApi> PingApi(const HttpResponse& response);
  // Settles the version from the answer to GET /_ping, asking GET /version when the ping
  // names none (NegotiateVersion's rules); a transport failure is kUnavailable.
  Status SettleVersionFromPing(const Result<HttpResponse>& ping) EXCLUDES(mu_);
  // GET /version, unversioned.
  Result<HttpResponse> SendVersionRequest() EXCLUDES(mu_);
  // Settles the version from the daemon's answer to GET /version.
  Status SettleVersionAnswer(const Result<HttpResponse>& response) EXCLUDES(mu_);
  // Settles the version from what the daemon said (NegotiateVersion's rules).
  Status SettleVersion(const DaemonApi& api) EXCLUDES(mu_);
  // The request `call` makes for `target` (the version prefix already on it).
  static HttpRequest RequestFor(const Call& call, const std::string& target);
  // How `call`'s answer is read, by the deadline its budget gives from now: an error
  // answer's message or a 2xx body as the call wants it; `*first_body_byte` (which must
  // outlive the exchange) is when its body began to arrive, for NoteHostDate.
  HttpExchangeOptions ExchangeFor(
      const Call& call,
      std::optional<std::chrono::system_clock::time_point>* first_body_byte) const;
  // `call`'s failure `st` as Send reports it: naming the daemon and the call, a timeout
  // saying how long was waited.
  Status CallFailure(const Call& call, const Status& st) const;
  // Remembers one wait [start, now] that carried `requests` requests and opened `streams`
  // streams, for TrafficSince.
  void RecordWait(std::chrono::steady_clock::time_point start, int requests, int streams)
      EXCLUDES(mu_);
  Result<std::unique_ptr<HttpConnection>> Acquire(Deadline deadline, bool fresh) EXCLUDES(mu_);
  void Release(std::unique_ptr<HttpConnection> connection) EXCLUDES(mu_);
  // Closes a connection that will not be reused and frees its slot.
  void Discard(std::unique_ptr<HttpConnection> connection) EXCLUDES(mu_);
  // Learns the host's clock from `response`'s Date header, received at `arrived`; a missing
  // or malformed Date changes nothing.
  void NoteHostDate(const HttpResponse& response, std::chrono::system_clock::time_point arrived);

  // What host_clock_offset_ns_ holds before any Date was seen.
  static constexpr std::int64_t kHostClockUnknown = std::numeric_limits<std::int64_t>::min();

  // Declared before the pool so that connections are closed before the opener (which
  // may own the SSH session they run on) is destroyed.
  StreamOpener opener_;
  Options options_;
  mutable Mutex mu_;
  std::condition_variable slot_freed_;  // notified (unlocked) when idle_ or open_ frees a slot
  std::vector<std::unique_ptr<HttpConnection>> idle_ GUARDED_BY(mu_);
  int open_ GUARDED_BY(mu_) = 0;                // idle + in use
  std::string version_prefix_ GUARDED_BY(mu_);  // "/v1.41"; set once, read by every Send
  // One wait on the daemon or the transport, for TrafficSince.
  struct Wait {
    std::chrono::steady_clock::time_point start, end;
    int requests = 0;
    int streams = 0;
  };
  std::vector<Wait> waits_ GUARDED_BY(mu_);  // in the order they ended
  // Host Date minus local arrival time of the latest answer that had a Date, in
  // nanoseconds (kHostClockUnknown before). Atomic: every sending thread updates it.
  std::atomic<std::int64_t> host_clock_offset_ns_{kHostClockUnknown};
};

/// Sends `call` through `api` and parses its 2xx JSON answer as it arrives, keeping what
/// `keep` selects; a non-2xx answer is DockerErrorStatus(answer, `what`), a transport failure
/// Send's.
Result<nlohmann::json> SendForJson(DockerApiClient& api, DockerApiClient::Call call,
                                   const JsonSelection& keep, std::string_view what);

}  // namespace jlrec
