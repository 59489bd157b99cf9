// Hosts reached through an OpenSSH config entry (`ssh_host`, `--ssh-config`) on the lab, and
// what a login that cannot use Docker or its key is told.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "providers/ssh_provider.h"
#include "support/finally.h"
#include "support/lab_project.h"

namespace jlrec {
namespace {

using testing::Finally;
using testing::LabEnv;
using testing::LabProject;
using testing::LabUnit;
using testing::ProcessResult;
using testing::ReadLabEnv;
using testing::RunProcess;

// The address the containers are told. Outside the lab's 127.0.0.N hosts, still loopback:
// nothing may ever connect to it (ConnectionWatcher counts who tries).
constexpr const char* kContainerAddress = "127.1.2.3";

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Listens on `address` at the SSH ports jlrec could pick (22, and 2222 from the config) and
// counts the connections made there.
class ConnectionWatcher {
 public:
  explicit ConnectionWatcher(const std::string& address) {
    for (int port : {22, 2222}) {
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      REQUIRE(fd >= 0);
      int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port));
      REQUIRE(inet_pton(AF_INET, address.c_str(), &addr.sin_addr) == 1);
      INFO("listening on " << address << ":" << port);
      REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
      REQUIRE(listen(fd, 8) == 0);
      fds_.push_back(fd);
    }
    thread_ = std::thread([this] { Watch(); });
  }
  ~ConnectionWatcher() {
    stop_ = true;
    thread_.join();
    for (int fd : fds_) close(fd);
  }
  ConnectionWatcher(const ConnectionWatcher&) = delete;
  ConnectionWatcher& operator=(const ConnectionWatcher&) = delete;

  int connections() const { return connections_; }

 private:
  void Watch() {
    while (!stop_) {
      std::vector<pollfd> polled;
      for (int fd : fds_) polled.push_back({fd, POLLIN, 0});
      if (poll(polled.data(), polled.size(), 50) <= 0) continue;
      for (const auto& p : polled) {
        if (!(p.revents & POLLIN)) continue;
        int client = accept(p.fd, nullptr, nullptr);
        if (client >= 0) {
          ++connections_;
          close(client);
        }
      }
    }
  }

  std::vector<int> fds_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// An ssh config file in `dir` with one entry per (alias, user) reaching lab host `n`.
std::string WriteSshConfig(const LabEnv& lab, const std::string& dir,
                           const std::vector<std::pair<std::string, std::string>>& entries,
                           int n = 1, const std::string& identity_file = "") {
  const std::string path = dir + "/ssh_config";
  std::ofstream out(path);
  for (const auto& [alias, user] : entries) {
    out << "Host " << alias << "\n"
        << "  HostName " << lab.Host(n).address << "\n"
        << "  Port " << lab.Host(n).port << "\n"
        << "  User " << user << "\n"
        << "  IdentityFile " << (identity_file.empty() ? lab.identity_file : identity_file) << "\n"
        << "  UserKnownHostsFile " << lab.known_hosts << "\n";
  }
  return path;
}

// Rewrites the `lab1:` line of `p`'s manifest to `entry` (the other hosts stay as written).
void ReplaceLab1Host(const LabProject& p, const std::string& entry) {
  std::ifstream in(p.manifest());
  std::stringstream text;
  text << in.rdbuf();
  std::string manifest = text.str();
  const auto start = manifest.find("  lab1: {");
  REQUIRE(start != std::string::npos);
  const auto end = manifest.find('\n', start);
  manifest.replace(start, end - start, "  lab1: " + entry);
  std::ofstream(p.manifest()) << manifest;
}

// The lab user in no docker group (lab.sh up creates it), or a failed test saying why not.
std::string UnprivilegedUser(const LabEnv& lab) {
  std::ifstream env(lab.dir + "/lab.env");
  std::string line, user;
  while (std::getline(env, line)) {
    if (line.rfind("JLREC_LAB_UNPRIVILEGED_USER=", 0) == 0) user = line.substr(line.find('=') + 1);
  }
  INFO("the lab has no unprivileged user: run `bash tests/lab/lab.sh up`");
  REQUIRE_FALSE(user.empty());
  // sshd reads the shared authorized_keys as the user logging in; an older lab.sh made it
  // readable by root only.
  struct stat keys {};
  INFO("lab authorized_keys must be world-readable: run this branch's `bash tests/lab/lab.sh up`");
  REQUIRE(stat((lab.dir + "/client/authorized_keys").c_str(), &keys) == 0);
  REQUIRE((keys.st_mode & S_IROTH) != 0);
  return user;
}

// Hides a running ssh-agent from this process while it lives: the lab key could be in it.
class NoAgent {
 public:
  NoAgent() {
    if (const char* sock = std::getenv("SSH_AUTH_SOCK")) saved_ = sock;
    unsetenv("SSH_AUTH_SOCK");
  }
  ~NoAgent() {
    if (!saved_.empty()) setenv("SSH_AUTH_SOCK", saved_.c_str(), 1);
  }

