#include "support/web_browser.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/subprocess.h"

namespace jlrec::testing {

namespace {

constexpr const char* kChromedriver = "/usr/bin/chromedriver";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Kills every process whose command line names `profile` (the browser's processes outlive a
// chromedriver that died without closing them; no other process uses that temp folder), until
// none is left or 3 s passed.
void KillProcessesOf(const std::string& profile) {
  const std::string flag = "--user-data-dir=" + profile;
  for (int attempt = 0; attempt < 30; ++attempt) {
    int found = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
      const std::string name = entry.path().filename();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::string cmdline = ReadFile(entry.path() / "cmdline");
      for (char& c : cmdline) c = c == '\0' ? ' ' : c;
      if (cmdline.find(flag) == std::string::npos) continue;
      kill(std::stoi(name), SIGKILL);
      ++found;
    }
    if (found == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof addr;
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), size) == 0 &&
            getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) == 0;
  close(fd);
  REQUIRE(ok);
  return ntohs(addr.sin_port);
}

WebBrowser::WebBrowser(std::string dir) : dir_(std::move(dir)) {}

WebBrowser::~WebBrowser() { Stop(); }

void WebBrowser::Start(int width, int height) {
  INFO("the browser test needs Debian's chromium and chromium-driver (scripts/install-deps.sh)");
  REQUIRE(access(kChromedriver, X_OK) == 0);
  int port = FreeLoopbackPort();
  driver_pid_ = StartProcess({kChromedriver, "--port=" + std::to_string(port)}, {},
                             dir_ + "/chromedriver.log");
  http_ = std::make_unique<httplib::Client>("127.0.0.1", port);
  http_->set_connection_timeout(2);
  http_->set_read_timeout(60);  // above the page load and script timeouts set below
  http_->set_write_timeout(10);
  bool ready = false;
  for (int i = 0; i < 100 && !ready; ++i) {
    auto r = http_->Get("/status");
    ready = r && r->status == 200 &&
            nlohmann::json::parse(r->body, nullptr, false)["value"].value("ready", false);
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(Log());
  REQUIRE(ready);
  nlohmann::json args = {"--headless=new",
                         "--no-sandbox",
                         "--disable-gpu",
                         "--disable-dev-shm-usage",
                         "--no-first-run",
                         "--disable-extensions",
                         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                         "--user-data-dir=" + dir_ + "/profile",
                         "--window-size=" + std::to_string(width) + "," + std::to_string(height)};
  nlohmann::json caps = {
      {"capabilities",
       {{"alwaysMatch", {{"browserName", "chrome"}, {"goog:chromeOptions", {{"args", args}}}}}}}};
  session_ = Call("POST", "/session", caps)["sessionId"].get<std::string>();
  Call("POST", "/session/" + session_ + "/timeouts", {{"pageLoad", 20000}, {"script", 10000}});
}

void WebBrowser::Open(const std::string& url) {
  Call("POST", "/session/" + session_ + "/url", {{"url", url}});
}

nlohmann::json WebBrowser::Run(const std::string& script) {
  return Call("POST", "/session/" + session_ + "/execute/sync",
              {{"script", script}, {"args", nlohmann::json::array()}});
}

void WebBrowser::Resize(int width, int height) {
  Call("POST", "/session/" + session_ + "/window/rect", {{"width", width}, {"height", height}});
}

void WebBrowser::Screenshot(const std::string& path) {
  auto png_base64 = Call("GET", "/session/" + session_ + "/screenshot").get<std::string>();
  auto png = RunProcess({"base64", "-d"}, png_base64);
  REQUIRE(png.exit_code == 0);
  REQUIRE(png.out.rfind("\x89PNG", 0) == 0);
  std::ofstream(path, std::ios::binary) << png.out;
}

void WebBrowser::Stop() {
  if (http_ && !session_.empty()) {
    http_->set_read_timeout(10);
    http_->Delete(("/session/" + session_).c_str());  // closes the browser
    session_.clear();
  }
  if (driver_pid_ > 0) StopProcessGroup(driver_pid_, 3000);
  driver_pid_ = 0;
  KillProcessesOf(dir_ + "/profile");
}

std::string WebBrowser::Log() const { return ReadFile(dir_ + "/chromedriver.log"); }

nlohmann::json WebBrowser::Call(const std::string& method, const std::string& path,
                                const nlohmann::json& body) {
  REQUIRE(http_);
  httplib::Result r = method == "GET" ? http_->Get(path.c_str())
                                      : http_->Post(path.c_str(), body.dump(), "application/json");
  INFO(method << " " << path << ": "
              << (r ? r->body.substr(0, 2000) : httplib::to_string(r.error())));
  REQUIRE(r);
  REQUIRE(r->status == 200);
  auto doc = nlohmann::json::parse(r->body, nullptr, false);
  REQUIRE(doc.is_object());
  return doc["value"];
}

}  // namespace jlrec::testing
