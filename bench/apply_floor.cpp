// The floor of a fresh apply: per container only the three mutating Docker API requests a
// fresh `jlrec apply` cannot do without (POST /containers/create, PUT /run.sh as a tar, POST
// start), issued straight at each host's daemon over SSH, with jlrec apply's parallelism and
// nothing else: no planning, no image check, no version negotiation, no waiting for
// "running", no state. Usage:
//   apply_floor HOSTS_FILE CONTAINERS_FILE IDENTITY KNOWN_HOSTS PARALLELISM MAX_PER_HOST
//               CONNECT_PARALLELISM
// HOSTS_FILE: one "address port docker_socket" per line (as ssh_floor_probe's).
// CONTAINERS_FILE: one "HOST_LINE NAME CREATE_BODY_FILE TAR_FILE" per line, in the order
// jlrec's plan lists the creates (HOST_LINE: 0-based line of HOSTS_FILE; the body is the JSON
// of POST /containers/create, the tar what PUT /containers/ID/archive?path=/ receives).
// Prints "containers=N ok=N wall_ms=X connect_ms=Y"; exits 0 only if every container was
// created, given its /run.sh and started. It removes nothing: bench/apply_rounds.py does.
//
// Scheduling is the executor's (engine/executor.cpp): at most PARALLELISM containers in
// flight overall and MAX_PER_HOST per host, a freed slot going to the earliest container in
// plan order whose host has room. Hosts are connected first (CONNECT_PARALLELISM at once,
// as jlrec's refresh does before its apply), each with one SSH session and as many
// direct-streamlocal channels to the docker socket as it may run containers at once, all
// opened together; each channel carries keep-alive HTTP/1.1 requests one after another.
// One thread per host drives its session (libssh sessions are not thread-safe), polling
// the session socket: no request waits for another host's.
#include <libssh/libssh.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kApi = "/v1.41";  // the version jlrec settles on with the lab's daemons
constexpr int kRequestTimeoutMs = 60000;

struct Host {
  std::string address, socket;
  int port = 22;
  std::vector<size_t> containers;  // indices into the container list
};

