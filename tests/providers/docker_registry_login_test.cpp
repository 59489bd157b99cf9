// The Docker provider's pulls and registry digest checks with registry logins: the header
// they carry, and the daemon's answers to a missing or refused login (as Docker 20.10 words
// them, checked on the lab) turned into errors that name the registry and the user.
#include <catch2/catch.hpp>

#include <openssl/evp.h>

#include "providers/docker_provider.h"
#include "providers/fake_streams.h"

namespace jlrec {
namespace {

using nlohmann::json;
using testing::ChunkedReply;
using testing::FakeDaemon;
using testing::FakeRequest;
using testing::HttpReply;
using testing::PingReply;

constexpr const char* kPassword = "lab-Secret-42";
constexpr const char* kDigest =
    "sha256:41ddd75558a184e7c09dfa34888d2e751c9f9d99cfc33463453452efd97bbb22";

std::string Message(int status, const std::string& message) {
  return HttpReply(status, json{{"message", message}}.dump() + "\n");
}

// The JSON in an X-Registry-Auth value (base64url, padded).
json DecodeAuthHeader(std::string text) {
  for (char& c : text) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  REQUIRE(n >= 0);
  while (!text.empty() && text.back() == '=') {
    text.pop_back();
    --n;
  }
  out.resize(static_cast<std::size_t>(n));
  return json::parse(out);
}

// The lab's login-protected registry, as the daemon relays it: 127.0.0.1:5001 wants
// jlrec-lab/kPassword; 127.0.0.1:5000 wants nothing.
FakeDaemon::Handler LabDaemon() {
  return [](const FakeRequest& r) -> std::string {
    if (r.path == "/_ping") return PingReply();
    if (r.path == "/version")
      return HttpReply(200, R"({"ApiVersion":"1.41","MinAPIVersion":"1.12","Version":"20.10.24"})");
    const bool private_registry =
        r.path.find("127.0.0.1:5001") != std::string::npos ||
        (r.query.count("fromImage") && r.query.at("fromImage").rfind("127.0.0.1:5001/", 0) == 0);
    const bool is_pull = r.path == "/v1.41/images/create";
    if (private_registry) {
      auto header = r.headers.find("x-registry-auth");
      if (header == r.headers.end())
        return Message(500,
                       "Head \"http://127.0.0.1:5001/v2/jlrec-lab/private/manifests/1\": no basic "
                       "auth credentials");
      json login = DecodeAuthHeader(header->second);
      if (login.value("username", "") != "jlrec-lab" || login.value("password", "") != kPassword)
        return Message(is_pull ? 500 : 401, "unauthorized: authentication required");
    }
    if (is_pull) return ChunkedReply(200, "{\"status\":\"Status: Downloaded newer image\"}\n", 16);
    if (r.path.rfind("/v1.41/distribution/", 0) == 0)
      return HttpReply(200, json{{"Descriptor", {{"digest", kDigest}}}}.dump());
    return Message(500, "unexpected request " + r.path);
  };
}

std::unique_ptr<DockerProvider> Provider(FakeDaemon& daemon, std::shared_ptr<RegistryAuth> auth) {
  DockerApiClient::Options options;
  options.peer = "lab1 (fake)";
  options.request_timeout = std::chrono::seconds(5);
  auto api = std::make_unique<DockerApiClient>(
      [&daemon](Deadline) -> Result<std::unique_ptr<ByteStream>> { return daemon.Connect(); },
      options);
  REQUIRE(api->NegotiateVersion().ok());
  return std::make_unique<DockerProvider>("lab1", std::move(api), std::move(auth));
}

// A RegistryAuth with the manifest's `logins` and no Docker client configuration.
std::shared_ptr<RegistryAuth> ManifestLogins(std::map<std::string, RegistryLogin> logins) {
  return std::make_shared<RegistryAuth>(
      std::move(logins), [] { return Result<std::optional<DockerClientConfig>>(std::nullopt); },
      [](const std::string&, const std::string&) {
        return Result<std::optional<RegistryCredential>>(std::nullopt);
      });
}

std::shared_ptr<RegistryAuth> LabLogin(const std::string& password) {
  return ManifestLogins({{"127.0.0.1:5001", {"127.0.0.1:5001", "jlrec-lab", password}}});
}

TEST_CASE("pulls and digest checks carry X-Registry-Auth for the image's registry only",
          "[providers][docker][registry-auth]") {
  FakeDaemon daemon(LabDaemon());
  auto provider = Provider(daemon, LabLogin(kPassword));
  REQUIRE(provider->PullImage("127.0.0.1:5001/jlrec-lab/private:1").ok());
  const FakeRequest pull = daemon.requests().back();
  CHECK(pull.query.at("fromImage") == "127.0.0.1:5001/jlrec-lab/private");
  CHECK(DecodeAuthHeader(pull.headers.at("x-registry-auth")) ==
        json{{"username", "jlrec-lab"},
             {"password", kPassword},
             {"serveraddress", "127.0.0.1:5001"}});

  auto digest = provider->ResolveImageDigest("127.0.0.1:5001/jlrec-lab/private:1");
  REQUIRE(digest.ok());
  CHECK(*digest == kDigest);
  CHECK(daemon.requests().back().headers.count("x-registry-auth") == 1);

  // Another registry gets no login it was not given.
  REQUIRE(provider->PullImage("127.0.0.1:5000/jlrec-lab/base:1").ok());
  CHECK(daemon.requests().back().headers.count("x-registry-auth") == 0);
  REQUIRE(provider->ResolveImageDigest("127.0.0.1:5000/jlrec-lab/base:1").ok());
  CHECK(daemon.requests().back().headers.count("x-registry-auth") == 0);
}

TEST_CASE("a refused login names the registry and the user, never the password",
          "[providers][docker][registry-auth]") {
  FakeDaemon daemon(LabDaemon());
  auto provider = Provider(daemon, LabLogin("wrong-password"));
  Status pull = provider->PullImage("127.0.0.1:5001/jlrec-lab/private:1");
  CHECK(pull.code() == Status::Code::kRemoteError);
  CHECK(pull.message() ==
        "lab1: pull 127.0.0.1:5001/jlrec-lab/private:1: registry 127.0.0.1:5001 refused the "
        "credentials for jlrec-lab (from the manifest's registries:; the daemon said: "
        "unauthorized: authentication required)");
  // A 401 from /distribution is neither "not found" (the image would count as missing) nor
  // "unreachable".
  auto digest = provider->ResolveImageDigest("127.0.0.1:5001/jlrec-lab/private:1");
  CHECK(digest.status().code() == Status::Code::kRemoteError);
  CHECK_THAT(digest.status().message(),
             Catch::Contains("lab1: resolve 127.0.0.1:5001/jlrec-lab/private:1 at its registry: "
                             "registry 127.0.0.1:5001 refused the credentials for jlrec-lab"));
  CHECK(digest.status().message().find("wrong-password") == std::string::npos);
}

TEST_CASE("a registry that wants a login jlrec does not have says how to give one",
          "[providers][docker][registry-auth]") {
  FakeDaemon daemon(LabDaemon());
  for (auto auth : {std::shared_ptr<RegistryAuth>(), ManifestLogins({})}) {
    auto provider = Provider(daemon, auth);
    Status pull = provider->PullImage("127.0.0.1:5001/jlrec-lab/private:1");
    CHECK(pull.code() == Status::Code::kRemoteError);
    CHECK_THAT(pull.message(),
               Catch::StartsWith("lab1: pull 127.0.0.1:5001/jlrec-lab/private:1: registry "
                                 "127.0.0.1:5001 requires a login and jlrec has none for it: add "
                                 "it under registries: in the manifest, or run docker login "
                                 "127.0.0.1:5001 (the daemon said: Head "));
    CHECK(daemon.requests().back().headers.count("x-registry-auth") == 0);
    // Docker answers this with a 500, which alone would read as "registry unreachable".
    auto digest = provider->ResolveImageDigest("127.0.0.1:5001/jlrec-lab/private:1");
    CHECK(digest.status().code() == Status::Code::kRemoteError);
    CHECK_THAT(digest.status().message(), Catch::Contains("requires a login"));
  }
}

TEST_CASE("a login failure in the pull's progress stream is reported the same way",
          "[providers][docker][registry-auth]") {
  FakeDaemon daemon([](const FakeRequest& r) -> std::string {
    if (r.path == "/_ping") return PingReply();
    return ChunkedReply(200,
                        "{\"status\":\"Pulling from jlrec-lab/private\"}\n"
                        "{\"errorDetail\":{\"message\":\"unauthorized: authentication "
                        "required\"},\"error\":\"unauthorized: authentication required\"}\n",
                        9);
  });
  auto provider = Provider(daemon, LabLogin("wrong-password"));
  Status pull = provider->PullImage("127.0.0.1:5001/jlrec-lab/private:1");
  CHECK(pull.code() == Status::Code::kRemoteError);
  CHECK_THAT(pull.message(),
             Catch::Contains("registry 127.0.0.1:5001 refused the credentials for jlrec-lab"));
}

TEST_CASE("a login that cannot be looked up fails the pull before the daemon is asked",
          "[providers][docker][registry-auth]") {
  FakeDaemon daemon(LabDaemon());
  auto auth = std::make_shared<RegistryAuth>(
      std::map<std::string, RegistryLogin>{},
      [] {
        return Result<std::optional<DockerClientConfig>>(std::optional<DockerClientConfig>(
            DockerClientConfig{"/c/config.json", {}, "gone", {}}));
      },
      [](const std::string& helper, const std::string&) {
        return Result<std::optional<RegistryCredential>>(
            Status::Unavailable("docker-credential-" + helper + " is not on PATH"));
      });
  auto provider = Provider(daemon, auth);
  const std::size_t before = daemon.requests().size();
  Status pull = provider->PullImage("127.0.0.1:5001/jlrec-lab/private:1");
  CHECK(pull.code() == Status::Code::kUnavailable);
  CHECK(pull.message() ==
        "lab1: pull 127.0.0.1:5001/jlrec-lab/private:1: no login for registry 127.0.0.1:5001: "
        "docker-credential-gone is not on PATH");
  CHECK(daemon.requests().size() == before);
}

}  // namespace
}  // namespace jlrec
