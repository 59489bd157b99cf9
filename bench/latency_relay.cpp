// A TCP relay that adds network latency on loopback, for the benchmarks (issue 20): this
// kernel has no netem, so the delay is added in user space. Usage:
//   latency_relay --one-way-ms MS --map FILE [--stats FILE] [--no-connect-delay]
// FILE: one "LISTEN_IP LISTEN_PORT TARGET_IP TARGET_PORT" per line, all in 127.0.0.0/8.
//
// Every chunk read from one side is written to the other side MS ms later (RTT = 2 x MS),
// in order. A real TCP connect costs one RTT before the client may send, and the server
// accepts 1.5 RTT after the client's SYN; the kernel here completes the client's connect at
// once, so the relay opens the upstream connection 3 x MS after the accept: the server's
// banner then reaches the client 2 x RTT after its connect, as on a real network, and
// whatever the client sent meanwhile reaches the server when it would have (see
// bench/README.md). --no-connect-delay connects upstream at once.
//
// One thread, epoll, non-blocking sockets, a timerfd armed at the earliest due chunk.
// Prints "ready N" once its N listeners listen; on SIGTERM/SIGINT it writes --stats (JSON:
// connections, bytes each way, turns = direction changes client->server to server->client
// (and causal turns: those where the server spoke after the client's bytes reached it)
// as read off the wire, per connection and summed, its own CPU time) and exits 0. Exit 3:
// a listen address is in use (the caller may retry on another port); 2: bad usage or map.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <queue>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using Nanos = std::chrono::nanoseconds;

// A side stops being read while this much is waiting for it to be delivered: bounds memory
// at a slow reader, like a TCP window would.
constexpr size_t kHighWater = 4 << 20;
constexpr size_t kReadChunk = 64 << 10;

struct Route {
  sockaddr_in listen{}, target{};
  std::string listen_text;
};

struct Chunk {
  Clock::time_point due;
  std::string data;  // empty = end of stream: shut the destination's write side down
  bool eof = false;
};

// One direction of a connection: what was read from `src` and is owed to `dst`.
struct Pipe {
  std::deque<Chunk> queue;
  size_t offset = 0;   // bytes of queue.front() already written
  size_t pending = 0;  // bytes queued, for backpressure
  bool read_eof = false;
  bool write_shut = false;
  bool want_write = false;  // dst is full: waiting for EPOLLOUT
  uint64_t bytes = 0;
};

enum Side : int { kClient = 0, kServer = 1 };

struct Conn {
  uint64_t id = 0;
  int fd[2] = {-1, -1};
  bool connected = false;  // upstream connect finished
  bool connecting = false;
  Pipe pipe[2];  // pipe[kClient]: client -> server, pipe[kServer]: server -> client
  int last_dir = -1;
  uint64_t turns = 0;
  std::vector<double> turn_ms;  // when each turn was read, ms after the accept
  // A causal turn: the server spoke after the client's latest bytes had been delivered to
  // it, so it may be answering them. A plain turn also counts server bytes sent before the
  // client's reached it (both sides talking at once), which no one waited a round trip for.
  uint64_t causal_turns = 0;
  std::vector<double> causal_turn_ms;
  bool client_spoke = false;  // client bytes read since the last causal turn
  size_t route = 0;
  Clock::time_point accepted;
  bool read_paused[2] = {false, false};
  bool watched[2] = {false, false};  // in the epoll set
};

struct Timer {
  Clock::time_point due;
  uint64_t seq;
  uint64_t conn;
  int kind;  // 0: deliver on pipe[0], 1: deliver on pipe[1], 2: connect upstream
  bool operator>(const Timer& o) const { return due != o.due ? due > o.due : seq > o.seq; }
};

struct Finished {
  size_t route;
  uint64_t turns, c2s, s2c;
  double seconds;
  std::vector<double> turn_ms;
  uint64_t causal_turns;
  std::vector<double> causal_turn_ms;
};