struct Container {
  size_t host = 0;
  std::string name, body, tar;
};

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "apply_floor: cannot read %s\n", path.c_str());
    std::exit(2);
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Percent-encodes a query value (container names are [a-zA-Z0-9_.-], but say so in code).
std::string Encode(const std::string& v) {
  std::string out;
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string Request(const std::string& method, const std::string& target,
                    const std::string& content_type, const std::string& body) {
  std::string r = method + " " + kApi + target + " HTTP/1.1\r\nHost: docker\r\n";
  if (!content_type.empty()) r += "Content-Type: " + content_type + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  return r + body;
}

// Whether `rx` holds one whole HTTP/1.1 answer; sets its status and body when it does.
bool WholeAnswer(const std::string& rx, int& status, std::string& body) {
  const size_t head_end = rx.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  std::string head = rx.substr(0, head_end);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  status = std::atoi(rx.c_str() + rx.find(' ') + 1);
  const size_t start = head_end + 4;
  if (head.find("transfer-encoding: chunked") != std::string::npos) {
    body.clear();
    size_t pos = start;
    for (;;) {
      const size_t line_end = rx.find("\r\n", pos);
      if (line_end == std::string::npos) return false;
      const size_t size = std::strtoul(rx.c_str() + pos, nullptr, 16);
      if (size == 0) return rx.find("\r\n", line_end + 2) != std::string::npos;
      if (rx.size() < line_end + 2 + size + 2) return false;
      body.append(rx, line_end + 2, size);
      pos = line_end + 2 + size + 2;
    }
  }
  size_t length = 0;
  if (size_t at = head.find("content-length:"); at != std::string::npos)
    length = std::strtoul(head.c_str() + at + 15, nullptr, 10);
  if (rx.size() < start + length) return false;
  body = rx.substr(start, length);
  return true;
}

// The scheduler shared by the host threads: which container may start next, and where.
class Scheduler {
 public:
  Scheduler(std::vector<Container>& containers, size_t hosts, int parallelism, int max_per_host)
      : containers_(containers),
        parallelism_(parallelism),
        max_per_host_(max_per_host),
        running_on_(hosts, 0),
        queues_(hosts),
        host_left_(hosts, 0),
        wake_(hosts, -1) {
    for (size_t i = 0; i < containers.size(); ++i) {
      pending_.push_back(i);
      ++host_left_[containers[i].host];
    }
    for (int& fd : wake_) fd = eventfd(0, EFD_NONBLOCK);
  }
  ~Scheduler() {
    for (int fd : wake_) close(fd);
  }

  // Readable whenever host `h` has new work or is done; the host's thread polls it.
  int wake_fd(size_t h) const { return wake_[h]; }

  // Hands out starts: the earliest pending container whose host has room, while the overall
  // parallelism allows. Caller holds mu_.
  void Fill() {
    while (running_ < parallelism_) {
      auto it = std::find_if(pending_.begin(), pending_.end(), [&](size_t c) {
        return running_on_[containers_[c].host] < max_per_host_;
      });
      if (it == pending_.end()) return;
      const size_t c = *it;
      pending_.erase(it);
      ++running_;
      ++running_on_[containers_[c].host];
      queues_[containers_[c].host].push_back(c);
      Wake(containers_[c].host);
    }
  }

  void Wake(size_t h) {
    const std::uint64_t one = 1;
    if (write(wake_[h], &one, sizeof one) < 0) {
      // Only EAGAIN at a counter near overflow: the host is awake anyway.
    }
  }

  void Begin() {
    std::lock_guard<std::mutex> lock(mu_);
    Fill();
  }

  // The next container host `h` is to start, if any.
  bool Take(size_t h, size_t& c) {
    std::lock_guard<std::mutex> lock(mu_);
    if (queues_[h].empty()) return false;
    c = queues_[h].front();
    queues_[h].pop_front();
    return true;
  }

  void Done(size_t h, bool ok) {
    std::lock_guard<std::mutex> lock(mu_);
    --running_;
    --running_on_[h];
    --host_left_[h];
    ok_ += ok;
    if (host_left_[h] == 0) Wake(h);
    Fill();
  }

  bool HostFinished(size_t h) {
    std::lock_guard<std::mutex> lock(mu_);
    return host_left_[h] == 0;
  }

  // Gives up host `h`'s containers (it could not connect): each counts as failed, and frees
  // its slot at once. Its pending ones are dropped from the queue.
  void Abandon(size_t h) {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                  [&](size_t c) { return containers_[c].host == h; }),
                   pending_.end());
    running_ -= running_on_[h];
    running_on_[h] = max_per_host_;  // never gets another
    queues_[h].clear();
    host_left_[h] = 0;
    Fill();
  }

  int ok() {
    std::lock_guard<std::mutex> lock(mu_);
    return ok_;
  }

 private:
  std::vector<Container>& containers_;
  const int parallelism_, max_per_host_;
  std::mutex mu_;
  std::deque<size_t> pending_;
  int running_ = 0;
  std::vector<int> running_on_;
  std::vector<std::deque<size_t>> queues_;
  std::vector<size_t> host_left_;
  std::vector<int> wake_;  // eventfd per host
  int ok_ = 0;
};

// One channel carrying one container's requests at a time.
struct Slot {
  ssh_channel ch = nullptr;
  bool busy = false;
  size_t container = 0;
  int step = 0;  // 0 create, 1 upload, 2 start
  std::string id, rx;
  Clock::time_point sent;
};

class HostRun {
 public:
  HostRun(size_t index, Host& host, std::vector<Container>& containers, Scheduler& sched,
          int max_per_host)
      : index_(index),
        host_(host),
        containers_(containers),
        sched_(sched),
        channels_(std::min<size_t>(max_per_host, host.containers.size())) {}

  ~HostRun() {
    for (Slot& s : slots_)
      if (s.ch) ssh_channel_free(s.ch);
    if (key_) ssh_key_free(key_);
    if (session_) {
      ssh_disconnect(session_);
      ssh_free(session_);
    }
  }

