// Text from a host or the state file reaches the operator's terminal through the real binary
// (plan, show, history, unlock, apply, drift, refresh) as visible escapes, never as the raw
// escape sequences it carries: a state file written with a hostile container, host error,
// journal, drift history and lock holder, and an SSH server whose banner is hostile.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "state/sqlite_state_store.h"
#include "support/subprocess.h"

using jlrec::testing::ProcessResult;
using jlrec::testing::RunJlrec;
using jlrec::testing::RunProcess;

namespace jlrec {
namespace {

const std::string kSource = JLREC_SOURCE_DIR;

// What a hostile host could send on one line: a window title (OSC ... BEL), a screen clear, a
// carriage return back over jlrec's own text, a C1 CSI encoded in UTF-8 and as a raw byte
// (not UTF-8), a right-to-left override and a backspace.
const std::string kHostileLine =
    "\x1b]0;pwned\x07\x1b[2J\rjlrec: forged\xC2\x9B"
    "1m\x9B"
    "2J\xE2\x80\xAE"
    "desrever\b!";
// How it must be shown.
const std::string kShownLine =
    "\\x1b]0;pwned\\x07\\x1b[2J\\rjlrec: forged\\u009b1m\\x9b2J\\u202edesrever\\x08!";
// The same with a newline inside: the terminal filter keeps a newline a line break (it cannot
// tell one inside a value from jlrec's own), a log message escapes it.
const std::string kHostile = kHostileLine + "\nsecond line";
const std::string kShown = kShownLine + "\nsecond line";
const std::string kShownInLog = kShownLine + "\\nsecond line";

// The first byte of `text` a terminal would act on, described ("" when none): a C0 control
// other than the newline that ends a line, DEL, and the C1 and bidi sequences of kHostile.
std::string FirstRawControl(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n') || c == 0x7F || c == 0x9B ||
        text.compare(i, 3, "\xE2\x80\xAE") == 0)
      return "byte " + std::to_string(c) + " at " + std::to_string(i) + " after '" +
             text.substr(i < 40 ? 0 : i - 40, i < 40 ? i : 40) + "'";
  }
  return "";
}

// Output that came through the terminal printers: no raw control, and the hostile text shown.
void CheckShownSafely(const ProcessResult& r) {
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(FirstRawControl(r.out) == "");
  CHECK(FirstRawControl(r.err) == "");
  CHECK((r.out + r.err).find(kShown) != std::string::npos);
}

// `r` exited with `exit_code`, shown safely, and its stdout has each of `lines`.
void CheckShows(const ProcessResult& r, int exit_code, const std::vector<std::string>& lines) {
  CHECK(r.exit_code == exit_code);
  CheckShownSafely(r);
  for (const auto& line : lines) CHECK(r.out.find(line) != std::string::npos);
}

// A project whose state file says hostile things: h1's cache holds an orphan with a hostile
// name, image, state and groups label; h2's last refresh failed with a hostile error; the
// journal, the drift history and the apply lock's holder carry it too. Both hosts are
// 127.0.0.1:`port` (by default 1, where nothing listens: a refresh finds them unreachable at
// once).
class HostileState {
 public:
  explicit HostileState(int port = 1) {
    std::random_device random;
    dir_ = std::filesystem::temp_directory_path() / ("jlrec-cli-text-" + std::to_string(random()));
    std::filesystem::create_directories(dir_);
    std::ofstream(Path("jlrec.yaml"))
        << "version: 1\n"
           "project: hostile\n"
           "defaults:\n"
           "  image: 127.0.0.1:5000/jlrec-lab/base:1\n"
           "  template: "
        << kSource
        << "/templates/jiliang_run.sh.tmpl\n"
           "hosts:\n"
           "  h1: {address: 127.0.0.1, port: "
        << port << "}\n  h2: {address: 127.0.0.1, port: " << port
        << "}\n"
           "groups:\n"
           "  product: {runtime_mode: dev_new}\n"
           "units:\n"
           "  - {host: h1, dockers: [core], group: [product], core: true}\n"
           "  - {host: h2, dockers: [w1], group: [product]}\n";
    auto opened = OpenSqliteStateStore(Path("state.db"));
    REQUIRE(opened.ok());
    store_ = std::move(*opened);
  }
  ~HostileState() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  StateStore& store() { return *store_; }

