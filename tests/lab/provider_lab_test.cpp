// The SSH provider against the real lab: sshd + dockerd per host, a local registry. What
// every Provider promises (containers, files, exec, images) is checked by the Provider
// contract (provider_contract_lab_test.cpp); these tests are of what only the SSH + Docker
// provider has: hosts, keys, logins, hung or stopped hosts and daemons, dial-stdio,
// concurrency.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "providers/docker_api_client.h"
#include "providers/http_connection.h"
#include "providers/ssh_provider.h"
#include "providers/ssh_session.h"
#include "support/finally.h"
#include "support/lab_env.h"
#include "support/subprocess.h"

extern char** environ;

namespace jlrec {
namespace {

using testing::Finally;
using testing::LabCommand;
using testing::LabEnv;
using testing::ReadLabEnv;
using testing::RunProcess;

std::unique_ptr<Provider> OpenLab(int n, ConnectOptions options = {}) {
  auto provider = MakeSshProviderFactory()->Open(ReadLabEnv().Connection(n), options);
  INFO(provider.status().ToString());
  REQUIRE(provider.ok());
  return std::move(*provider);
}

// A private directory under /tmp, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/ptest-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "SHA256:..." of a public key file, as ssh-keygen prints it.
std::string Fingerprint(const std::string& pub_file) {
  auto r = RunProcess({"ssh-keygen", "-l", "-E", "sha256", "-f", pub_file});
  REQUIRE(r.exit_code == 0);
  std::istringstream in(r.out);
  std::string bits, fingerprint;
  in >> bits >> fingerprint;
  return fingerprint;
}

void EnsureImage(Provider& provider, const std::string& image) {
  auto has = provider.HasImage(image);
  REQUIRE(has.ok());
  if (!*has) {
    Status pulled = provider.PullImage(image);
    INFO(pulled.ToString());
    REQUIRE(pulled.ok());
  }
}

TEST_CASE("connects to every lab host and lists its containers", "[lab][provider]") {
  LabEnv env = ReadLabEnv();
  for (int n = 1; n <= std::min(env.hosts, 3); ++n) {
    auto provider = OpenLab(n);
    CHECK(provider->host() == "lab" + std::to_string(n));
    auto list = provider->ListContainers("ptest-nothing-here", {"ptest_no_such_name"});
    INFO(list.status().ToString());
    REQUIRE(list.ok());
    CHECK(list->empty());
  }
}

// What every provider does with images (present, pulled, digests, missing tags and
// repositories) is in the Provider contract (provider_contract_lab_test.cpp).
TEST_CASE("a registry that cannot be reached is unavailable", "[lab][provider]") {
  auto provider = OpenLab(1);
  // Nothing listens on 127.0.0.1:5999.
  auto unreachable = provider->ResolveImageDigest("127.0.0.1:5999/jlrec-lab/base:1");
  INFO(unreachable.status().ToString());
  CHECK(unreachable.status().code() == Status::Code::kUnavailable);
}

TEST_CASE("an unknown host key is refused with a hint, and accepted on request",
          "[lab][provider]") {
  LabEnv env = ReadLabEnv();
  TempDir dir;
  const std::string known_hosts = dir.path() + "/known_hosts";
  std::ofstream(known_hosts).close();
  HostConnection host = env.Connection(1);
  host.known_hosts = known_hosts;
  auto factory = MakeSshProviderFactory();

  auto refused = factory->Open(host, {});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(refused.status().message(), Catch::Contains("unknown host key"));
  CHECK_THAT(refused.status().message(), Catch::Contains("--accept-new-host-keys"));
  CHECK_THAT(refused.status().message(),
             Catch::Contains(Fingerprint(env.dir + "/h1/ssh_host_ed25519_key.pub")));
  CHECK(ReadText(known_hosts).empty());

  ConnectOptions accept;
  accept.accept_new_host_keys = true;
  auto accepted = factory->Open(host, accept);
  INFO(accepted.status().ToString());
  REQUIRE(accepted.ok());
  CHECK_THAT(ReadText(known_hosts), Catch::StartsWith("[127.0.0.2]:2222 ssh-ed25519 "));
  auto again = factory->Open(host, {});
  CHECK(again.ok());

  // ConnectOptions::known_hosts overrides the host's own setting.
  ConnectOptions empty_file;
  empty_file.known_hosts = dir.path() + "/absent_known_hosts";
  CHECK_FALSE(factory->Open(env.Connection(1), empty_file).ok());
}

TEST_CASE("a changed host key is refused, naming both fingerprints", "[lab][provider]") {
  LabEnv env = ReadLabEnv();
  TempDir dir;
  auto keygen = RunProcess({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "impostor", "-f",
                            dir.path() + "/impostor"});
  REQUIRE(keygen.exit_code == 0);
  std::istringstream pub(ReadText(dir.path() + "/impostor.pub"));
  std::string type, key;
  pub >> type >> key;
  const std::string known_hosts = dir.path() + "/known_hosts";
  std::ofstream(known_hosts) << "[127.0.0.2]:2222 " << type << " " << key << "\n";

  HostConnection host = env.Connection(1);
  host.known_hosts = known_hosts;
  ConnectOptions accept;
  accept.accept_new_host_keys = true;  // never applies to a changed key
  auto refused = MakeSshProviderFactory()->Open(host, accept);
  REQUIRE_FALSE(refused.ok());
  const std::string message = refused.status().message();
  CHECK(refused.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(message, Catch::Contains("HOST KEY MISMATCH"));
  CHECK_THAT(message, Catch::Contains(Fingerprint(dir.path() + "/impostor.pub")));
  CHECK_THAT(message, Catch::Contains(Fingerprint(env.dir + "/h1/ssh_host_ed25519_key.pub")));
  CHECK_THAT(message, Catch::Contains(known_hosts + ":1"));
  CHECK(ReadText(known_hosts).find('\n') == ReadText(known_hosts).size() - 1);  // not appended
}

TEST_CASE("a refused login names what was tried", "[lab][provider]") {
  LabEnv env = ReadLabEnv();
  TempDir dir;
  REQUIRE(
      RunProcess({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.path() + "/stranger"})
          .exit_code == 0);
  HostConnection host = env.Connection(1);
  host.identity_file = dir.path() + "/stranger";
  auto refused = MakeSshProviderFactory()->Open(host, {});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(refused.status().message(), Catch::Contains("authentication refused"));
  CHECK_THAT(refused.status().message(), Catch::Contains(dir.path() + "/stranger"));
}

TEST_CASE("a stopped host is unavailable with the reason", "[lab][provider]") {
  REQUIRE(LabCommand({"stop-host", "3"}).exit_code == 0);
  Finally restart([] { LabCommand({"start-host", "3"}); });
  auto opened = MakeSshProviderFactory()->Open(ReadLabEnv().Connection(3), {});
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(opened.status().message(), Catch::StartsWith("lab3: "));
  CHECK_THAT(opened.status().message(), Catch::Contains("root@127.0.0.4:2222"));
  CHECK_THAT(opened.status().message(), Catch::Contains("onnection refused"));
}

TEST_CASE("a hung host times out instead of blocking", "[lab][provider]") {
  REQUIRE(LabCommand({"pause-host", "3"}).exit_code == 0);
  Finally resume([] { LabCommand({"resume-host", "3"}); });
  ConnectOptions options;
  options.connect_timeout = std::chrono::milliseconds(1500);
  auto opened = MakeSshProviderFactory()->Open(ReadLabEnv().Connection(3), options);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(opened.status().message(), Catch::Contains("no SSH handshake within 1.5s"));
}

TEST_CASE("a stopped dockerd is a docker-level error", "[lab][provider]") {
  auto provider = OpenLab(3);  // opened while the daemon runs
  REQUIRE(provider->ListContainers("ptest", {}).ok());
  REQUIRE(LabCommand({"stop-docker", "3"}).exit_code == 0);
  Finally restart([] { LabCommand({"start-docker", "3"}); });

  auto list = provider->ListContainers("ptest", {});
  REQUIRE_FALSE(list.ok());
  CHECK(list.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(list.status().message(), Catch::Contains("docker socket"));
  CHECK_THAT(list.status().message(), Catch::Contains("is dockerd running"));

  auto opened = MakeSshProviderFactory()->Open(ReadLabEnv().Connection(3), {});
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(opened.status().message(), Catch::Contains("GET /_ping"));
  CHECK_THAT(opened.status().message(), Catch::Contains("is dockerd running"));
}

// A unix socket that answers GET /_ping like Docker and never answers anything else:
// a daemon that hangs mid-run.
class HangingDaemon {
 public:
  explicit HangingDaemon(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof addr.sun_path);
    std::copy(path.begin(), path.end(), addr.sun_path);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(fd_, 8) == 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~HangingDaemon() {
    stop_ = true;
    thread_.join();
    for (int c : clients_) close(c);
    close(fd_);
    unlink(path_.c_str());
  }

 private:
  void Serve() {
    std::vector<std::string> pending;
    while (!stop_) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      for (int c : clients_) fds.push_back({c, POLLIN, 0});
      if (poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int c = accept(fd_, nullptr, nullptr);
        if (c >= 0) {
          clients_.push_back(c);
          pending.emplace_back();
        }
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & POLLIN)) continue;
        char buf[4096];
        ssize_t n = read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) continue;
        pending[i - 1].append(buf, static_cast<std::size_t>(n));
        auto end = pending[i - 1].find("\r\n\r\n");
        if (end == std::string::npos) continue;
        if (pending[i - 1].rfind("GET /_ping ", 0) == 0) {
          std::string reply = "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\nOK";
          (void)!write(fds[i].fd, reply.data(), reply.size());
        }
        pending[i - 1].erase(0, end + 4);
      }
    }
  }

