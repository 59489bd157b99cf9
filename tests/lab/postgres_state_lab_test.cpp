// A PostgreSQL state shared by a team (issue 19), on the lab's real PostgreSQL 15 server: two
// checkouts of one project on one database, the apply lock held across processes (a second
// apply refused naming the holder, or waiting for it; a SIGKILLed holder's lock freed by the
// server at once; `unlock --force` refused while the holder lives), one journal seen from
// both checkouts and from `jlrec serve`, the team's state key, `jlrec state migrate` from an
// SQLite file, and the server restarted in the middle of a refresh.
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "fault_lab.h"
#include "state/state_key.h"
#include "support/finally.h"
#include "support/lab_project.h"
#include "support/subprocess.h"
#include "support/web_browser.h"

using namespace jlrec::testing;
using nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

constexpr LabStateBackend kPg = LabStateBackend::kPostgres;

// Every container's start waits for a healthcheck that takes a while: an apply lasts long
// enough for a second one to meet its lock.
const std::string kSlowHealthcheck =
    "  healthcheck: {command: [\"/bin/sh\", \"-c\", \"sleep 2\"], timeout: 30s, interval: 1s}\n";

std::vector<LabUnit> TwoUnits() {
  return {LabUnit{1, {"core"}, {"product"}, true, ""}, LabUnit{2, {"w1"}, {"product"}, false, ""}};
}

std::vector<LabUnit> ThreeUnits() {
  return {LabUnit{1, {"core"}, {"product"}, true, ""}, LabUnit{2, {"w1"}, {"product"}, false, ""},
          LabUnit{3, {"w3"}, {"product"}, false, ""}};
}