  void CacheHostileHosts() {
    HostSnapshot h1;
    h1.host = "h1";
    h1.reachable = true;
    h1.observed_at = 1700000000;
    LiveContainer orphan;
    orphan.id = "0123456789abcdef";
    orphan.name = "ghost" + kHostile;
    orphan.state = "exited" + kHostile;
    orphan.spec.image = "img" + kHostile;
    orphan.jlrec_labels = {{"jlrec.project", "hostile"}, {"jlrec.groups", "product," + kHostile}};
    h1.containers.push_back(orphan);
    HostSnapshot h2;
    h2.host = "h2";
    h2.reachable = false;
    h2.error = "ssh: " + kHostile;
    h2.observed_at = 1700000000;
    REQUIRE(store_->SaveSnapshots("hostile", {h1, h2}).ok());
  }

  void JournalHostileRun() {
    RunRecord run;
    run.kind = "apply";
    run.project = "hostile";
    run.groups = {"product"};
    run.started_at = 1700000000;
    run.owner = "ops" + kHostile;
    run.result = "running";
    auto id = store_->BeginRun(run);
    REQUIRE(id.ok());
    ActionRecord action;
    action.run_id = *id;
    action.action = "create";
    action.container = "h1/core";
    action.result = "running";
    auto action_id = store_->RecordActionStart(action);
    REQUIRE(action_id.ok());
    REQUIRE(store_->RecordActionEnd(*action_id, "failed", "Docker said: " + kHostile).ok());
    ReleasedContainer released;
    released.host = "h1";
    released.container = "core";
    released.action = "create";
    released.outcome = "failed";
    released.image = "img" + kHostile;
    REQUIRE(store_->RecordRelease(*id, {released}).ok());
    REQUIRE(store_->FinishRun(*id, "failed", "1 failed: " + kHostile).ok());
  }

  void RecordHostileDriftCheck() {
    DriftCheckRecord check;
    check.project = "hostile";
    check.groups = {"product"};
    check.checked_at = 1700000000;
    check.result = "drift";
    check.detail = "drift: " + kHostile;
    check.findings = {{"h1/core", "stopped", "container is exited " + kHostile}};
    REQUIRE(store_->RecordDriftCheck(check).ok());
  }

  // The apply lock, held by a live process (pid 1) on a hostile machine name.
  void HoldApplyLock() {
    LockInfo lock{"apply:hostile", "ops" + kHostile, 1, "box" + kHostile, 1700000000};
    REQUIRE(store_->AcquireLock(lock, std::chrono::milliseconds(0)).ok());
  }

  // The drift lock, held by a process of this machine that is gone: drift takes it over and
  // warns (spdlog) naming the holder.
  void LeaveDeadDriftLock() {
    pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, nullptr, 0);
    LockInfo lock{"drift:hostile", "ops" + kHostile, child, "", 1700000000};
    REQUIRE(store_->AcquireLock(lock, std::chrono::milliseconds(0)).ok());
  }

  ProcessResult Jlrec(std::vector<std::string> args) const {
    args.insert(args.end(), {"-m", Path("jlrec.yaml"), "--state", Path("state.db")});
    return RunJlrec(args);
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<StateStore> store_;
};

// JSON output that a terminal shows as it is and a program reads back: plain printable ASCII
// (every control and non-ASCII character a \u escape), the bytes that are not UTF-8 as
// U+FFFD rather than an exception that ended the command with no report.
void CheckAsciiJson(const ProcessResult& r, int exit_code = 0) {
  INFO(r.out << r.err);
  CHECK(r.exit_code == exit_code);
  CHECK(FirstRawControl(r.err) == "");
  for (unsigned char c : r.out)
    if ((c < 0x20 && c != '\n') || c >= 0x7F) FAIL("byte " << int(c) << " in the JSON");
  CHECK_NOTHROW(nlohmann::json::parse(r.out));
}

