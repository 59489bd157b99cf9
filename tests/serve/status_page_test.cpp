// The status page as the binary embeds it: the file it was built from, self-contained, and
// putting what the API says into the page as text only.
#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "serve/status_page.h"

using jlrec::serve::StatusPageHtml;

namespace {

std::string Page() { return std::string(StatusPageHtml()); }

std::string SourceFile() {
  std::ifstream in(std::string(JLREC_SOURCE_DIR) + "/serve/status_page.html", std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("the embedded status page is serve/status_page.html byte for byte", "[serve][page]") {
  std::string page = Page();
  REQUIRE(page.size() > 1000);
  CHECK(page == SourceFile());
  CHECK(page.rfind("<!doctype html>", 0) == 0);
  CHECK(Contains(page, "</html>"));
  CHECK_FALSE(Contains(page, std::string(1, '\0')));
}

TEST_CASE("the status page loads nothing from another host and no other file", "[serve][page]") {
  std::string page = Page();
  // Its one link: an empty icon, so the browser asks the server for no /favicon.ico.
  const std::string icon = R"(<link rel="icon" href="data:,">)";
  REQUIRE(Contains(page, icon));
  page.erase(page.find(icon), icon.size());
  // No absolute URL at all, no protocol-relative one, nothing a browser would fetch besides
  // the API: no script/img src, no stylesheet link, no CSS import or url().
  CHECK_FALSE(std::regex_search(page, std::regex(R"([a-zA-Z][a-zA-Z+.-]*://)")));
  CHECK_FALSE(std::regex_search(page, std::regex(R"(['"(]//)")));
  for (const char* loader : {"src=", "<link", "@import", "url(", "<iframe", "<object", "<embed"}) {
    INFO(loader);
    CHECK_FALSE(Contains(page, loader));
  }
  // The policy it declares holds the same in the browser.
  CHECK(Contains(page, "default-src 'none'"));
  CHECK(Contains(page, "connect-src 'self'"));
  // Every request it makes is to the versioned API of the server that served it.
  std::regex call(R"(getJson\('([^']*)')");
  int calls = 0;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), call); it != std::sregex_iterator();
       ++it, ++calls) {
    INFO((*it)[1].str());
    CHECK((*it)[1].str().rfind("/api/v1/", 0) == 0);
  }
  CHECK(calls >= 3);                                              // groups, a group, a run
  CHECK(std::regex_search(page, std::regex(R"(fetch\(path,)")));  // the one fetch, in getJson
}

TEST_CASE("the status page never parses API text as markup", "[serve][page]") {
  std::string page = Page();
  for (const char* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                           "eval(", "new Function", "DOMParser", "createContextualFragment"}) {
    INFO(sink);
    CHECK_FALSE(Contains(page, sink));
  }
  // Text goes in as text nodes (el(), setText()).
  CHECK(Contains(page, "document.createTextNode"));
  CHECK(Contains(page, "textContent"));
}

TEST_CASE("the status page marks each container row for tests and tools", "[serve][page]") {
  std::string page = Page();
  // tests/lab/serve_browser_lab_test.cpp finds rows by these.
  CHECK(Contains(page, "'data-ref': c.ref"));
  CHECK(Contains(page, "'data-status': c.status"));
  CHECK(Contains(page, "id=\"banner\" role=\"alert\""));
  // Narrow screens get cards instead of wide tables.
  CHECK(Contains(page, "@media (max-width: 600px)"));
  CHECK(Contains(page, "name=\"viewport\""));
}