// The epoll token of a socket: connection id and side; listeners and the fds of the loop
// itself use ids that no connection gets.
uint64_t Token(uint64_t conn, int side) { return conn << 1 | static_cast<uint64_t>(side); }

bool ParseLoopback(const std::string& ip, int port, sockaddr_in* out) {
  std::memset(out, 0, sizeof *out);
  out->sin_family = AF_INET;
  if (inet_pton(AF_INET, ip.c_str(), &out->sin_addr) != 1) return false;
  // Only 127.0.0.0/8: the relay must never reach beyond this machine.
  if ((ntohl(out->sin_addr.s_addr) >> 24) != 127) return false;
  if (port <= 0 || port > 65535) return false;
  out->sin_port = htons(static_cast<uint16_t>(port));
  return true;
}

void SetNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

class Relay {
 public:
  Relay(std::vector<Route> routes, Nanos delay, Nanos connect_delay)
      : routes_(std::move(routes)), delay_(delay), connect_delay_(connect_delay) {}

  /// Opens the listeners, the timer and the signals; returns 0, or the exit status to
  /// end with (3: an address is in use, 1: anything else), having said why on stderr.
  int Setup() {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    timerfd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    signal(SIGPIPE, SIG_IGN);  // a write to a closed peer is an error return, not a death
    sigfd_ = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (epfd_ < 0 || timerfd_ < 0 || sigfd_ < 0) return Fail("epoll/timerfd/signalfd"), 1;
    Watch(timerfd_, kTimerToken, EPOLLIN, EPOLL_CTL_ADD);
    Watch(sigfd_, kSignalToken, EPOLLIN, EPOLL_CTL_ADD);
    for (size_t i = 0; i < routes_.size(); ++i) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      const auto* addr = reinterpret_cast<const sockaddr*>(&routes_[i].listen);
      if (bind(fd, addr, sizeof routes_[i].listen) != 0) {
        int e = errno;
        std::fprintf(stderr, "latency_relay: bind %s: %s\n", routes_[i].listen_text.c_str(),
                     std::strerror(e));
        return e == EADDRINUSE ? 3 : 1;
      }
      if (listen(fd, 4096) != 0) return Fail("listen"), 1;
      listeners_.push_back(fd);
      Watch(fd, kListenBase + i, EPOLLIN, EPOLL_CTL_ADD);
    }
    return 0;
  }

  /// Runs until SIGTERM or SIGINT.
  void Loop() {
    start_ = Clock::now();
    std::vector<epoll_event> events(1024);
    while (!stop_) {
      int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        Fail("epoll_wait");
        return;
      }
      for (int i = 0; i < n; ++i) Dispatch(events[i]);
      RunTimers();
    }
  }

  /// The statistics as one JSON object.
  std::string StatsJson() const {
    std::vector<Finished> all = finished_;
    auto now = Clock::now();
    for (const auto& [id, c] : conns_)
      all.push_back({c->route, c->turns, c->pipe[kClient].bytes, c->pipe[kServer].bytes,
                     std::chrono::duration<double>(now - c->accepted).count(), c->turn_ms,
                     c->causal_turns, c->causal_turn_ms});
    uint64_t turns = 0, causal = 0, c2s = 0, s2c = 0;
    std::vector<uint64_t> per, per_causal;
    for (const auto& f : all) {
      turns += f.turns;
      causal += f.causal_turns;
      c2s += f.c2s;
      s2c += f.s2c;
      per.push_back(f.turns);
      per_causal.push_back(f.causal_turns);
    }
    auto median_of = [](std::vector<uint64_t> v) {
      if (v.empty()) return 0.0;
      std::sort(v.begin(), v.end());
      size_t n = v.size();
      return n % 2 ? static_cast<double>(v[n / 2]) : (v[n / 2 - 1] + v[n / 2]) / 2.0;
    };
    double median = median_of(per);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto secs = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
    std::ostringstream o;
    o.precision(6);
    o << "{\"one_way_ms\": " << std::chrono::duration<double, std::milli>(delay_).count()
      << ", \"connect_delay_ms\": "
      << std::chrono::duration<double, std::milli>(connect_delay_).count()
      << ", \"connections\": " << all.size() << ", \"open_at_exit\": " << conns_.size()
      << ", \"errors\": " << errors_ << ", \"dropped\": " << dropped_
      << ", \"bytes_client_to_server\": " << c2s << ", \"bytes_server_to_client\": " << s2c
      << ", \"turns\": " << turns << ", \"turns_median\": " << median
      << ", \"causal_turns\": " << causal << ", \"causal_turns_median\": " << median_of(per_causal)
      << ", \"cpu_user_s\": " << secs(ru.ru_utime) << ", \"cpu_sys_s\": " << secs(ru.ru_stime)
      << ", \"chunks\": " << late_count_
      << ", \"late_ms_mean\": " << (late_count_ ? late_sum_ms_ / late_count_ : 0)
      << ", \"late_ms_max\": " << late_max_ms_ << ", \"late_over_1ms\": " << late_over_1ms_
      << ", \"wall_s\": " << std::chrono::duration<double>(now - start_).count()
      << ", \"per_connection\": [";
    for (size_t i = 0; i < all.size(); ++i) {
      o << (i ? ", " : "") << "{\"listen\": \"" << routes_[all[i].route].listen_text
        << "\", \"turns\": " << all[i].turns << ", \"c2s\": " << all[i].c2s
        << ", \"s2c\": " << all[i].s2c << ", \"seconds\": " << all[i].seconds << ", \"turn_ms\": [";
      for (size_t k = 0; k < all[i].turn_ms.size(); ++k) o << (k ? ", " : "") << all[i].turn_ms[k];
      o << "], \"causal_turns\": " << all[i].causal_turns << ", \"causal_turn_ms\": [";
      for (size_t k = 0; k < all[i].causal_turn_ms.size(); ++k)
        o << (k ? ", " : "") << all[i].causal_turn_ms[k];
      o << "]}";
    }
    o << "]}\n";
    return o.str();
  }

 private:
  static constexpr uint64_t kTimerToken = ~uint64_t{0};
  static constexpr uint64_t kSignalToken = ~uint64_t{0} - 1;
  static constexpr uint64_t kListenBase = uint64_t{1} << 62;

  void Fail(const char* what) {
    std::fprintf(stderr, "latency_relay: %s: %s\n", what, std::strerror(errno));
  }

  void Watch(int fd, uint64_t token, uint32_t events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = token;
    epoll_ctl(epfd_, op, fd, &ev);
  }

  void Dispatch(const epoll_event& ev) {
    uint64_t t = ev.data.u64;
    if (t == kTimerToken) {
      uint64_t expirations;
      while (read(timerfd_, &expirations, sizeof expirations) > 0) {
      }
      return;  // RunTimers() follows every batch
    }
    if (t == kSignalToken) {
      stop_ = true;
      return;
    }
    if (t >= kListenBase) return Accept(static_cast<size_t>(t - kListenBase));
    auto it = conns_.find(t >> 1);
    if (it == conns_.end()) return;  // closed earlier in this batch
    Conn& c = *it->second;
    int side = static_cast<int>(t & 1);
    if (side == kServer && c.connecting) {
      if (ev.events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) FinishConnect(c);
      return;
    }
    if (ev.events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ReadSide(c, side);
    if (!Alive(c.id)) return;
    if ((ev.events & EPOLLERR) && c.pipe[side].read_eof) {
      ++errors_;  // nothing left to read and the socket failed: a reset after the FIN
      return Drop(c);
    }
    // Writable: the pipe that writes to this side is the one from the other side.
    if (ev.events & EPOLLOUT) Flush(c, 1 - side);
  }

  bool Alive(uint64_t id) const { return conns_.count(id) != 0; }

  void Accept(size_t route) {
    for (;;) {
      int fd = accept4(listeners_[route], nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ++errors_;
        return;
      }
      SetNoDelay(fd);
      auto c = std::make_unique<Conn>();
      c->id = next_id_++;
      c->fd[kClient] = fd;
      c->route = route;
      c->accepted = Clock::now();
      // The client is read from now on (its data waits for the connect like a real SYN's
      // would), the upstream connect follows after the emulated TCP handshake.
      Watch(fd, Token(c->id, kClient), EPOLLIN, EPOLL_CTL_ADD);
      c->watched[kClient] = true;
      Conn& ref = *c;
      conns_[c->id] = std::move(c);
      if (connect_delay_.count() > 0)
        Schedule(ref.accepted + connect_delay_, ref.id, 2);
      else
        StartConnect(ref);
    }
  }

  void StartConnect(Conn& c) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return Drop(c);
    SetNoDelay(fd);
    c.fd[kServer] = fd;
    c.watched[kServer] = true;
    const auto& target = routes_[c.route].target;
    if (connect(fd, reinterpret_cast<const sockaddr*>(&target), sizeof target) == 0) {
      Watch(fd, Token(c.id, kServer), EPOLLIN, EPOLL_CTL_ADD);
      return Connected(c);
    }
    if (errno != EINPROGRESS) return Drop(c);
    c.connecting = true;
    Watch(fd, Token(c.id, kServer), EPOLLOUT, EPOLL_CTL_ADD);
  }

  void FinishConnect(Conn& c) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd[kServer], SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return Drop(c);
    c.connecting = false;
    Connected(c);
  }

  void Connected(Conn& c) {
    c.connected = true;
    UpdateEvents(c, kServer);
    Flush(c, kClient);  // what the client sent while the connect was under way
  }

  // The events a side's socket waits for: readable unless paused or at EOF, writable while
  // the pipe towards it is blocked.
  void UpdateEvents(Conn& c, int side) {
    if (c.fd[side] < 0 || !c.watched[side] || (side == kServer && !c.connected)) return;
    // Read to the end and written to the end: nothing more to wait for, and a socket shut
    // both ways reports EPOLLHUP whatever it is asked for, which would spin the loop.
    if (c.pipe[side].read_eof && c.pipe[1 - side].write_shut) {
      epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd[side], nullptr);
      c.watched[side] = false;
      return;
    }
    uint32_t ev = 0;
    if (!c.pipe[side].read_eof && !c.read_paused[side]) ev |= EPOLLIN;
    if (c.pipe[1 - side].want_write) ev |= EPOLLOUT;
    Watch(c.fd[side], Token(c.id, side), ev, EPOLL_CTL_MOD);
  }

  void ReadSide(Conn& c, int side) {
    Pipe& p = c.pipe[side];
    if (p.read_eof) return;
    char buf[kReadChunk];
    ssize_t n = read(c.fd[side], buf, sizeof buf);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      ++errors_;
      return Drop(c);  // a reset: the other side gets closed too (as it would see a reset)
    }
    auto now = Clock::now();
    auto due = now + delay_;
    if (n == 0) {
      p.read_eof = true;
      p.queue.push_back({due, {}, true});
      UpdateEvents(c, side);
    } else {
      double at = std::chrono::duration<double, std::milli>(now - c.accepted).count();
      if (side == kServer && c.last_dir == kClient) {
        ++c.turns;
        c.turn_ms.push_back(at);
      }
      if (side == kClient) c.client_spoke = true;
      if (side == kServer && c.client_spoke && c.pipe[kClient].queue.empty()) {
        ++c.causal_turns;
        c.causal_turn_ms.push_back(at);
        c.client_spoke = false;
      }
      c.last_dir = side;
      p.bytes += static_cast<uint64_t>(n);
      p.pending += static_cast<size_t>(n);
      p.queue.push_back({due, std::string(buf, static_cast<size_t>(n)), false});
      if (p.pending > kHighWater) {
        c.read_paused[side] = true;
        UpdateEvents(c, side);
      }
    }
    Schedule(due, c.id, side);
  }

  // Writes what is due of the pipe from `from` to the other side.
  void Flush(Conn& c, int from) {
    int to = 1 - from;
    Pipe& p = c.pipe[from];
    if (to == kServer && !c.connected) return;
    auto now = Clock::now();
    bool blocked = false;
    while (!p.queue.empty() && p.queue.front().due <= now) {
      Chunk& ch = p.queue.front();
      if (p.offset == 0) NoteLateness(now - ch.due);
      if (ch.eof) {
        shutdown(c.fd[to], SHUT_WR);
        p.write_shut = true;
        p.queue.pop_front();
        UpdateEvents(c, to);
        continue;
      }
      ssize_t n =
          send(c.fd[to], ch.data.data() + p.offset, ch.data.size() - p.offset, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          blocked = true;
          break;
        }
        if (errno == EINTR) continue;
        ++errors_;
        return Drop(c);
      }
      p.offset += static_cast<size_t>(n);
      p.pending -= static_cast<size_t>(n);
      if (p.offset == ch.data.size()) {
        p.queue.pop_front();
        p.offset = 0;
      }
    }
    bool changed = blocked != p.want_write;
    p.want_write = blocked;
    if (changed) UpdateEvents(c, to);
    if (c.read_paused[from] && p.pending <= kHighWater / 2) {
      c.read_paused[from] = false;
      UpdateEvents(c, from);
    }
    if (c.pipe[0].write_shut && c.pipe[1].write_shut) Close(c);
  }

  // How late a chunk leaves compared with its due time: the relay's own error on a busy
  // machine (it wakes when the scheduler lets it), reported in the stats.
  void NoteLateness(Nanos late) {
    double ms = std::chrono::duration<double, std::milli>(late).count();
    late_sum_ms_ += ms;
    late_max_ms_ = std::max(late_max_ms_, ms);
    ++late_count_;
    if (ms > 1) ++late_over_1ms_;
  }

  void Schedule(Clock::time_point due, uint64_t conn, int kind) {
    timers_.push({due, seq_++, conn, kind});
    if (timers_.top().seq == seq_ - 1) Arm(due);
  }

  void Arm(Clock::time_point due) {
    // The steady clock is CLOCK_MONOTONIC on Linux, so its time points are the timerfd's.
    auto ns = std::chrono::duration_cast<Nanos>(due.time_since_epoch()).count();
    itimerspec its{};
    its.it_value.tv_sec = ns / 1000000000;
    its.it_value.tv_nsec = ns % 1000000000;
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
      its.it_value.tv_nsec = 1;  // 0 disarms
    timerfd_settime(timerfd_, TFD_TIMER_ABSTIME, &its, nullptr);
  }

  void RunTimers() {
    auto now = Clock::now();
    while (!timers_.empty() && timers_.top().due <= now) {
      Timer t = timers_.top();
      timers_.pop();
      auto it = conns_.find(t.conn);
      if (it == conns_.end()) continue;
      if (t.kind == 2)
        StartConnect(*it->second);
      else
        Flush(*it->second, t.kind);
    }
    if (!timers_.empty()) Arm(timers_.top().due);
  }

  void Drop(Conn& c) {
    ++dropped_;
    Close(c);
  }

  void Close(Conn& c) {
    for (int& fd : c.fd)
      if (fd >= 0) {
        close(fd);  // also removes it from the epoll set
        fd = -1;
      }
    finished_.push_back({c.route, c.turns, c.pipe[kClient].bytes, c.pipe[kServer].bytes,
                         std::chrono::duration<double>(Clock::now() - c.accepted).count(),
                         std::move(c.turn_ms), c.causal_turns, std::move(c.causal_turn_ms)});
    conns_.erase(c.id);  // c is gone from here on
  }

  std::vector<Route> routes_;
  Nanos delay_, connect_delay_;
  int epfd_ = -1, timerfd_ = -1, sigfd_ = -1;
  std::vector<int> listeners_;
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  std::vector<Finished> finished_;
  uint64_t next_id_ = 1, seq_ = 0, errors_ = 0, dropped_ = 0;
  double late_sum_ms_ = 0, late_max_ms_ = 0;
  uint64_t late_count_ = 0, late_over_1ms_ = 0;
  bool stop_ = false;
  Clock::time_point start_ = Clock::now();
};

int Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s --one-way-ms MS --map FILE [--stats FILE] [--no-connect-delay]\n"
               "  FILE: one \"LISTEN_IP LISTEN_PORT TARGET_IP TARGET_PORT\" per line, "
               "all in 127.0.0.0/8\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  double one_way_ms = -1;
  std::string map_path, stats_path;
  bool connect_delay = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--one-way-ms" && i + 1 < argc) {
      char* end = nullptr;
      one_way_ms = std::strtod(argv[++i], &end);
      if (*end != '\0' || !(one_way_ms >= 0) || one_way_ms > 10000) return Usage(argv[0]);
    } else if (a == "--map" && i + 1 < argc) {
      map_path = argv[++i];
    } else if (a == "--stats" && i + 1 < argc) {
      stats_path = argv[++i];
    } else if (a == "--no-connect-delay") {
      connect_delay = false;
    } else {
      return Usage(argv[0]);
    }
  }
  if (one_way_ms < 0 || map_path.empty()) return Usage(argv[0]);

  std::vector<Route> routes;
  std::ifstream in(map_path);
  if (!in) {
    std::fprintf(stderr, "latency_relay: cannot read %s\n", map_path.c_str());
    return 2;
  }
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    std::istringstream ls(line);
    std::string lip, tip, rest;
    int lport = 0, tport = 0;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Route r;
    if (!(ls >> lip >> lport >> tip >> tport) || (ls >> rest) ||
        !ParseLoopback(lip, lport, &r.listen) || !ParseLoopback(tip, tport, &r.target)) {
      std::fprintf(stderr,
                   "latency_relay: %s:%d: want \"LISTEN_IP LISTEN_PORT TARGET_IP TARGET_PORT\", "
                   "addresses in 127.0.0.0/8\n",
                   map_path.c_str(), lineno);
      return 2;
    }
    r.listen_text = lip + ":" + std::to_string(lport);
    routes.push_back(r);
  }
  if (routes.empty()) {
    std::fprintf(stderr, "latency_relay: %s lists no route\n", map_path.c_str());
    return 2;
  }
  // Two sockets per connection: 250 hosts x 32 sessions is well past the usual 1024.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  auto delay =
      std::chrono::duration_cast<Nanos>(std::chrono::duration<double, std::milli>(one_way_ms));
  size_t listeners = routes.size();
  Relay relay(std::move(routes), delay, connect_delay ? 3 * delay : Nanos{0});
  if (int rc = relay.Setup(); rc != 0) return rc;
  std::printf("ready %zu\n", listeners);
  std::fflush(stdout);
  relay.Loop();
  if (!stats_path.empty()) {
    // Written whole then renamed: a reader never sees half a file.
    std::string tmp = stats_path + ".tmp";
    std::ofstream out(tmp, std::ios::trunc);
    out << relay.StatsJson();
    out.close();
    if (!out || std::rename(tmp.c_str(), stats_path.c_str()) != 0) {
      std::fprintf(stderr, "latency_relay: cannot write %s\n", stats_path.c_str());
      return 1;
    }
  }
  return 0;
}