  // TCP, SSH handshake, host key, auth, then every channel opened at once.
  bool Connect(const char* identity, const char* known_hosts) {
    session_ = ssh_new();
    int nodelay = 1;
    long timeout = 30;
    ssh_options_set(session_, SSH_OPTIONS_HOST, host_.address.c_str());
    ssh_options_set(session_, SSH_OPTIONS_PORT, &host_.port);
    ssh_options_set(session_, SSH_OPTIONS_USER, "root");
    ssh_options_set(session_, SSH_OPTIONS_KNOWNHOSTS, known_hosts);
    ssh_options_set(session_, SSH_OPTIONS_NODELAY, &nodelay);
    ssh_options_set(session_, SSH_OPTIONS_TIMEOUT, &timeout);
    if (ssh_connect(session_) != SSH_OK ||
        ssh_session_is_known_server(session_) != SSH_KNOWN_HOSTS_OK ||
        ssh_pki_import_privkey_file(identity, nullptr, nullptr, nullptr, &key_) != SSH_OK ||
        ssh_userauth_publickey(session_, nullptr, key_) != SSH_AUTH_SUCCESS) {
      std::fprintf(stderr, "apply_floor: %s:%d: %s\n", host_.address.c_str(), host_.port,
                   ssh_get_error(session_));
      return false;
    }
    slots_.resize(channels_);
    ssh_set_blocking(session_, 0);
    for (Slot& s : slots_) s.ch = ssh_channel_new(session_);
    // The opens go out together and their answers come back together: one round trip.
    const auto deadline = Clock::now() + std::chrono::milliseconds(kRequestTimeoutMs);
    std::vector<bool> open(slots_.size(), false);
    for (size_t left = slots_.size(); left > 0;) {
      for (size_t i = 0; i < slots_.size(); ++i) {
        if (open[i]) continue;
        int rc = ssh_channel_open_forward_unix(slots_[i].ch, host_.socket.c_str(), "127.0.0.1", 0);
        if (rc == SSH_OK) {
          open[i] = true;
          --left;
        } else if (rc == SSH_ERROR) {
          std::fprintf(stderr, "apply_floor: %s: channel to %s: %s\n", host_.address.c_str(),
                       host_.socket.c_str(), ssh_get_error(session_));
          return false;
        }
      }
      if (left == 0) break;
      if (Clock::now() > deadline) return false;
      pollfd p{ssh_get_fd(session_), POLLIN, 0};
      ::poll(&p, 1, 5);
    }
    ssh_set_blocking(session_, 1);
    return true;
  }

  // Drives this host's containers until the scheduler has none left for it.
  void Serve() {
    pollfd p[2] = {{ssh_get_fd(session_), POLLIN, 0}, {sched_.wake_fd(index_), POLLIN, 0}};
    size_t busy = 0;
    for (;;) {
      std::uint64_t drained;
      if (read(p[1].fd, &drained, sizeof drained) < 0) {
        // EAGAIN: nothing new from the scheduler.
      }
      // New work into free channels.
      for (Slot& s : slots_) {
        if (s.busy) continue;
        size_t c;
        if (!sched_.Take(index_, c)) break;
        s.busy = true;
        s.container = c;
        s.step = 0;
        s.id.clear();
        ++busy;
        const Container& k = containers_[c];
        if (!Send(s, Request("POST", "/containers/create?name=" + Encode(k.name),
                             "application/json", k.body)))
          Finish(s, busy, false);
      }
      if (busy == 0) {
        if (sched_.HostFinished(index_)) return;
        ::poll(&p[1], 1, 1000);
        continue;
      }
      bool progress = false;
      for (Slot& s : slots_) {
        if (!s.busy) continue;
        char buf[16384];
        int n;
        while ((n = ssh_channel_read_nonblocking(s.ch, buf, sizeof buf, 0)) > 0) {
          s.rx.append(buf, static_cast<size_t>(n));
          progress = true;
        }
        if (n == SSH_ERROR || (n == SSH_EOF && s.rx.empty())) {
          std::fprintf(stderr, "apply_floor: %s: channel failed: %s\n", host_.address.c_str(),
                       ssh_get_error(session_));
          Finish(s, busy, false);
          continue;
        }
        int status = 0;
        std::string body;
        if (WholeAnswer(s.rx, status, body)) {
          s.rx.clear();
          Answered(s, busy, status, body);
          progress = true;
        } else if (Clock::now() - s.sent > std::chrono::milliseconds(kRequestTimeoutMs)) {
          std::fprintf(stderr, "apply_floor: %s: no answer in time\n", host_.address.c_str());
          Finish(s, busy, false);
        }
      }
      if (progress) continue;
      // Nothing buffered: wait for the daemon's answers or new work.
      ::poll(p, 2, 1000);
    }
  }

 private:
  bool Send(Slot& s, const std::string& request) {
    s.sent = Clock::now();
    size_t done = 0;
    while (done < request.size()) {
      int n = ssh_channel_write(s.ch, request.data() + done,
                                static_cast<uint32_t>(request.size() - done));
      if (n == SSH_ERROR) {
        std::fprintf(stderr, "apply_floor: %s: write failed: %s\n", host_.address.c_str(),
                     ssh_get_error(session_));
        return false;
      }
      done += static_cast<size_t>(n);
    }
    return true;
  }