  std::string path_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::vector<int> clients_;
  std::thread thread_;
};

TEST_CASE("a request to a hung daemon times out instead of blocking", "[lab][provider]") {
  TempDir dir;
  HangingDaemon daemon(dir.path() + "/docker.sock");
  HostConnection host = ReadLabEnv().Connection(2);
  host.docker_socket = dir.path() + "/docker.sock";
  ConnectOptions options;
  options.request_timeout = std::chrono::milliseconds(1000);
  auto provider = MakeSshProviderFactory()->Open(host, options);
  INFO(provider.status().ToString());
  REQUIRE(provider.ok());
  auto list = (*provider)->ListContainers("ptest", {});
  CHECK(list.status().code() == Status::Code::kTimeout);
  CHECK_THAT(list.status().message(), Catch::Contains("GET /containers/json"));
  CHECK_THAT(list.status().message(), Catch::Contains("within 1s"));
}

TEST_CASE("one provider serves overlapping requests from several threads", "[lab][provider]") {
  LabEnv env = ReadLabEnv();
  auto provider = OpenLab(2);
  EnsureImage(*provider, env.image1);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        bool ok = (t % 2 == 0) ? provider->ListContainers("ptest", {"ptest_x"}).ok()
                               : provider->HasImage(env.image1).ok();
        if (!ok) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
}