// kHostile as the JSON reads back: the raw 0x9b, not UTF-8, as U+FFFD.
const std::string kHostileFromJson =
    "\x1b]0;pwned\x07\x1b[2J\rjlrec: forged\xC2\x9B"
    "1m\xEF\xBF\xBD"
    "2J\xE2\x80\xAE"
    "desrever\b!\nsecond line";

// An SSH server on 127.0.0.1 that answers every connection with `banner` (an SSH-1.5 one,
// which libssh refuses, quoting it in its error) and then waits for the client to hang up.
class HostileSshServer {
 public:
  explicit HostileSshServer(std::string banner) : banner_(std::move(banner) + "\r\n") {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(fd_, 16) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~HostileSshServer() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      (void)!write(c, banner_.data(), banner_.size());
      char buf[4096];
      for (pollfd q{c, POLLIN, 0}; !stop_ && poll(&q, 1, 2000) > 0;)
        if (read(c, buf, sizeof buf) <= 0) break;
      close(c);
    }
  }
  std::string banner_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A banner as hostile as an SSH banner line can be (libssh ends it at a '\r').
const std::string kBanner =
    "SSH-1.5-\x1b]0;pwned\x07\x1b[2J\xC2\x9B"
    "1m\x9B"
    "2J\xE2\x80\xAE"
    "desrever\b!";
const std::string kBannerShown =
    "SSH-1.5-\\x1b]0;pwned\\x07\\x1b[2J\\u009b1m\\x9b2J\\u202edesrever\\x08!";

}  // namespace