 private:
  std::string saved_;
};

}  // namespace

TEST_CASE("a host reached through an ssh config alias: its containers get the address",
          "[lab][ssh-host]") {
  LabProject p("e2esshhost1");
  const LabEnv& lab = p.lab();
  p.Write(
      {LabUnit{1, {"core"}, {"product"}, true, ""}, LabUnit{2, {"w1"}, {"product"}, false, ""}});
  // No user, port, key or known_hosts in the manifest: all of it comes from the entry.
  ReplaceLab1Host(p, std::string("{ssh_host: lab1-alias, address: ") + kContainerAddress +
                         ", docker_socket: " + lab.Host(1).docker_socket + "}");
  const std::string config = WriteSshConfig(lab, p.dir(), {{"lab1-alias", "root"}});
  ConnectionWatcher watcher(kContainerAddress);

  auto apply = p.Jlrec({"apply", "product", "--auto-approve", "--ssh-config", config});
  INFO(apply.out << apply.err);
  REQUIRE(apply.exit_code == 0);
  const std::string core_script = p.RunScript(1, "core");
  CHECK(Contains(core_script, std::string("export JL_HOST='") + kContainerAddress + "'"));
  CHECK(Contains(core_script, std::string("export JL_MASTER_HOST='") + kContainerAddress + "'"));
  const std::string worker_script = p.RunScript(2, "w1");
  CHECK(Contains(worker_script, std::string("export JL_MASTER_HOST='") + kContainerAddress + "'"));
  CHECK(Contains(worker_script, "export JL_HOST='" + lab.Host(2).address + "'"));
  CHECK_FALSE(Contains(core_script + worker_script, "lab1-alias"));

  auto plan = p.Jlrec({"plan", "product", "--detailed-exitcode", "--ssh-config", config});
  INFO(plan.out << plan.err);
  CHECK(plan.exit_code == 0);
  CHECK(Contains(plan.out, "No changes."));
  CHECK(watcher.connections() == 0);
}

