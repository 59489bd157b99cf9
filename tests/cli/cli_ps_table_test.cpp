// `jlrec ps`'s table and JSON from rows made by hand: uptime as docker ps shows it, only
// compact, columns aligned, orphans and unmanaged containers marked, and unknown hosts.
#include <catch2/catch.hpp>

#include <sstream>

#include "cli/ps_table.h"
#include "model/rfc3339.h"

using jlrec::cli::CompactDuration;
using jlrec::cli::MakePsRows;
using jlrec::cli::PrintPsTable;
using jlrec::cli::PsJson;
using jlrec::cli::PsRow;
using jlrec::cli::UptimeText;

namespace jlrec {
namespace {

constexpr std::int64_t kNow = 1796112000;  // 2026-12-01T08:00:00Z

std::string Ago(std::int64_t seconds) { return FormatRfc3339Utc(kNow - seconds); }

PsRow Row(const std::string& state, const std::string& started, const std::string& finished,
          int exit_code = 0) {
  PsRow r;
  r.host = "lab1";
  r.name = "c";
  r.state = state;
  r.started_at = started;
  r.finished_at = finished;
  r.exit_code = exit_code;
  return r;
}

}  // namespace

TEST_CASE("durations are compact: seconds, minutes, hours and minutes, days and hours",
          "[cli][ps]") {
  CHECK(CompactDuration(0) == "0s");
  CHECK(CompactDuration(59) == "59s");
  CHECK(CompactDuration(60) == "1m");
  CHECK(CompactDuration(59 * 60 + 59) == "59m");
  CHECK(CompactDuration(3600) == "1h");
  CHECK(CompactDuration(3 * 3600 + 12 * 60 + 5) == "3h12m");
  CHECK(CompactDuration(86400) == "1d");
  CHECK(CompactDuration(2 * 86400 + 5 * 3600 + 59) == "2d5h");
  CHECK(CompactDuration(-5) == "0s");  // a host clock ahead of ours
}

TEST_CASE("uptime is how long a container runs, or since when and how it stopped", "[cli][ps]") {
  CHECK(UptimeText(Row("running", Ago(3 * 3600 + 12 * 60), ""), kNow) == "3h12m");
  CHECK(UptimeText(Row("running", "2026-12-01T07:59:15.123456789Z", ""), kNow) == "45s");
  CHECK(UptimeText(Row("paused", Ago(600), ""), kNow) == "10m");
  CHECK(UptimeText(Row("exited", Ago(3600), Ago(120), 137), kNow) == "exited (137) 2m ago");
  CHECK(UptimeText(Row("exited", Ago(3600), Ago(5)), kNow) == "exited (0) 5s ago");
  CHECK(UptimeText(Row("restarting", Ago(30), Ago(3), 1), kNow) == "restarting (1) 3s ago");
  CHECK(UptimeText(Row("created", "", ""), kNow) == "created");
  CHECK(UptimeText(Row("missing", "", ""), kNow) == "-");
  CHECK(UptimeText(Row("unknown", "", ""), kNow) == "-");
}

TEST_CASE("rows follow the manifest per host, with missing, unknown, unmanaged and orphans",
          "[cli][ps]") {
  DesiredState d;
  d.project = "p";
  auto want = [&](const std::string& host, const std::string& name, bool core) {
    DesiredContainer c;
    c.host = host;
    c.name = name;
    c.core = core;
    c.groups = {"product"};
    d.containers.push_back(c);
  };
  want("lab2", "w1", false);
  want("lab1", "core", true);
  want("lab1", "gone", false);
  want("lab2", "taken", false);
  want("lab3", "w3", false);
  std::vector<const DesiredContainer*> selected;
  for (const auto& c : d.containers) selected.push_back(&c);

  auto live = [](const std::string& name, const std::string& project) {
    LiveContainer lc;
    lc.id = name + "-id";
    lc.name = name;
    lc.state = "running";
    lc.spec.image = "img:1";
    lc.started_at = Ago(60);
    if (!project.empty()) lc.jlrec_labels[labels::kProject] = project;
    return lc;
  };
  RefreshResult r;
  auto host = [](const std::string& key, bool reachable, std::vector<LiveContainer> containers,
                 const std::string& error = "") {
    HostSnapshot h;
    h.host = key;
    h.reachable = reachable;
    h.error = error;
    h.containers = std::move(containers);
    return h;
  };
  HostSnapshot h1 = host("lab1", true, {live("core", "p")});
  HostSnapshot h2 = host("lab2", true, {live("w1", ""), live("taken", ""), live("old", "p")});
  h1.containers[0].health = "healthy";
  h2.containers[1].state = "exited";  // Docker keeps its last health verdict: not shown
  h2.containers[1].health = "unhealthy";
  h2.containers[1].exit_code = 137;
  h2.containers[1].finished_at = Ago(120);
  HostSnapshot h3 = host("lab3", false, {}, "connection refused");
  r.hosts = {h1, h2, h3};
  PlanAction orphan;
  orphan.host = "lab2";
  orphan.name = "old";
  orphan.groups = {"product", "test"};
  orphan.live = h2.containers[2];

  // w1 was adopted (no labels, but the adoption names its id); "taken" was not.
  auto rows = MakePsRows(d, selected, r, {orphan}, {{"lab2/w1", "w1-id"}});
  REQUIRE(rows.size() == 6);
  CHECK(rows[0].name == "core");
  CHECK(rows[0].core);
  CHECK(rows[1].name == "gone");
  CHECK(rows[1].state == "missing");
  CHECK(rows[2].name == "w1");
  CHECK_FALSE(rows[2].unmanaged);
  CHECK(rows[3].name == "taken");
  CHECK(rows[3].unmanaged);
  CHECK(rows[4].name == "old");
  CHECK(rows[4].orphan);
  CHECK(rows[4].groups == std::vector<std::string>{"product", "test"});
  CHECK(rows[5].name == "w3");
  CHECK(rows[5].state == "unknown");
  CHECK(rows[5].error == "connection refused");

  std::ostringstream table;
  PrintPsTable(rows, kNow, /*color=*/false, table);
  CHECK(table.str() ==
        "HOST  CONTAINER  GROUP         ROLE    STATE    HEALTH   IMAGE  UPTIME\n"
        "lab1  core       product       core    running  healthy  img:1  1m\n"
        "lab1  gone       product       worker  missing  -        -      -\n"
        "lab2  w1         product       worker  running  -        img:1  1m\n"
        "lab2  taken      product       worker  exited   -        img:1  exited (137) 2m ago  "
        "unmanaged: not made by jlrec (plan shows the conflict)\n"
        "lab2  old        product,test  worker  running  -        img:1  1m                   "
        "orphan: not in the manifest (plan --prune removes it)\n"
        "lab3  w3         product       worker  unknown  -        -      -\n");

  std::ostringstream coloured;
  PrintPsTable(rows, kNow, /*color=*/true, coloured);
  CHECK(coloured.str().find("\033[32mrunning\033[0m  \033[32mhealthy\033[0m  ") !=
        std::string::npos);
  CHECK(coloured.str().find("\033[31mexited\033[0m   ") != std::string::npos);
  CHECK(coloured.str().find("\033[1;31munknown\033[0m") != std::string::npos);

  auto doc = PsJson("p", {"product"}, rows, {{"lab3", "connection refused"}}, kNow);
  CHECK(doc["kind"] == "ps");
  CHECK(doc["format_version"] == 1);
  CHECK(doc["generated_at"] == "2026-12-01T08:00:00Z");
  CHECK(doc["containers"].size() == 6);
  CHECK(doc["containers"][0]["uptime_seconds"] == 60);
  CHECK(doc["containers"][0]["uptime"] == "1m");
  CHECK(doc["containers"][1]["uptime_seconds"].is_null());
  CHECK(doc["containers"][4]["orphan"] == true);
  CHECK(doc["host_errors"][0]["host"] == "lab3");
}

}  // namespace jlrec
