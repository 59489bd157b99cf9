// The floor of a refresh: per host only TCP connect + SSH handshake + auth + ONE
// stream-local request (the container list), all hosts overlapped at the same parallelism
// as jlrec. Nothing else. Usage:
//   ssh_floor_probe HOSTS_FILE IDENTITY KNOWN_HOSTS PARALLELISM PROJECT [--phases]
// HOSTS_FILE: one "address port docker_socket" per line. Prints "hosts=N ok=N wall_ms=X".
// --phases adds one line per host, then the median over hosts of each phase's time:
//   "phase ADDRESS:PORT handshake=X auth=X channel=X request=X" (ms, "-" = not reached)
//   "phases_ms handshake=X auth=X channel=X request=X"
// handshake = TCP connect + SSH banners + key exchange (ssh_connect), auth = the
// ssh-userauth service request + publickey auth, channel = opening the stream-local
// channel, request = the container list, sent until its response ends. Through the latency
// relay each costs about its round trips x RTT (bench/README.md).
#include <libssh/libssh.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using Clock = std::chrono::steady_clock;

struct Host {
  std::string address, socket;
  int port = 22;
};

// Milliseconds each phase of one host took; negative = the phase was not reached.
struct Phases {
  double handshake = -1, auth = -1, channel = -1, request = -1;
};

static double MsSince(Clock::time_point& t) {
  auto now = Clock::now();
  double ms = std::chrono::duration<double, std::milli>(now - t).count();
  t = now;
  return ms;
}

static bool Probe(const Host& h, const char* identity, const char* known_hosts,
                  const std::string& project, Phases* phases) {
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
  // The key is read before the clock starts: a local file read is no part of any phase.
  if (ssh_pki_import_privkey_file(identity, nullptr, nullptr, nullptr, &key) != SSH_OK)
    key = nullptr;
  auto t = Clock::now();
  bool connected = ssh_connect(s) == SSH_OK;
  if (connected) phases->handshake = MsSince(t);
  // The known_hosts check is local: the auth phase starts after it.
  bool known = connected && key && ssh_session_is_known_server(s) == SSH_KNOWN_HOSTS_OK;
  t = Clock::now();
  if (known && ssh_userauth_publickey(s, nullptr, key) == SSH_AUTH_SUCCESS) {
    phases->auth = MsSince(t);
    ssh_channel ch = ssh_channel_new(s);
    if (ssh_channel_open_forward_unix(ch, h.socket.c_str(), "127.0.0.1", 0) == SSH_OK) {
      phases->channel = MsSince(t);
      std::string req =
          "GET /v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22jlrec.project%3D" +
          project + "%22%5D%7D HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n";
      ssh_channel_write(ch, req.data(), static_cast<uint32_t>(req.size()));
      std::string resp;
      char buf[16384];
      int n;
      while ((n = ssh_channel_read_timeout(ch, buf, sizeof buf, 0, 30000)) > 0) resp.append(buf, n);
      ok = resp.rfind("HTTP/1.1 200", 0) == 0;
      phases->request = MsSince(t);
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
  bool print_phases = argc == 7 && std::string(argv[6]) == "--phases";
  if (argc != 6 && !print_phases) {
    std::fprintf(stderr,
                 "usage: %s HOSTS_FILE IDENTITY KNOWN_HOSTS PARALLELISM PROJECT [--phases]\n",
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
  std::vector<Phases> phases(hosts.size());
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int i = 0; i < parallelism && i < static_cast<int>(hosts.size()); ++i)
    pool.emplace_back([&] {
      for (size_t k; (k = next.fetch_add(1)) < hosts.size();)
        ok += Probe(hosts[k], argv[2], argv[3], argv[5], &phases[k]);
    });
  for (auto& t : pool) t.join();
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("hosts=%zu ok=%d wall_ms=%.1f\n", hosts.size(), ok.load(), ms);
  if (print_phases) {
    auto ms = [](double v) {
      if (v < 0) return std::string("-");
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2f", v);
      return std::string(buf);
    };
    for (size_t k = 0; k < hosts.size(); ++k)
      std::printf("phase %s:%d handshake=%s auth=%s channel=%s request=%s\n",
                  hosts[k].address.c_str(), hosts[k].port, ms(phases[k].handshake).c_str(),
                  ms(phases[k].auth).c_str(), ms(phases[k].channel).c_str(),
                  ms(phases[k].request).c_str());
    // Medians over the hosts that reached the phase ("-" if none did).
    auto median = [&](double Phases::*field) {
      std::vector<double> v;
      for (const auto& p : phases)
        if (p.*field >= 0) v.push_back(p.*field);
      if (v.empty()) return std::string("-");
      std::sort(v.begin(), v.end());
      size_t n = v.size();
      double m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2f", m);
      return std::string(buf);
    };
    std::printf("phases_ms handshake=%s auth=%s channel=%s request=%s\n",
                median(&Phases::handshake).c_str(), median(&Phases::auth).c_str(),
                median(&Phases::channel).c_str(), median(&Phases::request).c_str());
  }
  return ok.load() == static_cast<int>(hosts.size()) ? 0 : 1;
}