  void Answered(Slot& s, size_t& busy, int status, const std::string& body) {
    const Container& k = containers_[s.container];
    static const char* kSteps[] = {"create", "upload /run.sh", "start"};
    const int want = s.step == 0 ? 201 : s.step == 1 ? 200 : 204;
    if (status != want) {
      std::fprintf(stderr, "apply_floor: %s: %s %s: HTTP %d %s\n", host_.address.c_str(),
                   kSteps[s.step], k.name.c_str(), status, body.substr(0, 300).c_str());
      Finish(s, busy, false);
      return;
    }
    if (s.step == 0) {
      const size_t at = body.find("\"Id\":\"");
      if (at == std::string::npos) {
        std::fprintf(stderr, "apply_floor: create %s: no Id\n", k.name.c_str());
        Finish(s, busy, false);
        return;
      }
      s.id = body.substr(at + 6, body.find('"', at + 6) - at - 6);
      s.step = 1;
      if (!Send(s, Request("PUT", "/containers/" + s.id + "/archive?path=%2F", "application/x-tar",
                           k.tar)))
        Finish(s, busy, false);
    } else if (s.step == 1) {
      s.step = 2;
      if (!Send(s, Request("POST", "/containers/" + s.id + "/start", "", "")))
        Finish(s, busy, false);
    } else {
      Finish(s, busy, true);
    }
  }

  void Finish(Slot& s, size_t& busy, bool ok) {
    s.busy = false;
    s.rx.clear();
    --busy;
    sched_.Done(index_, ok);
  }

  const size_t index_;
  Host& host_;
  std::vector<Container>& containers_;
  Scheduler& sched_;
  const size_t channels_;
  ssh_session session_ = nullptr;
  ssh_key key_ = nullptr;
  std::vector<Slot> slots_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr,
                 "usage: %s HOSTS_FILE CONTAINERS_FILE IDENTITY KNOWN_HOSTS PARALLELISM "
                 "MAX_PER_HOST CONNECT_PARALLELISM\n",
                 argv[0]);
    return 2;
  }
  std::vector<Host> hosts;
  {
    std::ifstream in(argv[1]);
    for (Host h; in >> h.address >> h.port >> h.socket;) hosts.push_back(h);
  }
  std::vector<Container> containers;
  {
    std::ifstream in(argv[2]);
    size_t host;
    std::string name, body_file, tar_file;
    while (in >> host >> name >> body_file >> tar_file) {
      if (host >= hosts.size()) {
        std::fprintf(stderr, "apply_floor: %s: no host line %zu\n", name.c_str(), host);
        return 2;
      }
      hosts[host].containers.push_back(containers.size());
      containers.push_back({host, name, ReadWhole(body_file), ReadWhole(tar_file)});
    }
  }
  const int parallelism = std::max(1, std::atoi(argv[5]));
  const int max_per_host = std::max(1, std::atoi(argv[6]));
  const int connect_parallelism = std::max(1, std::atoi(argv[7]));
  ssh_init();

  Scheduler sched(containers, hosts.size(), parallelism, max_per_host);
  std::vector<std::unique_ptr<HostRun>> runs;
  std::vector<size_t> used;  // hosts with containers
  for (size_t h = 0; h < hosts.size(); ++h) {
    if (hosts[h].containers.empty()) continue;
    runs.push_back(std::make_unique<HostRun>(h, hosts[h], containers, sched, max_per_host));
    used.push_back(h);
  }

  const auto t0 = Clock::now();
  // Connect every host (CONNECT_PARALLELISM at once), then start the walk: jlrec's apply
  // begins once its refresh has every host's session.
  std::vector<char> connected(runs.size(), 0);
  {
    std::atomic<size_t> next{0};
    std::vector<std::thread> pool;
    for (int i = 0; i < connect_parallelism && i < static_cast<int>(runs.size()); ++i)
      pool.emplace_back([&] {
        for (size_t k; (k = next.fetch_add(1)) < runs.size();)
          connected[k] = runs[k]->Connect(argv[3], argv[4]);
      });
    for (auto& t : pool) t.join();
  }
  const double connect_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  for (size_t k = 0; k < runs.size(); ++k)
    if (!connected[k]) sched.Abandon(used[k]);
  sched.Begin();
  std::vector<std::thread> threads;
  for (size_t k = 0; k < runs.size(); ++k)
    if (connected[k]) threads.emplace_back([&, k] { runs[k]->Serve(); });
  for (auto& t : threads) t.join();
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  runs.clear();  // disconnect outside the measured time
  const int ok = sched.ok();
  std::printf("containers=%zu ok=%d wall_ms=%.1f connect_ms=%.1f\n", containers.size(), ok, ms,
              connect_ms);
  return ok == static_cast<int>(containers.size()) ? 0 : 1;
}
