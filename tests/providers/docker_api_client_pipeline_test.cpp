// DockerApiClient's pipelined batches (SendPipelined) and its round-trip accounting
// (TrafficSince), against fake daemons.
#include <catch2/catch.hpp>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "providers/docker_api_client.h"
#include "providers/fake_streams.h"

namespace jlrec {
namespace {

using nlohmann::json;
using testing::FakeDaemon;
using testing::FakeRequest;
using testing::HttpReply;
using testing::PingReply;
using testing::ScriptedStream;
using testing::StreamScript;

const std::string kPingAnswer = PingReply();
// The newest API version the client speaks, "1.52".
const std::string kNewestVersion = "1." + std::to_string(DockerApiClient::kNewestMinorVersion);

// A daemon answering /_ping (as Docker 20.10: API 1.41), HEAD /containers/<id>/archive (a
// stat header, no body), GET /containers/<id>/json (its id and a padding that makes it long)
// and 404 for id "gone", under any /v1.N prefix.
std::string FullAnswer(const FakeRequest& r) {
  if (r.path == "/_ping") return PingReply();
  const std::size_t versioned = r.path.rfind("/v1.", 0) == 0 ? r.path.find('/', 1) : 0;
  const std::string prefix = "/containers/";
  if (versioned == 0 || versioned == std::string::npos ||
      r.path.compare(versioned, prefix.size(), prefix) != 0)
    return HttpReply(500, "{\"message\":\"unexpected\"}");
  const std::string rest = r.path.substr(versioned + prefix.size());
  const std::string id = rest.substr(0, rest.find('/'));
  if (id == "gone") return HttpReply(404, "{\"message\":\"No such container: gone\"}\n");
  if (r.method == "HEAD" && rest == id + "/archive")
    return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
           "X-Docker-Container-Path-Stat: " +
           id + "\r\n\r\n";
  if (r.method == "GET" && rest == id + "/json")
    return HttpReply(200, json{{"Id", id}, {"Padding", std::string(3000, 'p')}}.dump());
  return HttpReply(500, "{\"message\":\"unexpected\"}");
}

// FullAnswer as a server sends it: an answer to HEAD without its body.
std::string Answer(const FakeRequest& r) {
  std::string answer = FullAnswer(r);
  if (r.method == "HEAD") answer.erase(answer.find("\r\n\r\n") + 4);
  return answer;
}

std::unique_ptr<DockerApiClient> Client(DockerApiClient::StreamOpener opener) {
  DockerApiClient::Options options;
  options.peer = "h1 (fake)";
  options.request_timeout = std::chrono::seconds(5);
  return std::make_unique<DockerApiClient>(std::move(opener), options);
}

std::unique_ptr<DockerApiClient> Client(FakeDaemon& daemon) {
  return Client(
      [&daemon](Deadline) -> Result<std::unique_ptr<ByteStream>> { return daemon.Connect(); });
}

DockerApiClient::Call Head(const std::string& id) {
  DockerApiClient::Call call;
  call.method = "HEAD";
  call.path = "/containers/" + id + "/archive";
  call.query = {{"path", "/run.sh"}};
  return call;
}

DockerApiClient::Call Inspect(const std::string& id) {
  DockerApiClient::Call call;
  call.path = "/containers/" + id + "/json";
  return call;
}

// What matters of an answer for comparing a pipelined one with a sequential one.
std::string Describe(const Result<HttpResponse>& r) {
  if (!r.ok()) return r.status().ToString();
  const std::string* stat = r->FindHeader("X-Docker-Container-Path-Stat");
  return std::to_string(r->status) + " " + (stat ? *stat : "-") + " " + r->body;
}

TEST_CASE("pipelined calls get the answers sequential sends get, on one connection",
          "[providers][docker][pipeline]") {
  FakeDaemon daemon(Answer);
  auto api = Client(daemon);
  REQUIRE(api->NegotiateVersion().ok());
  std::vector<DockerApiClient::Call> calls;
  for (const std::string id : {"a1", "b2", "gone", "c3"}) {
    calls.push_back(Head(id));
    calls.push_back(Inspect(id));
  }
  std::vector<std::string> sequential;
  for (const auto& call : calls) sequential.push_back(Describe(api->Send(call)));
  const auto since = std::chrono::steady_clock::now();
  auto pipelined = api->SendPipelined(calls);
  REQUIRE(pipelined.size() == calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    INFO(i);
    CHECK(Describe(pipelined[i]) == sequential[i]);
  }
  // A non-2xx answer in the middle is a result, with Docker's message.
  REQUIRE(pipelined[5].ok());
  CHECK(pipelined[5]->status == 404);
  CHECK(DockerErrorMessage(*pipelined[5]) == "No such container: gone");
  CHECK(pipelined[0]->FindHeader("X-Docker-Container-Path-Stat") != nullptr);
  CHECK(pipelined[0]->body.empty());
  CHECK(daemon.connections() == 1);
  CHECK(api->HostClockNow().has_value());  // the HEAD answers' Date was noted

  const auto traffic = api->TrafficSince(since);
  CHECK(traffic.requests == 8);
  CHECK(traffic.streams_opened == 0);
  CHECK(traffic.sequential_round_trips == 1);
  CHECK(traffic.waiting > std::chrono::nanoseconds(0));
}

TEST_CASE("pipelined calls honour body readers and body limits", "[providers][docker][pipeline]") {
  FakeDaemon daemon(Answer);
  auto api = Client(daemon);
  REQUIRE(api->NegotiateVersion().ok());
  std::vector<DockerApiClient::Call> calls = {Inspect("a1"), Inspect("b2"), Inspect("c3")};
  json first;
  const JsonSelection keep = {JsonField{"Id", {}}};
  calls[0].body_reader = JsonBodyInto(&first, keep);
  calls[1].max_body_bytes = 100;  // the answer is ~3 KB
  auto results = api->SendPipelined(calls);
  REQUIRE(results.size() == 3);
  REQUIRE(results[0].ok());
  CHECK(first == json{{"Id", "a1"}});
  CHECK(results[0]->body.empty());
  REQUIRE_FALSE(results[1].ok());
  CHECK_THAT(
      results[1].status().message(),
      Catch::StartsWith("h1 (fake): GET /containers/b2/json: ") && Catch::Contains("larger than"));
  // The limit cost the connection its framing: the call after it went again on a new one.
  REQUIRE(results[2].ok());
  CHECK(json::parse(results[2]->body)["Id"] == "c3");
  CHECK(daemon.connections() == 2);
}

TEST_CASE("only reads are pipelined", "[providers][docker][pipeline]") {
  FakeDaemon daemon(Answer);
  auto api = Client(daemon);
  SECTION("before version negotiation") {
    auto results = api->SendPipelined({Inspect("a1")});
    CHECK(results[0].status().code() == Status::Code::kInternal);
  }
  SECTION("a POST or a streamed call is refused, the reads go") {
    REQUIRE(api->NegotiateVersion().ok());
    DockerApiClient::Call post = Inspect("a1");
    post.method = "POST";
    DockerApiClient::Call streamed = Inspect("a1");
    streamed.streamed = true;
    auto results = api->SendPipelined({post, Inspect("b2"), streamed});
    CHECK(results[0].status().code() == Status::Code::kInvalidArgument);
    CHECK(results[1].ok());
    CHECK(results[2].status().code() == Status::Code::kInvalidArgument);
    REQUIRE(daemon.requests().size() == 2);  // /_ping and b2
    CHECK(daemon.requests()[1].path == "/v1.41/containers/b2/json");
  }
  SECTION("an empty batch sends nothing") {
    REQUIRE(api->NegotiateVersion().ok());
    CHECK(api->SendPipelined({}).empty());
    CHECK(daemon.requests().size() == 1);
  }
}

TEST_CASE("a connection that breaks in the middle of a batch: the rest go again once",
          "[providers][docker][pipeline]") {
  FakeDaemon daemon(Answer);
  daemon.DropConnectionsAfter(4);  // /_ping, then three answers of the batch
  auto api = Client(daemon);
  REQUIRE(api->NegotiateVersion().ok());
  std::vector<DockerApiClient::Call> calls;
  for (const std::string id : {"a", "b", "c", "d", "e", "f"}) calls.push_back(Inspect(id));
  const auto since = std::chrono::steady_clock::now();
  auto results = api->SendPipelined(calls);
  REQUIRE(results.size() == 6);
  for (std::size_t i = 0; i < 6; ++i) {
    INFO(i);
    REQUIRE(results[i].ok());
    CHECK(json::parse(results[i]->body)["Id"] == calls[i].path.substr(12, 1));
  }
  CHECK(daemon.connections() == 2);
  std::vector<std::string> paths;
  for (const auto& r : daemon.requests()) paths.push_back(r.path);
  CHECK(paths == std::vector<std::string>{"/_ping", "/v1.41/containers/a/json",
                                          "/v1.41/containers/b/json", "/v1.41/containers/c/json",
                                          "/v1.41/containers/d/json", "/v1.41/containers/e/json",
                                          "/v1.41/containers/f/json"});
  const auto traffic = api->TrafficSince(since);
  CHECK(traffic.requests == 9);  // six, then the three cut off
  CHECK(traffic.streams_opened == 1);
  CHECK(traffic.sequential_round_trips == 3);  // the batch, the new stream, the rest
}

// A client whose streams replay `scripts` in turn (one per stream opened).
std::unique_ptr<DockerApiClient> ScriptedClient(std::vector<std::shared_ptr<StreamScript>> scripts,
                                                int* opened) {
  return Client([scripts, opened](Deadline) -> Result<std::unique_ptr<ByteStream>> {
    if (*opened >= static_cast<int>(scripts.size())) return Status::Unavailable("no more streams");
    return std::unique_ptr<ByteStream>(std::make_unique<ScriptedStream>(scripts[(*opened)++]));
  });
}

TEST_CASE("a reused connection closed before the first answer: the whole batch goes again",
          "[providers][docker][pipeline]") {
  auto first = std::make_shared<StreamScript>();
  first->chunks = {kPingAnswer};  // then closed, as a daemon drops an idle connection
  auto second = std::make_shared<StreamScript>();
  second->chunks = {HttpReply(200, "{\"Id\":\"a\"}") + HttpReply(404, "{\"message\":\"no\"}")};
  int opened = 0;
  auto api = ScriptedClient({first, second}, &opened);
  REQUIRE(api->NegotiateVersion().ok());
  auto results = api->SendPipelined({Inspect("a"), Inspect("b")});
  REQUIRE(results[0].ok());
  CHECK(results[0]->body == "{\"Id\":\"a\"}");
  REQUIRE(results[1].ok());
  CHECK(results[1]->status == 404);
  CHECK(opened == 2);
  CHECK_THAT(second->written, Catch::Contains("GET /v1.41/containers/a/json") &&
                                  Catch::Contains("GET /v1.41/containers/b/json"));
}

TEST_CASE("a batch is resent once at most, and never after a timeout",
          "[providers][docker][pipeline]") {
  int opened = 0;
  SECTION("a fresh connection closed before the first answer is not retried") {
    auto version = std::make_shared<StreamScript>();
    version->chunks = {kPingAnswer, HttpReply(200, "{}")};
    auto closed = std::make_shared<StreamScript>();
    auto api = ScriptedClient({version, closed}, &opened);
    REQUIRE(api->NegotiateVersion().ok());
    // The first stream answers one call and closes: the second call goes again on a fresh
    // stream, which closes before answering: that is its result, not one more try.
    auto results = api->SendPipelined({Inspect("a"), Inspect("b")});
    REQUIRE(results[0].ok());
    CHECK(results[1].status().code() == Status::Code::kUnavailable);
    CHECK_THAT(results[1].status().message(),
               Catch::StartsWith("h1 (fake): GET /containers/b/json"));
    CHECK(opened == 2);
  }
  SECTION("a timeout") {
    auto version = std::make_shared<StreamScript>();
    version->eof_at_end = false;
    version->chunks = {kPingAnswer, HttpReply(200, "{}")};
    auto api = ScriptedClient({version}, &opened);
    REQUIRE(api->NegotiateVersion().ok());
    auto results = api->SendPipelined({Inspect("a"), Inspect("b"), Inspect("c")});
    REQUIRE(results[0].ok());
    CHECK(results[1].status().code() == Status::Code::kTimeout);
    CHECK_THAT(results[1].status().message(), Catch::Contains("no complete answer within 5s"));
    CHECK(results[2].status().code() == Status::Code::kUnavailable);
    CHECK(opened == 1);
  }
}

TEST_CASE("traffic counts requests, streams and sequential round trips",
          "[providers][docker][pipeline]") {
  FakeDaemon daemon(Answer);
  auto api = Client(daemon);
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(api->NegotiateVersion().ok());
  auto connect = api->TrafficSince(start);
  CHECK(connect.requests == 1);
  CHECK(connect.streams_opened == 1);
  CHECK(connect.sequential_round_trips == 2);  // the stream's open, then /_ping

  const auto since = std::chrono::steady_clock::now();
  for (const std::string id : {"a", "b", "c"}) REQUIRE(api->Send(Inspect(id)).ok());
  auto three = api->TrafficSince(since);
  CHECK(three.requests == 3);
  CHECK(three.streams_opened == 0);
  CHECK(three.sequential_round_trips == 3);

  const auto later = std::chrono::steady_clock::now();
  auto batch = api->SendPipelined({Inspect("a"), Head("a"), Inspect("b")});
  for (const auto& r : batch) REQUIRE(r.ok());
  auto one = api->TrafficSince(later);
  CHECK(one.requests == 3);
  CHECK(one.sequential_round_trips == 1);
  CHECK(one.waiting <= std::chrono::steady_clock::now() - later);
  CHECK(api->TrafficSince(start).sequential_round_trips == 6);
  CHECK(api->TrafficSince(std::chrono::steady_clock::now()).requests == 0);
}

// Streams whose answers wait until a given number of requests has been written across all of
// them: two Sends from two threads are then surely in flight at once.
struct Gate {
  std::mutex mu;
  std::condition_variable changed;
  int arrived = 0;     // requests written, all streams together
  int release_at = 0;  // answers are read once this many arrived
};

class GatedStream : public ByteStream {
 public:
  explicit GatedStream(Gate* gate) : gate_(gate) {}
  Status WriteAll(std::string_view data, Deadline) override {
    pending_.append(data);
    while (auto request = testing::TakeFakeRequest(pending_)) {
      replies_ += Answer(*request);
      std::lock_guard lock(gate_->mu);
      ++gate_->arrived;
      gate_->changed.notify_all();
    }
    return Status::Ok();
  }
  Result<std::size_t> ReadSome(char* buffer, std::size_t capacity, Deadline deadline) override {
    std::unique_lock lock(gate_->mu);
    if (!gate_->changed.wait_until(lock, deadline,
                                   [this] { return gate_->arrived >= gate_->release_at; }) ||
        replies_.empty())
      return Status::Timeout("gated stream: no answer");
    std::size_t n = std::min(capacity, replies_.size());
    std::memcpy(buffer, replies_.data(), n);
    replies_.erase(0, n);
    return n;
  }
  bool Usable() const override { return true; }
  Status CloseWrite() override { return Status::Ok(); }
  void SetInterruption(std::function<bool()>) override {}

