// The status page of `jlrec serve` in a real browser (headless Chromium over WebDriver)
// against the lab, serving the example manifest (manifests/lab.yaml): every container shown
// in sync, a stopped one shown drifted after the next
// drift loop without a reload, on a laptop and a phone width, the group and run views, and
// the banner when the server is gone. Screenshots go to tests/output in the build dir.
#include <httplib.h>
#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "manifests/manifest_loader.h"
#include "support/finally.h"
#include "support/lab_project.h"
#include "support/web_browser.h"

using namespace jlrec::testing;

namespace {

/// A container row as the page shows it.
struct Row {
  std::string status, core, text, display;
  double width = 0, height = 0, right = 0;
};

// Every container row of the groups shown, by ref, with what the test checks of its layout.
std::map<std::string, Row> Rows(WebBrowser& browser) {
  auto rows = browser.Run(R"(
    return Array.from(document.querySelectorAll('section.group tr[data-ref]'), r => {
      const box = r.getBoundingClientRect();
      return {ref: r.dataset.ref, status: r.dataset.status, core: r.dataset.core,
              text: r.textContent, display: getComputedStyle(r).display,
              width: box.width, height: box.height, right: box.right};
    });)");
  std::map<std::string, Row> out;
  for (const auto& r : rows) {
    out[r["ref"].get<std::string>()] = Row{
        r["status"].get<std::string>(),  r["core"].get<std::string>(), r["text"].get<std::string>(),
        r["display"].get<std::string>(), r["width"].get<double>(),     r["height"].get<double>(),
        r["right"].get<double>()};
  }
  return out;
}

std::string Describe(const std::map<std::string, Row>& rows) {
  std::ostringstream out;
  for (const auto& [ref, row] : rows) out << ref << ": " << row.status << " | " << row.text << "\n";
  return out.str();
}

// Calls `done` every 250 ms until it holds or `seconds` passed; whether it held.
bool WaitUntil(int seconds, const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return done();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Where screenshots go: tests/output in the build dir (next to the jlrec binary).
std::string OutputDir() {
  auto dir = std::filesystem::path(JLREC_BINARY).parent_path() / "tests" / "output";
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace

TEST_CASE(
    "the status page shows every container in sync and then a stopped one drifted at the next "
    "drift loop without a reload, on a laptop and a phone width",
    "[lab][serve][browser]") {
  // The example manifest itself (manifests/lab.yaml, project jiliang), with a state file of
  // the test's own; its containers are made afresh and removed at the end.
  const std::string manifest = std::string(JLREC_SOURCE_DIR) + "/manifests/lab.yaml";
  auto loaded = jlrec::LoadManifest(manifest);
  REQUIRE(loaded.ok());
  std::vector<std::string> refs;
  std::set<std::string> cores;
  std::string stopped, stopped_name;
  int stopped_host = 0, product_rows = 0;
  const auto host_number = [](const std::string& key) { return std::stoi(key.substr(3)); };
  const auto remove_all = [&] {
    for (const auto& c : loaded.state->containers)
      LabDocker(host_number(c.host), {"rm", "-f", c.name});
  };
  for (const auto& c : loaded.state->containers) {
    refs.push_back(c.Ref());
    const bool product = std::count(c.groups.begin(), c.groups.end(), "product") > 0;
    product_rows += product;
    if (c.core) cores.insert(c.Ref());
    if (!c.core && product && stopped.empty()) {
      stopped = c.Ref();
      stopped_name = c.name;
      stopped_host = host_number(c.host);
    }
  }
  REQUIRE(!cores.empty());
  REQUIRE(!stopped.empty());
  LabProject p("e2epage");  // a temp folder (and nothing on the hosts)
  remove_all();
  Finally remove_at_end(remove_all);
  const std::vector<std::string> with_state = {"-m", manifest, "--state", p.dir() + "/state.db"};
  std::vector<std::string> apply = {"apply", "--all", "--auto-approve"};
  apply.insert(apply.end(), with_state.begin(), with_state.end());
  auto applied = jlrec::testing::RunJlrec(apply);
  INFO(applied.out << applied.err);
  REQUIRE(applied.exit_code == 0);

  const int port = FreeLoopbackPort();
  const std::string log = p.dir() + "/serve.log";
  std::vector<std::string> serve_args = {"serve", "--listen", "127.0.0.1:" + std::to_string(port),
                                         "--interval", "2s"};
  serve_args.insert(serve_args.end(), with_state.begin(), with_state.end());
  int serve = StartJlrec(serve_args, {}, log);
  Finally stop_serve([&] {
    if (serve > 0) StopProcessGroup(serve, 10000);
  });
  httplib::Client api("127.0.0.1", port);
  api.set_connection_timeout(1);
  api.set_read_timeout(10);
  bool exited = false;
  bool up = WaitUntil(30, [&] {
    exited = waitpid(serve, nullptr, WNOHANG) == serve;
    if (exited) serve = 0;  // reaped: nothing left to stop
    auto r = api.Get("/api/v1/groups");
    return exited || (r && r->status == 200);
  });
  INFO("jlrec serve's log:\n" << ReadFile(log));
  REQUIRE_FALSE(exited);
  REQUIRE(up);

  WebBrowser browser(p.dir());
  Finally stop_browser([&] { browser.Stop(); });
  browser.Start(1280, 900);
  const std::string out = OutputDir();
  std::cout << "status page screenshots: " << out << "/serve-status-page-*.png\n";
  browser.Open("http://127.0.0.1:" + std::to_string(port) + "/");
  browser.Run("window.__marker = 1;");  // gone if the page reloads

  // Every container of the manifest, in sync, the core marked.
  std::map<std::string, Row> rows;
  bool in_sync = WaitUntil(20, [&] {
    rows = Rows(browser);
    return rows.size() == refs.size() &&
           std::all_of(refs.begin(), refs.end(),
                       [&](const auto& ref) { return rows[ref].status == "in_sync"; });
  });
  INFO(Describe(rows));
  REQUIRE(in_sync);
  for (const auto& ref : refs) {
    INFO(ref);
    CHECK(rows[ref].core == (cores.count(ref) ? "true" : "false"));
    CHECK(Contains(rows[ref].text, "in sync"));  // the colour has a text label
    CHECK(rows[ref].height > 0);
  }
  CHECK(browser.Run("return document.getElementById('banner').hidden;") == true);
  CHECK(Contains(
      browser.Run("return document.getElementById('loop').textContent;").get<std::string>(),
      "last check"));
  browser.Screenshot(out + "/serve-status-page-in-sync.png");

  // A container stopped on its host: drifted after the next drift loop, in place.
  REQUIRE(LabDocker(stopped_host, {"stop", "-t", "1", stopped_name}).exit_code == 0);
  bool drifted = WaitUntil(30, [&] {
    rows = Rows(browser);
    return rows[stopped].status == "drifted";
  });
  INFO(Describe(rows));
  REQUIRE(drifted);
  CHECK(Contains(rows[stopped].text, "stopped"));
  CHECK(Contains(rows[stopped].text, "drifted"));
  for (const auto& ref : refs) {
    if (ref != stopped) CHECK(rows[ref].status == "in_sync");
  }
  CHECK(browser.Run("return window.__marker;") == 1);
  browser.Screenshot(out + "/serve-status-page-drifted.png");

  // What the page costs: its own size, and per poll (every 3 s) one groups request plus one
  // per group shown, nothing more.
  auto cost = browser.Run(R"(
    const nav = performance.getEntriesByType('navigation')[0];
    const api = performance.getEntriesByType('resource').filter(e => e.name.includes('/api/v1/'));
    return {page: nav.transferSize, page_body: nav.decodedBodySize, seconds: performance.now() / 1000,
            polls: api.filter(e => e.name.endsWith('/api/v1/groups')).length, requests: api.length,
            bytes: api.reduce((n, e) => n + e.transferSize, 0)};)");
  const double polls = cost["polls"].get<double>(), seconds = cost["seconds"].get<double>();
  std::cout << "status page: " << cost["page_body"] << " bytes (" << cost["page"]
            << " transferred); " << polls << " polls in " << seconds << " s, "
            << cost["requests"].get<double>() / polls << " requests and "
            << cost["bytes"].get<double>() / polls << " bytes transferred per poll\n";
  CHECK(cost["requests"].get<double>() <= polls * 3);  // groups + product + test
  CHECK(polls <= seconds / 3 + 2);

  // At a phone's width every row is a card inside the screen, nothing scrolls sideways.
  browser.Resize(390, 844);
  bool cards = WaitUntil(5, [&] {
    rows = Rows(browser);
    return std::all_of(rows.begin(), rows.end(), [](const auto& r) {
      return r.second.display == "block" && r.second.width > 0 && r.second.height > 0 &&
             r.second.right <= 390;
    });
  });
  INFO(Describe(rows));
  CHECK(cards);
  CHECK(rows.size() == refs.size());
  CHECK(rows[stopped].status == "drifted");
  CHECK(browser.Run("return document.documentElement.scrollWidth <= window.innerWidth;") == true);
  CHECK(browser.Run("return window.__marker;") == 1);
  browser.Screenshot(out + "/serve-status-page-phone.png");

  // The group view and the run view of the apply, by their routes, without a reload.
  browser.Resize(1280, 900);
  browser.Run("location.hash = '#/groups/product';");
  bool group_view = WaitUntil(10, [&] {
    return browser.Run(R"(
      const s = document.querySelectorAll('section.group');
      return s.length === 1 && s[0].dataset.group === 'product' &&
             s[0].querySelectorAll('tr[data-ref]').length === )" +
                       std::to_string(product_rows) + R"( &&
             s[0].textContent.includes('Script digest');)") == true;
  });
  CHECK(group_view);
  auto groups = nlohmann::json::parse(api.Get("/api/v1/groups")->body);
  int run = 0;  // the newest apply
  for (const auto& r : groups["recent_runs"]) {
    if (r["kind"] == "apply" && run == 0) run = r["id"].get<int>();
  }
  INFO(groups["recent_runs"].dump());
  REQUIRE(run > 0);
  browser.Run("location.hash = '#/runs/" + std::to_string(run) + "';");
  nlohmann::json actions;  // [container, result] of each action of the run
  bool run_view = WaitUntil(10, [&] {
    actions = browser.Run(
        "return Array.from(document.querySelectorAll('table.actions tr[data-ref]'), "
        "r => [r.dataset.ref, r.dataset.result]);");
    return std::all_of(refs.begin(), refs.end(), [&](const auto& ref) {
      return std::any_of(actions.begin(), actions.end(),
                         [&](const auto& a) { return a[0] == ref; });
    });
  });
  INFO(actions.dump());
  CHECK(run_view);
  for (const auto& a : actions) CHECK(a[1] == "succeeded");
  CHECK(browser.Run("return window.__marker;") == 1);
  browser.Screenshot(out + "/serve-status-page-run.png");

  // The server gone: the page says so (a poll that met the shutdown may first say
  // "unavailable"), and keeps what it showed.
  CHECK(StopProcessGroup(serve, 10000) == 0);  // SIGTERM: a clean exit
  serve = 0;
  std::string banner;
  bool said = WaitUntil(10, [&] {
    banner = browser.Run(
        "const b = document.getElementById('banner'); "
        "return b.hidden ? '' : b.textContent;");
    return Contains(banner, "cannot reach the jlrec server");
  });
  INFO(banner);
  CHECK(said);
  CHECK(browser.Run("return document.querySelectorAll('table.actions tr[data-ref]').length;") ==
        actions.size());
}