TEST_CASE("a hostile SSH banner is shown as escapes by plan, refresh, drift and apply",
          "[cli][terminal]") {
  HostileSshServer server(kBanner);
  HostileState s(server.port());
  const std::vector<std::vector<std::string>> commands = {
      {"plan", "--all"}, {"refresh"}, {"drift"}, {"apply", "--all", "--auto-approve"}};
  for (const auto& args : commands) {
    auto r = s.Jlrec(args);
    INFO(args[0] << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
    CHECK(r.exit_code == 1);
    CHECK(FirstRawControl(r.out) == "");
    CHECK(FirstRawControl(r.err) == "");
    CHECK(r.out.find("(banner: " + kBannerShown + ")") != std::string::npos);
  }
  // drift counts the unreachable hosts' containers as unknown, not drifted.
  auto drift = s.Jlrec({"drift"});
  CHECK(drift.out.find("unknown  h2/w1  [product]\n") != std::string::npos);
  CHECK(drift.out.find(": error: 0 drifted, 2 unknown (hosts h1, h2 unreachable), 0 in sync\n") !=
        std::string::npos);
  auto json = s.Jlrec({"drift", "--json"});
  CheckAsciiJson(json, 1);
  auto doc = nlohmann::json::parse(json.out);
  CHECK(doc["summary"]["unknown"] == 2);
  CHECK(doc["summary"]["drifted"] == 0);
  CHECK(doc["host_errors"][0]["error"].get<std::string>().find(
            "SSH-1.5-\x1b]0;pwned\x07\x1b[2J\xC2\x9B"
            "1m\xEF\xBF\xBD") != std::string::npos);
}

TEST_CASE("plan from the cache shows a hostile orphan and host error as escapes",
          "[cli][terminal]") {
  HostileState s;
  s.CacheHostileHosts();
  // Exit 1: h2 is unknown.
  CheckShows(s.Jlrec({"plan", "--all", "--refresh=false"}), 1,
             {"ghost" + kShown, "host h2 could not be refreshed: ssh: " + kShown});
}

TEST_CASE("show prints a hostile cached container and host error as escapes", "[cli][terminal]") {
  HostileState s;
  s.CacheHostileHosts();
  CheckShows(s.Jlrec({"show"}), 0, {"STALE: ssh: " + kShown, "img" + kShown});
}

TEST_CASE("history prints a hostile journal and drift history as escapes", "[cli][terminal]") {
  HostileState s;
  s.JournalHostileRun();
  s.RecordHostileDriftCheck();
  CheckShows(s.Jlrec({"history"}), 0, {"Docker said: " + kShown});
  CheckShows(s.Jlrec({"history", "--drift"}), 0, {"container is exited " + kShown});
}

TEST_CASE("history --json and show --json are printable ASCII that read back as the host said",
          "[cli][terminal][json]") {
  HostileState s;
  s.RecordHostileDriftCheck();
  s.CacheHostileHosts();
  auto drift = s.Jlrec({"history", "--drift", "--json"});
  CheckAsciiJson(drift);
  CHECK(drift.out.find("\\u001b]0;pwned\\u0007\\u001b[2J\\rjlrec: forged\\u009b1m\\ufffd2J"
                       "\\u202edesrever\\b!\\nsecond line") != std::string::npos);
  auto doc = nlohmann::json::parse(drift.out);
  CHECK(doc[0]["detail"] == "drift: " + kHostileFromJson);
  auto show = s.Jlrec({"show", "--json"});
  CheckAsciiJson(show);
  CHECK(nlohmann::json::parse(show.out)["hosts"][1]["error"] == "ssh: " + kHostileFromJson);
}

TEST_CASE("unlock and a refused apply name a hostile lock holder as escapes", "[cli][terminal]") {
  HostileState s;
  s.HoldApplyLock();
  auto held = s.Jlrec({"unlock"});
  CHECK(held.exit_code == 1);
  CheckShownSafely(held);
  auto apply = s.Jlrec({"apply", "--all", "--auto-approve"});
  CHECK(apply.exit_code == 1);
  CheckShownSafely(apply);
  auto removed = s.Jlrec({"unlock", "--force"});
  CHECK(removed.exit_code == 0);
  CheckShownSafely(removed);
}

TEST_CASE("drift's log warning names a hostile dead lock holder as escapes", "[cli][terminal]") {
  HostileState s;
  s.LeaveDeadDriftLock();
  auto r = s.Jlrec({"drift", "--connect-timeout", "5"});
  CHECK(r.exit_code == 1);  // both hosts unreachable
  INFO(r.out << r.err);
  CHECK(FirstRawControl(r.out) == "");
  CHECK(FirstRawControl(r.err) == "");
  CHECK(r.err.find("previous holder is gone (locked by ops" + kShownInLog) != std::string::npos);
}

TEST_CASE("on a terminal, plan's own colours pass the filter while a host's escapes do not",
          "[cli][terminal]") {
  HostileSshServer server(kBanner);
  HostileState s(server.port());
  // util-linux script(1) gives jlrec a pseudo-terminal for stdout, so it colours its plan.
  std::string command = std::string(JLREC_BINARY) + " plan --all -m " + s.Path("jlrec.yaml") +
                        " --state " + s.Path("state.db");
  auto r = RunProcess({"script", "-qec", command, "/dev/null"}, "", {{"TERM", "xterm"}});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("\x1b[1;31mError:\x1b[0m host h1") != std::string::npos);
  CHECK(r.out.find("(banner: " + kBannerShown + ")") != std::string::npos);
  // Nothing else a terminal acts on: without our styles and the pty's CRs, no control is left.
  std::string rest;
  for (std::size_t i = 0; i < r.out.size(); ++i) {
    if (r.out.compare(i, 7, "\x1b[1;31m") == 0)
      i += 6;
    else if (r.out.compare(i, 4, "\x1b[0m") == 0)
      i += 3;
    else if (r.out[i] != '\r')
      rest += r.out[i];
  }
  CHECK(FirstRawControl(rest) == "");
}

}  // namespace jlrec