 private:
  Gate* gate_;
  std::string pending_;
  std::string replies_;
};

TEST_CASE("overlapping sends from two threads count as one round trip",
          "[providers][docker][pipeline]") {
  Gate gate;
  auto api = Client([&gate](Deadline) -> Result<std::unique_ptr<ByteStream>> {
    return std::unique_ptr<ByteStream>(std::make_unique<GatedStream>(&gate));
  });
  REQUIRE(api->NegotiateVersion().ok());
  // Twice: first to open the second connection, then with both connections idle in the pool.
  auto overlapping_pair = [&] {
    {
      std::lock_guard lock(gate.mu);
      gate.release_at = gate.arrived + 2;
    }
    Status a, b;
    std::thread other([&] { a = api->Send(Inspect("a")).status(); });
    b = api->Send(Inspect("b")).status();
    other.join();
    CHECK(a.ok());
    CHECK(b.ok());
  };
  overlapping_pair();
  const auto since = std::chrono::steady_clock::now();
  overlapping_pair();
  auto traffic = api->TrafficSince(since);
  CHECK(traffic.requests == 2);
  CHECK(traffic.streams_opened == 0);
  CHECK(traffic.sequential_round_trips == 1);
}

TEST_CASE("the version is negotiated in the first batch's round trip",
          "[providers][docker][pipeline]") {
  SECTION("a daemon that speaks the newest version answers the batch as sent") {
    FakeDaemon daemon([](const FakeRequest& r) {
      return r.path == "/_ping" ? PingReply(kNewestVersion) : Answer(r);
    });
    auto api = Client(daemon);
    const auto start = std::chrono::steady_clock::now();
    std::vector<Result<HttpResponse>> results;
    REQUIRE(api->NegotiateVersionPipelined({Inspect("a"), Head("b")}, &results).ok());
    CHECK(api->api_version() == kNewestVersion);
    REQUIRE(results.size() == 2);
    REQUIRE(results[0].ok());
    CHECK(json::parse(results[0]->body)["Id"] == "a");
    REQUIRE(results[1].ok());
    CHECK(*results[1]->FindHeader("X-Docker-Container-Path-Stat") == "b");
    REQUIRE(daemon.requests().size() == 3);
    CHECK(daemon.requests()[0].path == "/_ping");
    CHECK(daemon.requests()[1].path == "/v" + kNewestVersion + "/containers/a/json");
    const auto traffic = api->TrafficSince(start);
    CHECK(traffic.requests == 3);
    CHECK(traffic.streams_opened == 1);
    CHECK(traffic.sequential_round_trips == 2);  // the stream's open, then one batch
  }
  SECTION("an older daemon: the batch goes again in its version") {
    FakeDaemon daemon([](const FakeRequest& r) -> std::string {
      if (r.path == "/_ping") return PingReply("1.40");
      if (r.path.rfind("/v1.40/", 0) == 0) return HttpReply(200, "{\"Id\":\"a\"}");
      return HttpReply(400, "{\"message\":\"client version " + kNewestVersion +
                                " is too new. Maximum supported API version is 1.40\"}");
    });
    auto api = Client(daemon);
    std::vector<Result<HttpResponse>> results;
    REQUIRE(api->NegotiateVersionPipelined({Inspect("a")}, &results).ok());
    CHECK(api->api_version() == "1.40");
    REQUIRE(results.size() == 1);
    REQUIRE(results[0].ok());
    CHECK(results[0]->status == 200);
    REQUIRE(daemon.requests().size() == 3);
    CHECK(daemon.requests()[2].path == "/v1.40/containers/a/json");
  }
  SECTION("a daemon too old: each call has negotiation's failure") {
    FakeDaemon daemon([](const FakeRequest& r) -> std::string {
      return r.path == "/_ping" ? PingReply("1.24") : HttpReply(500, "{}");
    });
    auto api = Client(daemon);
    std::vector<Result<HttpResponse>> results;
    Status st = api->NegotiateVersionPipelined({Inspect("a"), Inspect("b")}, &results);
    CHECK(st.code() == Status::Code::kUnavailable);
    REQUIRE(results.size() == 2);
    CHECK(results[1].status().message() == st.message());
  }
}

}  // namespace
}  // namespace jlrec
