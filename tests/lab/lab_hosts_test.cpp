// Proves the lab is real: every host is an sshd with its own host key that accepts the
// lab client key, and carries a direct-streamlocal channel to its OWN dockerd. Uses raw
// libssh on purpose: this checks the lab itself, independently of jlrec's provider.
#include <libssh/libssh.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "support/lab_env.h"

using jlrec::testing::LabCommand;
using jlrec::testing::LabDocker;
using jlrec::testing::LabEnv;
using jlrec::testing::ReadLabEnv;

namespace {

struct SessionCloser {
  void operator()(ssh_session s) const {
    ssh_disconnect(s);
    ssh_free(s);
  }
};
using Session = std::unique_ptr<ssh_session_struct, SessionCloser>;

// Connects, verifies the host key against the lab known_hosts, authenticates with the lab key.
Session Connect(const LabEnv& lab, int n, std::string& error) {
  Session s(ssh_new());
  auto host = lab.Host(n);
  int port = host.port;
  long timeout = 10;
  ssh_options_set(s.get(), SSH_OPTIONS_HOST, host.address.c_str());
  ssh_options_set(s.get(), SSH_OPTIONS_PORT, &port);
  ssh_options_set(s.get(), SSH_OPTIONS_USER, "root");
  ssh_options_set(s.get(), SSH_OPTIONS_KNOWNHOSTS, lab.known_hosts.c_str());
  ssh_options_set(s.get(), SSH_OPTIONS_TIMEOUT, &timeout);
  if (ssh_connect(s.get()) != SSH_OK) {
    error = ssh_get_error(s.get());
    return nullptr;
  }
  if (ssh_session_is_known_server(s.get()) != SSH_KNOWN_HOSTS_OK) {
    error = "host key not OK";
    return nullptr;
  }
  ssh_key key = nullptr;
  if (ssh_pki_import_privkey_file(lab.identity_file.c_str(), nullptr, nullptr, nullptr, &key) !=
      SSH_OK) {
    error = "cannot read " + lab.identity_file;
    return nullptr;
  }
  int rc = ssh_userauth_publickey(s.get(), nullptr, key);
  ssh_key_free(key);
  if (rc != SSH_AUTH_SUCCESS) {
    error = std::string("auth failed: ") + ssh_get_error(s.get());
    return nullptr;
  }
  return s;
}

// One HTTP/1.0 request over a direct-streamlocal channel to the host's docker socket.
std::string DockerGet(ssh_session s, const std::string& socket, const std::string& path) {
  ssh_channel ch = ssh_channel_new(s);
  REQUIRE(ch != nullptr);
  REQUIRE(ssh_channel_open_forward_unix(ch, socket.c_str(), "127.0.0.1", 0) == SSH_OK);
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: docker\r\n\r\n";
  REQUIRE(ssh_channel_write(ch, req.data(), static_cast<uint32_t>(req.size())) ==
          static_cast<int>(req.size()));
  std::string resp;
  char buf[4096];
  int n;
  while ((n = ssh_channel_read_timeout(ch, buf, sizeof buf, 0, 10000)) > 0) resp.append(buf, n);
  ssh_channel_close(ch);
  ssh_channel_free(ch);
  return resp;
}

}  // namespace

TEST_CASE("every lab host accepts the lab key over SSH and answers Docker API requests", "[lab]") {
  LabEnv lab = ReadLabEnv();
  REQUIRE(lab.hosts >= 3);
  for (int n = 1; n <= lab.hosts; ++n) {
    INFO("lab host " << n);
    std::string error;
    Session s = Connect(lab, n, error);
    REQUIRE(s != nullptr);
    std::string ping = DockerGet(s.get(), lab.Host(n).docker_socket, "/_ping");
    CHECK(ping.rfind("HTTP/1.0 200", 0) == 0);
    CHECK(ping.substr(ping.size() - 2) == "OK");
    std::string list = DockerGet(s.get(), lab.Host(n).docker_socket, "/containers/json?all=1");
    CHECK(list.rfind("HTTP/1.0 200", 0) == 0);
  }
}

TEST_CASE("lab hosts have their own dockerd: a container on host 1 is invisible on host 2",
          "[lab]") {
  LabEnv lab = ReadLabEnv();
  LabDocker(1, {"rm", "-f", "labtest_isolation"});
  REQUIRE(LabDocker(1, {"create", "--name", "labtest_isolation", "--network", "none", "--label",
                        "jlrec-test=lab", lab.image1})
              .exit_code == 0);
  std::string error;
  Session s1 = Connect(lab, 1, error);
  Session s2 = Connect(lab, 2, error);
  REQUIRE(s1 != nullptr);
  REQUIRE(s2 != nullptr);
  CHECK(DockerGet(s1.get(), lab.Host(1).docker_socket, "/containers/json?all=1")
            .find("labtest_isolation") != std::string::npos);
  CHECK(DockerGet(s2.get(), lab.Host(2).docker_socket, "/containers/json?all=1")
            .find("labtest_isolation") == std::string::npos);
  CHECK(LabDocker(1, {"rm", "-f", "labtest_isolation"}).exit_code == 0);
}

TEST_CASE("a stopped lab host refuses connections and comes back when started", "[lab]") {
  LabEnv lab = ReadLabEnv();
  REQUIRE(LabCommand({"stop-host", "3"}).exit_code == 0);
  std::string error;
  Session down = Connect(lab, 3, error);
  auto restarted = LabCommand({"start-host", "3"});
  CHECK(down == nullptr);
  CHECK(error.find("refused") != std::string::npos);
  REQUIRE(restarted.exit_code == 0);
  Session up = Connect(lab, 3, error);
  CHECK(up != nullptr);
}

TEST_CASE("the lab registry serves both base image tags", "[lab]") {
  LabEnv lab = ReadLabEnv();
  for (const auto& image : {lab.image1, lab.image2}) {
    INFO(image);
    auto pulled = LabDocker(2, {"pull", "-q", image});
    CHECK(pulled.exit_code == 0);
  }
  auto v2 = LabDocker(
      2, {"run", "--rm", "--network", "none", lab.image2, "cat", "/etc/jlrec-lab-release"});
  CHECK(v2.exit_code == 0);
  CHECK(v2.out == "jlrec-lab base image version 2\n");
}