TEST_CASE("messages about a host reached through an alias name the host, the alias and the peer",
          "[lab][ssh-host]") {
  LabEnv lab = ReadLabEnv();
  char pattern[] = "/tmp/jlrec-ssh-host-XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  const std::string dir = pattern;
  Finally cleanup([&] { std::filesystem::remove_all(dir); });
  std::ofstream(dir + "/ssh_config") << "Host closed-alias\n"
                                     << "  HostName " << lab.Host(1).address << "\n"
                                     << "  Port 2\n"  // nothing listens there
                                     << "  User root\n";
  HostConnection host = lab.Connection(1, "");
  host.ssh_host = "closed-alias";
  host.address = kContainerAddress;
  host.port = 22;  // defer to the entry
  ConnectOptions options;
  options.ssh_config = dir + "/ssh_config";
  auto opened = MakeSshProviderFactory()->Open(host, options);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(opened.status().message(),
             Catch::StartsWith("lab1: via ssh config entry closed-alias, root@" +
                               lab.Host(1).address + ":2: cannot connect"));

  options.ssh_config = dir + "/missing_config";
  auto unread = MakeSshProviderFactory()->Open(host, options);
  REQUIRE_FALSE(unread.ok());
  CHECK(unread.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(unread.status().message(),
             Catch::Contains("cannot read ssh config file " + dir + "/missing_config"));
}

TEST_CASE("a login user who may not open the docker socket is told so, with the docker group",
          "[lab][ssh-host]") {
  LabProject p("e2esshhost2");
  const LabEnv& lab = p.lab();
  const std::string user = UnprivilegedUser(lab);
  const std::string socket = lab.Host(1).docker_socket;
  const std::string expected = "permission denied on " + socket + " for user " + user + " (is " +
                               user + " in the docker group?)";

  SECTION("the provider says it instead of a forwarding failure") {
    auto opened = MakeSshProviderFactory()->Open(lab.Connection(1, user), {});
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.status().code() == Status::Code::kUnavailable);
    CHECK_THAT(opened.status().message(), Catch::Contains(expected));
    CHECK_THAT(opened.status().message(),
               Catch::StartsWith("lab1 (" + user + "@" + lab.Host(1).address + ":2222)"));
    CHECK_THAT(opened.status().message(), !Catch::Contains("stream-local forwarding failed"));
  }
  SECTION("plan says it for a host whose ssh config entry logs in as that user") {
    p.Write({LabUnit{1, {"core"}, {"product"}, true, ""}});
    ReplaceLab1Host(p, std::string("{ssh_host: lab1-unprivileged, address: ") + kContainerAddress +
                           ", docker_socket: " + socket + "}");
    const std::string config = WriteSshConfig(lab, p.dir(), {{"lab1-unprivileged", user}});
    auto plan = p.Jlrec({"plan", "product", "--ssh-config", config});
    INFO(plan.out << plan.err);
    CHECK(plan.exit_code == 1);
    CHECK(Contains(plan.out + plan.err, expected));
    CHECK(Contains(plan.out + plan.err, "lab1 (via ssh config entry lab1-unprivileged, " + user +
                                            "@" + lab.Host(1).address + ":2222)"));
  }
}

TEST_CASE(
    "a passphrase-protected key gets the ssh-agent hint from the ssh config as from the "
    "manifest",
    "[lab][ssh-host]") {
  LabEnv lab = ReadLabEnv();
  char pattern[] = "/tmp/jlrec-ssh-host-XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  const std::string dir = pattern;
  Finally cleanup([&] { std::filesystem::remove_all(dir); });
  // The lab key itself, authorized on every host, with a passphrase nobody will type.
  const std::string locked = dir + "/locked_key";
  std::filesystem::copy_file(lab.identity_file, locked);
  std::filesystem::copy_file(lab.identity_file + ".pub", locked + ".pub");
  ProcessResult keygen =
      RunProcess({"ssh-keygen", "-q", "-p", "-P", "", "-N", "never-typed", "-f", locked});
  INFO(keygen.err);
  REQUIRE(keygen.exit_code == 0);
  NoAgent no_agent;
  const std::string hint = "identity file " + locked +
                           " (passphrase-protected: jlrec asks for no passphrase; load such keys "
                           "into ssh-agent)";

  SECTION("IdentityFile of the ssh config entry") {
    ConnectOptions options;
    options.ssh_config = WriteSshConfig(lab, dir, {{"lab1-locked", "root"}}, 1, locked);
    HostConnection host = lab.Connection(1, "");
    host.identity_file = "";
    host.known_hosts = "";
    host.port = 22;
    host.ssh_host = "lab1-locked";
    auto refused = MakeSshProviderFactory()->Open(host, options);
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.status().message(), Catch::Contains("authentication refused"));
    CHECK_THAT(refused.status().message(), Catch::Contains(hint));
  }
  SECTION("identity_file of the manifest") {
    HostConnection host = lab.Connection(1, "root");
    host.identity_file = locked;
    auto refused = MakeSshProviderFactory()->Open(host, {});
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.status().message(), Catch::Contains(hint));
  }
}

}  // namespace jlrec
