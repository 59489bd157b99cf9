// Where a registry login comes from: the image's registry, the manifest, the Docker client
// configuration (auths, credsStore, credHelpers) and real docker-credential-NAME helpers; and
// the X-Registry-Auth form the daemon takes it in.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "model/registry_host.h"
#include "providers/credential_helper.h"
#include "providers/docker_client_config.h"
#include "providers/registry_auth.h"

namespace jlrec {
namespace {

using nlohmann::json;

constexpr const char* kSecret = "s3cret-Pw/+=";

// base64url as the daemon decodes it (padded), back to bytes.
std::string DecodeBase64Url(std::string text) {
  for (char& c : text) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  REQUIRE(n >= 0);
  std::size_t size = static_cast<std::size_t>(n);
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) --size;
  out.resize(size);
  return out;
}

std::string Base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

DockerClientConfig Config(const std::string& text) {
  auto config = ParseDockerClientConfig(text, "/home/op/.docker/config.json");
  REQUIRE(config.ok());
  return *config;
}

// A helper runner that records what it was asked and answers from `answers` (by helper).
struct RecordingHelpers {
  std::vector<std::pair<std::string, std::string>> asked;  // helper, registry
  std::map<std::string, Result<std::optional<RegistryCredential>>> answers;
  CredentialHelperRunner Runner() {
    return [this](const std::string& helper, const std::string& registry) {
      asked.emplace_back(helper, registry);
      auto it = answers.find(helper);
      if (it == answers.end()) return Result<std::optional<RegistryCredential>>(std::nullopt);
      return it->second;
    };
  }
};

RegistryCredential HelperLogin(const std::string& registry, const std::string& user) {
  RegistryCredential c;
  c.registry = registry;
  c.username = user;
  c.password = kSecret;
  c.source = "credential helper test";
  return c;
}

// A temp folder put first on this process's PATH for its lifetime (helpers are looked up
// there), with helper scripts written into it.
class HelperDir {
 public:
  HelperDir() {
    char tmpl[] = "/tmp/jlrec-helpers-XXXXXX";
    dir_ = mkdtemp(tmpl);
    const char* path = std::getenv("PATH");
    old_path_ = path ? path : "";
    setenv("PATH", (dir_ + ":" + old_path_).c_str(), 1);
  }
  ~HelperDir() {
    setenv("PATH", old_path_.c_str(), 1);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // Writes docker-credential-`name` with `body` (a /bin/sh script).
  void Write(const std::string& name, const std::string& body) const {
    const std::string path = dir_ + "/docker-credential-" + name;
    std::ofstream(path) << "#!/bin/sh\n" << body;
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  }

 private:
  std::string dir_, old_path_;
};

TEST_CASE("an image's registry is its first path component when that names a host",
          "[providers][registry-auth]") {
  CHECK(RegistryHostOf("127.0.0.1:5001/jlrec-lab/private:1") == "127.0.0.1:5001");
  CHECK(RegistryHostOf("registry.example.com/team/app@sha256:ab") == "registry.example.com");
  CHECK(RegistryHostOf("localhost/app:1") == "localhost");
  CHECK(RegistryHostOf("localhost:5000/app") == "localhost:5000");
  CHECK(RegistryHostOf("busybox") == "docker.io");
  CHECK(RegistryHostOf("busybox:1.36") == "docker.io");
  CHECK(RegistryHostOf("team/app:1") == "docker.io");
  CHECK(RegistryHostOf("docker.io/library/busybox") == "docker.io");
  CHECK(RegistryHostOf("index.docker.io/library/busybox") == "docker.io");
  CHECK(CredentialKeyOf("docker.io") == "https://index.docker.io/v1/");
  CHECK(CredentialKeyOf("127.0.0.1:5001") == "127.0.0.1:5001");
}

TEST_CASE("X-Registry-Auth is base64url JSON with the login and the server",
          "[providers][registry-auth]") {
  RegistryCredential login = HelperLogin("127.0.0.1:5001", "jlrec-lab");
  const std::string header = RegistryAuthHeader(login);
  CHECK(header.find_first_of("+/") == std::string::npos);
  CHECK(json::parse(DecodeBase64Url(header)) == json{{"username", "jlrec-lab"},
                                                     {"password", kSecret},
                                                     {"serveraddress", "127.0.0.1:5001"}});

  RegistryCredential token;
  token.registry = "docker.io";
  token.identity_token = "refresh-token";
  CHECK(json::parse(DecodeBase64Url(RegistryAuthHeader(token))) ==
        json{{"identitytoken", "refresh-token"}, {"serveraddress", "https://index.docker.io/v1/"}});
  CHECK(token.Who() == "an identity token");
  CHECK(login.Who() == "jlrec-lab");
}

TEST_CASE("the Docker client config is found where the docker CLI looks",
          "[providers][registry-auth]") {
  std::map<std::string, std::string> env;
  auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  CHECK(DockerClientConfigPath(lookup) == "");
  env["HOME"] = "/home/op";
  CHECK(DockerClientConfigPath(lookup) == "/home/op/.docker/config.json");
  env["DOCKER_CONFIG"] = "/etc/ci-docker";
  CHECK(DockerClientConfigPath(lookup) == "/etc/ci-docker/config.json");

  auto absent = LoadDockerClientConfig("/nonexistent/jlrec/config.json");
  REQUIRE(absent.ok());
  CHECK_FALSE(absent->has_value());
}

TEST_CASE("auths entries give their user:password or identity token, by host or URL key",
          "[providers][registry-auth]") {
  DockerClientConfig config = Config(json{
      {"auths",
       {{"127.0.0.1:5001", {{"auth", Base64(std::string("jlrec-lab:") + kSecret)}}},
        {"https://registry.example.com/v1/", {{"auth", Base64("url-user:pw")}}},
        {"token.example.com", {{"identitytoken", "tok"}}},
        {"https://index.docker.io/v1/", {{"auth", Base64("hub-user:pw")}}},
        {"broken.example.com",
         {{"auth", "not base64!"}}}}}}.dump());
  RecordingHelpers helpers;
  auto lab = CredentialFromClientConfig(config, "127.0.0.1:5001", helpers.Runner());
  REQUIRE(lab.ok());
  REQUIRE(lab->has_value());
  CHECK((*lab)->username == "jlrec-lab");
  CHECK((*lab)->password == kSecret);
  CHECK((*lab)->source == "/home/op/.docker/config.json");
  CHECK((*CredentialFromClientConfig(config, "registry.example.com", helpers.Runner()))->username ==
        "url-user");
  CHECK((*CredentialFromClientConfig(config, "token.example.com", helpers.Runner()))
            ->identity_token == "tok");
  CHECK((*CredentialFromClientConfig(config, "docker.io", helpers.Runner()))->username ==
        "hub-user");
  CHECK_FALSE(
      CredentialFromClientConfig(config, "other.example.com", helpers.Runner())->has_value());
  auto broken = CredentialFromClientConfig(config, "broken.example.com", helpers.Runner());
  CHECK(broken.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(broken.status().message(),
             Catch::Contains("auths[\"broken.example.com\"].auth is not base64 of user:password"));
  CHECK(helpers.asked.empty());
}

TEST_CASE("credHelpers win over credsStore, which wins over auths, and a helper's answer is final",
          "[providers][registry-auth]") {
  DockerClientConfig config =
      Config(json{{"auths", {{"127.0.0.1:5001", {{"auth", Base64("file-user:pw")}}}}},
                  {"credsStore", "store"},
                  {"credHelpers", {{"registry.example.com", "per-registry"}}}}
                 .dump());
  RecordingHelpers helpers;
  helpers.answers.emplace("per-registry", std::optional<RegistryCredential>(
                                              HelperLogin("registry.example.com", "helper-user")));
  auto from_helper = CredentialFromClientConfig(config, "registry.example.com", helpers.Runner());
  REQUIRE(from_helper.ok());
  CHECK((*from_helper)->username == "helper-user");
  // The store has nothing for the lab registry: the docker CLI then sends no login either.
  auto from_store = CredentialFromClientConfig(config, "127.0.0.1:5001", helpers.Runner());
  REQUIRE(from_store.ok());
  CHECK_FALSE(from_store->has_value());
  CHECK(helpers.asked ==
        std::vector<std::pair<std::string, std::string>>{{"per-registry", "registry.example.com"},
                                                         {"store", "127.0.0.1:5001"}});
}

TEST_CASE("a config.json that is not the docker CLI's shape is an error that quotes no value",
          "[providers][registry-auth]") {
  for (const std::string& text :
       {std::string("{\"auths\": {\"h\": {\"auth\": \"") + kSecret + "\"", std::string("[]"),
        std::string("{\"auths\": []}"), std::string("{\"credHelpers\": {\"h\": 1}}")}) {
    INFO(text);
    auto parsed = ParseDockerClientConfig(text, "/c/config.json");
    CHECK(parsed.status().code() == Status::Code::kInvalidArgument);
    CHECK_THAT(parsed.status().message(), Catch::StartsWith("/c/config.json"));
    CHECK(parsed.status().message().find(kSecret) == std::string::npos);
  }
}

TEST_CASE("the manifest's login for a registry wins, the client config is read once, on need",
          "[providers][registry-auth]") {
  int loads = 0;
  RecordingHelpers helpers;
  helpers.answers.emplace("store", std::optional<RegistryCredential>(
                                       HelperLogin("registry.example.com", "store-user")));
  RegistryAuth auth(
      {{"127.0.0.1:5001", RegistryLogin{"127.0.0.1:5001", "manifest-user", kSecret}}},
      [&]() -> Result<std::optional<DockerClientConfig>> {
        ++loads;
        return std::optional<DockerClientConfig>(Config(R"({"credsStore": "store"})"));
      },
      helpers.Runner());
  auto manifest = auth.CredentialFor("127.0.0.1:5001");
  REQUIRE(manifest.ok());
  CHECK((*manifest)->username == "manifest-user");
  CHECK((*manifest)->password == kSecret);
  CHECK((*manifest)->source == "the manifest's registries:");
  CHECK(loads == 0);
  for (int i = 0; i < 3; ++i) {
    auto stored = auth.CredentialFor("registry.example.com");
    REQUIRE(stored.ok());
    CHECK((*stored)->username == "store-user");
  }
  CHECK(loads == 1);
  CHECK(helpers.asked.size() == 1);  // once per registry, however often it is asked
}

TEST_CASE("without any client config there is no login, a broken one is kUnavailable",
          "[providers][registry-auth]") {
  RecordingHelpers helpers;
  RegistryAuth none(
      {}, [] { return Result<std::optional<DockerClientConfig>>(std::nullopt); }, helpers.Runner());
  auto nothing = none.CredentialFor("127.0.0.1:5001");
  REQUIRE(nothing.ok());
  CHECK_FALSE(nothing->has_value());

  RegistryAuth broken(
      {},
      [] { return Result<std::optional<DockerClientConfig>>(Status::InvalidArgument("x is bad")); },
      helpers.Runner());
  auto failed = broken.CredentialFor("127.0.0.1:5001");
  CHECK(failed.status().code() == Status::Code::kUnavailable);
  CHECK(failed.status().message() ==
        "no login for registry 127.0.0.1:5001: the Docker client configuration cannot be used: x "
        "is bad");
}

TEST_CASE("a registry refusal names the registry, the user and the source, never the secret",
          "[providers][registry-auth]") {
  CHECK(IsRegistryLoginFailure("unauthorized: authentication required"));
  CHECK(
      IsRegistryLoginFailure("Head \"http://127.0.0.1:5001/v2/jlrec-lab/private/manifests/1\": no "
                             "basic auth credentials"));
  CHECK(IsRegistryLoginFailure(
      "Get \"https://registry-1.docker.io/v2/\": unauthorized: incorrect username or password"));
  CHECK_FALSE(IsRegistryLoginFailure("manifest unknown: manifest unknown"));
  CHECK_FALSE(IsRegistryLoginFailure("dial tcp 127.0.0.1:5009: connect: connection refused"));

  Status refused = RegistryRefusedLogin("lab1: pull x", HelperLogin("127.0.0.1:5001", "jlrec-lab"),
                                        "unauthorized: authentication required");
  CHECK(refused.code() == Status::Code::kRemoteError);
  CHECK(refused.message() ==
        "lab1: pull x: registry 127.0.0.1:5001 refused the credentials for jlrec-lab (from "
        "credential helper test; the daemon said: unauthorized: authentication required)");
  Status missing =
      RegistryLoginMissing("lab1: pull x", "127.0.0.1:5001", "no basic auth credentials");
  CHECK(missing.message() ==
        "lab1: pull x: registry 127.0.0.1:5001 requires a login and jlrec has none for it: add it "
        "under registries: in the manifest, or run docker login 127.0.0.1:5001 (the daemon said: "
        "no basic auth credentials)");
}

TEST_CASE("a credential helper is run like the docker CLI runs it", "[providers][registry-auth]") {
  HelperDir dir;
  // It gets the server key on stdin and answers with JSON; "get" is its only argument.
  dir.Write("jlrectest",
            "[ \"$1\" = get ] || exit 9\n"
            "server=$(cat)\n"
            "case \"$server\" in\n"
            "  127.0.0.1:5001) printf '{\"ServerURL\":\"%s\",\"Username\":\"u1\",\"Secret\":\"" +
                std::string(kSecret) +
                "\"}' \"$server\" ;;\n"
                "  https://index.docker.io/v1/) printf "
                "'{\"ServerURL\":\"x\",\"Username\":\"<token>\",\"Secret\":\"tok\"}' ;;\n"
                "  *) echo 'credentials not found in native keychain'; exit 1 ;;\n"
                "esac\n");
  auto lab = RunCredentialHelper("jlrectest", "127.0.0.1:5001");
  REQUIRE(lab.ok());
  REQUIRE(lab->has_value());
  CHECK((*lab)->registry == "127.0.0.1:5001");
  CHECK((*lab)->username == "u1");
  CHECK((*lab)->password == kSecret);
  CHECK((*lab)->source == "credential helper docker-credential-jlrectest");
  auto hub = RunCredentialHelper("jlrectest", "docker.io");
  REQUIRE(hub.ok());
  CHECK((*hub)->identity_token == "tok");
  CHECK((*hub)->username.empty());
  auto none = RunCredentialHelper("jlrectest", "other.example.com");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
}

TEST_CASE("a credential helper that is missing, fails, babbles or hangs is a clear error",
          "[providers][registry-auth]") {
  HelperDir dir;
  auto missing = RunCredentialHelper("jlrec-no-such-helper", "127.0.0.1:5001");
  CHECK(missing.status().code() == Status::Code::kUnavailable);
  CHECK(missing.status().message() ==
        "docker-credential-jlrec-no-such-helper is not on PATH (the Docker client configuration "
        "names credential helper jlrec-no-such-helper for 127.0.0.1:5001)");
  CHECK_THAT(RunCredentialHelper("../evil", "h.example.com").status().message(),
             Catch::Contains("must be a plain name"));

  dir.Write("jlrecfail", "echo 'keychain is locked' >&2\nexit 3\n");
  CHECK(RunCredentialHelper("jlrecfail", "127.0.0.1:5001").status().message() ==
        "docker-credential-jlrecfail get failed for 127.0.0.1:5001 (exit 3: keychain is locked)");

  dir.Write("jlrecbabble", std::string("echo 'the secret is ") + kSecret + "'\n");
  auto babble = RunCredentialHelper("jlrecbabble", "127.0.0.1:5001");
  CHECK(babble.status().code() == Status::Code::kUnavailable);
  CHECK(babble.status().message().find(kSecret) == std::string::npos);

  // It never reads its stdin and sleeps in a child that holds its stdout open.
  dir.Write("jlrechang", "exec sleep 30\n");
  auto started = std::chrono::steady_clock::now();
  auto hung = RunCredentialHelper("jlrechang", "127.0.0.1:5001", std::chrono::milliseconds(300));
  CHECK(hung.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(hung.status().message(), Catch::Contains("did not answer within 0.3s"));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
}

}  // namespace
}  // namespace jlrec
