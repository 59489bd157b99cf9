// A headless Chromium for tests, driven over WebDriver's HTTP JSON protocol by Debian's
// chromedriver (chromium-driver): open a page, run a script in it, resize it, screenshot it.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace httplib {
class Client;
}

namespace jlrec::testing {

/// One browser session. Start() starts chromedriver and the browser (REQUIREs they come up);
/// Stop(), also run by the destructor, ends both and anything they left, whether or not
/// Start() finished. Every wait is bounded: no call blocks more than about a minute.
class WebBrowser {
 public:
  /// `dir`: an existing folder for the browser's profile and chromedriver's log.
  explicit WebBrowser(std::string dir);
  ~WebBrowser();
  WebBrowser(const WebBrowser&) = delete;
  WebBrowser& operator=(const WebBrowser&) = delete;

  /// Starts chromedriver on a free loopback port and a headless Chromium of `width` x
  /// `height` CSS pixels that resolves no host name (only IP literals such as 127.0.0.1 work).
  void Start(int width = 1280, int height = 900);
  /// Loads `url` and waits (bounded) until the page has loaded.
  void Open(const std::string& url);
  /// Runs `script` (a function body: `return ...;` gives the value) in the page; its value.
  nlohmann::json Run(const std::string& script);
  /// Resizes the window to `width` x `height`.
  void Resize(int width, int height);
  /// Saves a PNG of the window to `path`.
  void Screenshot(const std::string& path);
  /// Ends the session, chromedriver and every process left with this profile. Never throws.
  void Stop();
  /// chromedriver's log (for a failing test's message).
  std::string Log() const;

 private:
  nlohmann::json Call(const std::string& method, const std::string& path,
                      const nlohmann::json& body = nullptr);

  std::string dir_;
  int driver_pid_ = 0;
  std::string session_;
  std::unique_ptr<httplib::Client> http_;
};

/// A loopback TCP port free right now (the kernel's pick).
int FreeLoopbackPort();

}  // namespace jlrec::testing