// An sshd of this test's own on 127.0.0.1:2298 that forbids stream-local forwarding, so
// the provider must fall back to `docker system dial-stdio`.
class NoForwardingSshd {
 public:
  NoForwardingSshd(const std::string& dir, const LabEnv& env) : dir_(dir) {
    REQUIRE(RunProcess({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir + "/host_key"})
                .exit_code == 0);
    std::ofstream(dir + "/sshd_config")
        << "ListenAddress 127.0.0.1\nPort 2298\nHostKey " << dir << "/host_key\n"
        << "PidFile " << dir << "/sshd.pid\nAuthorizedKeysFile " << env.dir
        << "/client/authorized_keys\nPermitRootLogin prohibit-password\n"
        << "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        << "StrictModes no\nAllowStreamLocalForwarding no\nAllowTcpForwarding no\n"
        << "AcceptEnv DOCKER_HOST\nLogLevel ERROR\n";
    std::istringstream pub(ReadText(dir + "/host_key.pub"));
    std::string type, key;
    pub >> type >> key;
    std::ofstream(dir + "/known_hosts") << "[127.0.0.1]:2298 " << type << " " << key << "\n";
    std::vector<std::string> args{"/usr/sbin/sshd", "-D", "-e", "-f", dir + "/sshd_config"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    const std::string log = dir + "/sshd.log";
    posix_spawn_file_actions_addopen(&files, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int spawned = posix_spawn(&pid_, argv[0], &files, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&files);
    REQUIRE(spawned == 0);
    // Ready once it accepts TCP connections.
    for (int attempt = 0; attempt < 100 && !Listening(); ++attempt)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(Listening());
  }
  ~NoForwardingSshd() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  std::string known_hosts() const { return dir_ + "/known_hosts"; }

 private:
  static bool Listening() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(2298);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    return ok;
  }
  std::string dir_;
  pid_t pid_ = -1;
};

TEST_CASE("without stream-local forwarding, docker system dial-stdio carries the API",
          "[lab][provider]") {
  LabEnv env = ReadLabEnv();
  TempDir dir;
  NoForwardingSshd sshd(dir.path(), env);
  HostConnection host = env.Connection(1);
  host.address = "127.0.0.1";
  host.port = 2298;
  host.known_hosts = sshd.known_hosts();

  auto session = SshSession::Connect(host, {});
  INFO(session.status().ToString());
  REQUIRE(session.ok());
  auto stream =
      (*session)->OpenUnixSocketStream(host.docker_socket, DeadlineAfter(std::chrono::seconds(10)));
  INFO(stream.status().ToString());
  REQUIRE(stream.ok());
  HttpConnection connection(std::move(*stream), "docker");
  HttpExchangeOptions exchange;
  exchange.deadline = DeadlineAfter(std::chrono::seconds(10));
  auto ping = connection.Exchange(HttpRequest{"GET", "/_ping", {}, ""}, exchange);
  INFO(ping.status().ToString());
  REQUIRE(ping.ok());
  CHECK(ping->status == 200);
  CHECK(ping->body == "OK");
  CHECK((*session)->uses_dial_stdio());

  auto provider = MakeSshProviderFactory()->Open(host, {});
  INFO(provider.status().ToString());
  REQUIRE(provider.ok());
  auto list = (*provider)->ListContainers("ptest", {});
  INFO(list.status().ToString());
  CHECK(list.ok());
  auto has = (*provider)->HasImage(env.image1);
  CHECK(has.ok());
}

TEST_CASE("a real dockerd's ping names its API version: one request settles it",
          "[lab][provider]") {
  // GET /version would make dockerd run runc and docker-init on every plan (~20 ms of the
  // host's CPU); the ping answers from memory and carries the version in its headers.
  LabEnv env = ReadLabEnv();
  HostConnection host = env.Connection(1);
  auto session = SshSession::Connect(host, {});
  INFO(session.status().ToString());
  REQUIRE(session.ok());
  DockerApiClient::Options options;
  options.peer = host.key;
  DockerApiClient api(
      [session = *session, socket = host.docker_socket](Deadline deadline) {
        return session->OpenUnixSocketStream(socket, deadline);
      },
      options);
  const auto start = std::chrono::steady_clock::now();
  Status negotiated = api.NegotiateVersion();
  INFO(negotiated.ToString());
  REQUIRE(negotiated.ok());
  CHECK(api.api_version() == "1.41");  // Debian's Docker 20.10 speaks 1.41
  CHECK(api.TrafficSince(start).requests == 1);
  CHECK(api.HostClockNow().has_value());  // the ping's Date header
}

// Not a test: `test_lab "[.bench]"` prints how long opening and listing takes.
TEST_CASE("bench: open every lab host in parallel and list", "[.bench][provider]") {
  LabEnv env = ReadLabEnv();
  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count() / 1000.0;
  };
  auto factory = MakeSshProviderFactory();
  {
    auto t0 = Clock::now();
    auto provider = factory->Open(env.Connection(1), {});
    REQUIRE(provider.ok());
    auto t1 = Clock::now();
    REQUIRE((*provider)->ListContainers("ptest", {}).ok());
    auto t2 = Clock::now();
    REQUIRE((*provider)->ListContainers("ptest", {}).ok());
    auto t3 = Clock::now();
    WARN("lab1: open (TCP+SSH+auth+channel+/_ping) "
         << ms(t1 - t0) << " ms, first list " << ms(t2 - t1) << " ms, second list " << ms(t3 - t2)
         << " ms");
  }
  const int hosts = env.hosts;
  std::vector<double> each(static_cast<std::size_t>(hosts));
  std::vector<std::size_t> counts(static_cast<std::size_t>(hosts));
  std::atomic<int> failures{0};
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int n = 1; n <= hosts; ++n) {
    threads.emplace_back([&, n] {
      auto start = Clock::now();
      auto provider = factory->Open(env.Connection(n), {});
      if (!provider.ok()) {
        ++failures;
        return;
      }
      auto list = (*provider)->ListContainers("ptest", {});
      if (!list.ok())
        ++failures;
      else
        counts[static_cast<std::size_t>(n - 1)] = list->size();
      each[static_cast<std::size_t>(n - 1)] = ms(Clock::now() - start);
    });
  }
  for (auto& t : threads) t.join();
  double wall = ms(Clock::now() - t0);
  CHECK(failures == 0);
  std::ostringstream per_host;
  for (double e : each) per_host << " " << e;
  WARN(hosts << " hosts in parallel, open + list: wall " << wall
             << " ms; per host (ms):" << per_host.str());
}

}  // namespace
}  // namespace jlrec