// `history --json` (newest run first) as checkout `p` sees it; REQUIREs a JSON array.
json History(const LabProject& p, const std::vector<std::string>& extra = {},
             const std::map<std::string, std::string>& env = {}) {
  std::vector<std::string> args = {"history", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = p.Jlrec(args, "", env);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  json doc = json::parse(r.out, nullptr, false);
  REQUIRE(doc.is_array());
  return doc;
}

// Waits (bounded) until `p`'s newest run is running, i.e. an apply holds the lock.
bool WaitForRunningApply(const LabProject& p) {
  for (int i = 0; i < 300; ++i) {
    auto r = p.Jlrec({"history", "--json"});
    json doc = json::parse(r.out, nullptr, false);
    if (doc.is_array() && !doc.empty() && doc[0]["result"] == "running") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// Waits (bounded) for the process `pid` and returns its exit code as ProcessResult has it.
int Reap(int pid, int seconds = 120) {
  const auto until = Clock::now() + std::chrono::seconds(seconds);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > until) {
      FAIL_CHECK("process " << pid << " did not end within " << seconds << "s");
      return StopProcessGroup(pid, 1000);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// How many containers named exactly `name` lab host `host` has.
int CountNamed(int host, const std::string& name) {
  auto r = LabDocker(host, {"ps", "-a", "--filter", "name=^/" + name + "$", "--format", "x"});
  return static_cast<int>(std::count(r.out.begin(), r.out.end(), '\n'));
}

// The state of container `name` in `p`'s cached snapshot (`jlrec show --json`), "" if absent.
std::string CachedState(const LabProject& p, const std::string& host, const std::string& name) {
  auto r = p.Jlrec({"show", "product", "--json"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  json doc = json::parse(r.out, nullptr, false);
  REQUIRE(doc.is_object());
  for (const auto& h : doc["hosts"])
    if (h["host"] == host)
      for (const auto& c : h["containers"])
        if (c["name"] == name) return c["state"].get<std::string>();
  return "";
}

// The public id of the state key in `path` (what jlrec's messages name, never the key).
std::string KeyIdOf(const std::string& path) {
  const std::string key = ReadFile(path);
  REQUIRE(key.size() == 32);
  return jlrec::StateKeyId(key);
}

// Puts `state: URL` at the top of `p`'s manifest (after `project:`): the manifest's way.
void SetManifestState(const LabProject& p) {
  std::string text = ReadFile(p.manifest());
  const std::size_t at = text.find("\nproject: ");
  REQUIRE(at != std::string::npos);
  const std::size_t eol = text.find('\n', at + 1);
  text.insert(eol + 1, "state: " + p.state() + "\n");
  std::ofstream(p.manifest()) << text;
}

// The summary of a run in `history --json`, for comparing two states' journals.
json RunSummary(const json& run) {
  json actions = json::array();
  for (const auto& a : run["actions"])
    actions.push_back({a["action"], a["container"], a["result"]});
  return {{"id", run["id"]},         {"kind", run["kind"]},
          {"groups", run["groups"]}, {"started_at", run["started_at"]},
          {"result", run["result"]}, {"owner", run["owner"]},
          {"actions", actions},      {"release", run["release"].size()}};
}

}  // namespace

TEST_CASE("two applies from two checkouts on one PostgreSQL state never both apply",
          "[lab][postgres]") {
  LabProject a("e2epglock1", kPg);
  a.Write(TwoUnits(), "", "dev_new", kSlowHealthcheck);
  auto planned = a.Jlrec({"plan", "product"});  // makes the team's state key
  INFO(planned.out << planned.err);
  REQUIRE(planned.exit_code == 0);
  auto b = a.Checkout();
  REQUIRE(std::filesystem::exists(b->state_key_path()));

  const std::string first_log = a.dir() + "/first.log";
  const int first = a.Start({"apply", "product", "--auto-approve", "--no-color"}, {}, first_log);
  auto stop_first = Finally([&] { StopProcessGroup(first, 1000); });
  REQUIRE(WaitForRunningApply(*b));  // checkout b sees a's run in its journal

  auto refused = b->Jlrec({"apply", "product", "--auto-approve"});
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == 1);
  // The holder named: user@host, its pid, and what for.
  CHECK(Contains(refused.err, "locked by "));
  CHECK(Contains(refused.err, "pid " + std::to_string(first)));
  CHECK(Contains(refused.err, "for apply " + a.project()));

  // With --lock-timeout the second one waits for the first, then has nothing left to do.
  auto waited = b->Jlrec({"apply", "product", "--auto-approve", "--lock-timeout", "120"});
  INFO(waited.out << waited.err);
  CHECK(waited.exit_code == 0);
  CHECK(Reap(first) == 0);
  INFO(ReadFile(first_log));
  for (const auto& [host, name] : {std::pair{1, "core"}, std::pair{2, "w1"}})
    CHECK(CountNamed(host, a.Name(name)) == 1);
  // One apply made them; the one that waited changed nothing.
  int creating_runs = 0;
  for (const auto& run : History(*b))
    for (const auto& action : run["actions"])
      if (action["action"] == "create") {
        ++creating_runs;
        break;
      }
  CHECK(creating_runs == 1);
}

TEST_CASE("kill -9 of the apply holder frees the PostgreSQL lock at once for another checkout",
          "[lab][postgres]") {
  LabProject a("e2epglock2", kPg);
  a.Write(TwoUnits(), "", "dev_new", kSlowHealthcheck);
  REQUIRE(a.Jlrec({"plan", "product"}).exit_code == 0);
  auto b = a.Checkout();

  const int holder = a.Start({"apply", "product", "--auto-approve", "--parallelism", "1"});
  auto stop_holder = Finally([&] { StopProcessGroup(holder, 1000); });
  REQUIRE(WaitForRunningApply(*b));

  // The holder's session is alive: no forced unlock from anywhere.
  auto unlock = b->Jlrec({"unlock", "--force"});
  INFO(unlock.out << unlock.err);
  CHECK(unlock.exit_code == 1);
  CHECK(Contains(unlock.out + unlock.err, "pid " + std::to_string(holder)));
  CHECK(kill(holder, 0) == 0);

  REQUIRE(kill(holder, SIGKILL) == 0);
  CHECK(Reap(holder) == 128 + SIGKILL);
  // No unlock, no --lock-timeout: the server ended the dead holder's session and its lock.
  const auto t0 = Clock::now();
  auto next = b->Jlrec({"apply", "product", "--auto-approve"});
  INFO(next.out << next.err);
  CHECK(next.exit_code == 0);
  CHECK(SecondsSince(t0) < 60);
  for (const auto& [host, name] : {std::pair{1, "core"}, std::pair{2, "w1"}}) {
    CHECK(CountNamed(host, a.Name(name)) == 1);
    CHECK(a.Inspect(host, name, "{{.State.Running}}") == "true");
  }
  // The killed run is closed as interrupted, seen from either checkout.
  bool interrupted = false;
  for (const auto& run : History(a)) {
    CHECK(run["result"] != "running");
    if (run["result"] == "interrupted") interrupted = true;
  }
  CHECK(interrupted);
  CHECK(b->Jlrec({"plan", "product", "--detailed-exitcode"}).exit_code == 0);
}

TEST_CASE("a second checkout reads the first's history and needs the team's state key",
          "[lab][postgres]") {
  LabProject a("e2epgshare", kPg);
  a.Write(TwoUnits());
  Converge(a);
  const std::string team_key_id = KeyIdOf(a.state_key_path());

  // Without the key: refused before anything is written, naming both key ids, keeping none.
  auto b = a.Checkout(false);
  auto refused = b->Jlrec({"plan", "product"});
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code != 0);
  CHECK(Contains(refused.err, "state key"));
  CHECK(Contains(refused.err, team_key_id));
  CHECK(Contains(refused.err, b->state_key_path()));
  CHECK_FALSE(std::filesystem::exists(b->state_key_path()));

  // With it: the state named three ways (the manifest's `state:`, --state, JLREC_STATE), one
  // journal.
  REQUIRE(b->CopyStateKeyFrom(a));
  SetManifestState(*b);
  const json theirs = History(a);
  REQUIRE(theirs.size() >= 1);
  const json from_manifest = History(*b, {}, {{"JLREC_STATE", ""}});
  const json from_flag = History(*b, {"--state", b->state()}, {{"JLREC_STATE", ""}});
  REQUIRE(from_manifest.size() == theirs.size());
  REQUIRE(from_flag.size() == theirs.size());
  for (std::size_t i = 0; i < theirs.size(); ++i) {
    CHECK(RunSummary(from_manifest[i]) == RunSummary(theirs[i]));
    CHECK(RunSummary(from_flag[i]) == RunSummary(theirs[i]));
  }
  auto text = b->Jlrec({"history"}, "", {{"JLREC_STATE", ""}});
  CHECK(Contains(text.out, "apply  [product]  ok"));
  CHECK(Contains(text.out, "by " + theirs[0]["owner"].get<std::string>()));
  // The digests it computes are the team's: the other checkout's apply leaves nothing to do.
  auto plan = b->Jlrec({"plan", "product", "--detailed-exitcode"}, "", {{"JLREC_STATE", ""}});
  INFO(plan.out << plan.err);
  CHECK(plan.exit_code == 0);
}

TEST_CASE("serve and the CLI on one PostgreSQL state see each other's runs", "[lab][postgres]") {
  LabProject cli("e2epgserve", kPg);
  cli.Write(TwoUnits());
  Converge(cli);
  const json cli_run = History(cli)[0];

  // The server runs in another checkout whose manifest adds a container.
  auto served = cli.Checkout();
  auto units = TwoUnits();
  units.push_back(LabUnit{3, {"w3"}, {"product"}, false, ""});
  served->Write(units);
  const std::string token = "lab-token-0123456789abcdef";
  const std::string token_file = served->dir() + "/token";
  std::ofstream(token_file) << token << "\n";
  std::filesystem::permissions(
      token_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const int port = FreeLoopbackPort();
  const std::string log = served->dir() + "/serve.log";
  const int server = served->Start({"serve", "--listen", "127.0.0.1:" + std::to_string(port),
                                    "--interval", "0", "--token-file", token_file},
                                   {}, log);
  auto stop_server = Finally([&] { StopProcessGroup(server, 20000); });
  httplib::Client http("127.0.0.1", port);
  http.set_connection_timeout(2, 0);
  http.set_read_timeout(60, 0);
  auto get = [&](const std::string& path) {
    auto res = http.Get(path.c_str());
    INFO(path << "\n" << ReadFile(log));
    REQUIRE(res);
    REQUIRE(res->status == 200);
    return json::parse(res->body);
  };
  for (int i = 0; i < 100 && !http.Get("/api/v1/groups"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));

  // The CLI's apply is in the server's journal.
  json runs = get("/api/v1/runs?kind=apply")["runs"];
  REQUIRE(!runs.empty());
  CHECK(runs[0]["id"] == cli_run["id"]);
  CHECK(runs[0]["owner"] == cli_run["owner"]);
  CHECK(runs[0]["result"] == "ok");

  // The server's apply is in the CLI's journal. Its plan is from the shared cache, where the
  // host only the server's manifest uses was never refreshed: refreshed first, so the plan
  // shown is the one the apply will find.
  httplib::Headers auth = {{"Authorization", "Bearer " + token}};
  auto refreshed =
      http.Post("/api/v1/refresh", auth, R"({"groups": ["product"]})", "application/json");
  REQUIRE(refreshed);
  INFO(refreshed->body);
  REQUIRE(refreshed->status == 200);
  json plan = get("/api/v1/plan?groups=product");
  REQUIRE(plan["actions"].size() == 1);  // w3, which only the server's manifest has
  json body = {{"groups", {"product"}}, {"plan_fingerprint", plan["plan_fingerprint"]}};
  auto started = http.Post("/api/v1/apply", auth, body.dump(), "application/json");
  REQUIRE(started);
  INFO(started->body << "\n" << ReadFile(log));
  REQUIRE(started->status == 202);
  const int run_id = json::parse(started->body)["run_id"].get<int>();
  json run;
  for (int i = 0; i < 600; ++i) {
    run = get("/api/v1/runs/" + std::to_string(run_id))["run"];
    if (!run["finished_at"].is_null()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(run["result"] == "ok");
  const json history = History(cli);
  REQUIRE(!history.empty());
  CHECK(history[0]["id"] == run_id);
  CHECK(history[0]["owner"] == run["owner"]);
  CHECK(history[0]["result"] == "ok");
  CHECK(cli.Inspect(3, "w3", "{{.State.Running}}") == "true");
}

TEST_CASE("state migrate copies an SQLite state into PostgreSQL: same history, same plan",
          "[lab][postgres]") {
  LabProject p("e2epgmigrate", kPg);
  p.Write(TwoUnits());
  // First an SQLite state, as every project had before: an apply, a drift, a hand change.
  const std::string sqlite = p.dir() + "/.jlrec/state.db";
  const std::map<std::string, std::string> on_sqlite = {{"JLREC_STATE", sqlite}};
  auto applied = p.Jlrec({"apply", "product", "--auto-approve"}, "", on_sqlite);
  INFO(applied.out << applied.err);
  REQUIRE(applied.exit_code == 0);
  REQUIRE(LabDocker(2, {"stop", "-t", "1", p.Name("w1")}).exit_code == 0);
  CHECK(p.Jlrec({"drift"}, "", on_sqlite).exit_code == 2);
  const json runs = History(p, {}, on_sqlite);
  const json checks = History(p, {"--drift"}, on_sqlite);
  auto sqlite_plan = p.Jlrec({"plan", "product", "--refresh=false"}, "", on_sqlite);
  REQUIRE(sqlite_plan.exit_code == 0);

  // -m: a PostgreSQL state's key lives beside the manifest; migrate copies the key there.
  auto migrate = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"state",   "migrate", "--from",     sqlite,      "--to",
                                     p.state(), "-m",      p.manifest(), "--no-color"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunJlrec(args, "", p.StateEnv());
  };
  auto migrated = migrate({});
  INFO(migrated.out << migrated.err);
  REQUIRE(migrated.exit_code == 0);
  CHECK_FALSE(Contains(migrated.out + migrated.err, ReadFile(p.lab().postgres_passfile)));
  // The digests in it were made under the SQLite state's key: the checkout has it now.
  REQUIRE(std::filesystem::exists(p.state_key_path()));
  CHECK(KeyIdOf(p.state_key_path()) == KeyIdOf(jlrec::StateKeyPath(sqlite)));

  const json pg_runs = History(p);
  const json pg_checks = History(p, {"--drift"});
  REQUIRE(pg_runs.size() == runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i)
    CHECK(RunSummary(pg_runs[i]) == RunSummary(runs[i]));
  CHECK(pg_checks == checks);
  // The cached plan reads the same snapshot; a refreshed one finds the stopped container.
  auto pg_plan = p.Jlrec({"plan", "product", "--refresh=false"});
  INFO(pg_plan.out << pg_plan.err);
  CHECK(pg_plan.exit_code == 0);
  auto body = [](const std::string& out) {  // without the "state cache" line's age
    std::string kept;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);)
      if (!Contains(line, "state cache")) kept += line + "\n";
    return kept;
  };
  CHECK(body(pg_plan.out) == body(sqlite_plan.out));
  auto fresh = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  CHECK(fresh.exit_code == 2);
  CHECK(Contains(fresh.out, "lab2/" + p.Name("w1")));

  // A target that holds a state is not overwritten unless asked.
  auto again = migrate({});
  INFO(again.out << again.err);
  CHECK(again.exit_code != 0);
  CHECK(Contains(again.err, "--force"));
  auto forced = migrate({"--force"});
  INFO(forced.out << forced.err);
  CHECK(forced.exit_code == 0);
  CHECK(History(p).size() == runs.size());
}

TEST_CASE("PostgreSQL restarted in the middle of a refresh: a clear error, no partial snapshot",
          "[lab][postgres]") {
  LabProject p("e2epgrestart", kPg);
  p.Write(ThreeUnits());
  Converge(p);
  // What a complete new snapshot would show: two containers stopped, on hosts 1 and 3.
  REQUIRE(LabDocker(1, {"stop", "-t", "1", p.Name("core")}).exit_code == 0);
  REQUIRE(LabDocker(3, {"stop", "-t", "1", p.Name("w3")}).exit_code == 0);

  // Host 3's dockerd hangs: the refresh has read hosts 1 and 2 and waits for it.
  REQUIRE(LabCommand({"pause-docker", "3"}).exit_code == 0);
  auto resume = Finally([] { LabCommand({"resume-docker", "3"}); });
  const std::string log = p.dir() + "/refresh.log";
  const int refresh = p.Start({"refresh", "product", "--no-color"}, {}, log);
  auto stop_refresh = Finally([&] { StopProcessGroup(refresh, 1000); });
  bool connected = false;
  for (int i = 0; i < 100 && !connected; ++i) {
    auto r = p.AdminSql(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
        "pg_backend_pid()");
    connected = r.exit_code == 0 && r.out.rfind("0", 0) != 0;
    if (!connected) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(connected);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto restarted = LabCommand({"postgres-restart"});
  INFO(restarted.out << restarted.err);
  REQUIRE(restarted.exit_code == 0);
  REQUIRE(LabCommand({"resume-docker", "3"}).exit_code == 0);

  const int code = Reap(refresh);
  const std::string out = ReadFile(log);
  INFO("refresh exit " << code << ":\n" << out);
  CHECK(code < 128);  // an error, not a crash
  if (code != 0) {
    // Named as the state's trouble, not as a host's.
    CHECK(Contains(out, "jlrec: "));
    CHECK((Contains(out, "PostgreSQL") || Contains(out, "connection") || Contains(out, "state")));
  }
  // The snapshot is the old one or the whole new one, never hosts 1 and 3 apart.
  const std::string core = CachedState(p, "lab1", p.Name("core"));
  const std::string w3 = CachedState(p, "lab3", p.Name("w3"));
  CHECK(core == w3);

  auto next = p.Jlrec({"refresh", "product"});
  INFO(next.out << next.err);
  CHECK(next.exit_code == 0);
  CHECK(CachedState(p, "lab1", p.Name("core")) == "exited");
  CHECK(CachedState(p, "lab3", p.Name("w3")) == "exited");
  CHECK(CachedState(p, "lab2", p.Name("w1")) == "running");
}
