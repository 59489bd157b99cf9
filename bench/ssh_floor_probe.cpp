// The floor of a refresh: per host only TCP connect + SSH handshake + auth + ONE
// stream-local request (the container list), all hosts overlapped at the same parallelism
// as jlrec. Nothing else. Usage:
//   ssh_floor_probe HOSTS_FILE IDENTITY KNOWN_HOSTS PARALLELISM PROJECT
// HOSTS_FILE: one "address port docker_socket" per line. Prints "hosts=N ok=N wall_ms=X".
#include <libssh/libssh.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

struct Host {
  std::string address, socket;
  int port = 22;
};

static bool Probe(const Host& h, const char* identity, const char* known_hosts,
                  const std::string& project) {
  ssh_session s = ssh_new();
  int nodelay = 1;
  long timeout = 30;
  ssh_options_set(s, SSH_OPTIONS_HOST, h.address.c_str());
  ssh_options_set(s, SSH_OPTIONS_PORT, &h.port);
  ssh_options_set(s, SSH_OPTIONS_USER, "root");
  ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, known_hosts);
  ssh_options_set(s, SSH_OPTIONS_NODELAY, &nodelay);
  ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
  bool ok = false;
  ssh_key key = nullptr;
  if (ssh_connect(s) == SSH_OK && ssh_session_is_known_server(s) == SSH_KNOWN_HOSTS_OK &&
      ssh_pki_import_privkey_file(identity, nullptr, nullptr, nullptr, &key) == SSH_OK &&
      ssh_userauth_publickey(s, nullptr, key) == SSH_AUTH_SUCCESS) {
    ssh_channel ch = ssh_channel_new(s);
    if (ssh_channel_open_forward_unix(ch, h.socket.c_str(), "127.0.0.1", 0) == SSH_OK) {
      std::string req =
          "GET /v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22jlrec.project%3D" +
          project + "%22%5D%7D HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n";
      ssh_channel_write(ch, req.data(), static_cast<uint32_t>(req.size()));
      std::string resp;
      char buf[16384];
      int n;
      while ((n = ssh_channel_read_timeout(ch, buf, sizeof buf, 0, 30000)) > 0) resp.append(buf, n);
      ok = resp.rfind("HTTP/1.1 200", 0) == 0;
      ssh_channel_close(ch);
    }
    ssh_channel_free(ch);
  }
  if (key) ssh_key_free(key);
  ssh_disconnect(s);
  ssh_free(s);
  return ok;
}

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s HOSTS_FILE IDENTITY KNOWN_HOSTS PARALLELISM PROJECT\n",
                 argv[0]);
    return 2;
  }
  std::vector<Host> hosts;
  std::ifstream in(argv[1]);
  for (Host h; in >> h.address >> h.port >> h.socket;) hosts.push_back(h);
  int parallelism = std::max(1, std::atoi(argv[4]));
  ssh_init();
  std::atomic<size_t> next{0};
  std::atomic<int> ok{0};
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int i = 0; i < parallelism && i < static_cast<int>(hosts.size()); ++i)
    pool.emplace_back([&] {
      for (size_t k; (k = next.fetch_add(1)) < hosts.size();)
        ok += Probe(hosts[k], argv[2], argv[3], argv[5]);
    });
  for (auto& t : pool) t.join();
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("hosts=%zu ok=%d wall_ms=%.1f\n", hosts.size(), ok.load(), ms);
  return ok.load() == static_cast<int>(hosts.size()) ? 0 : 1;
}
