// `jlrec serve`'s refusals before it serves anything: the real binary, exit codes, messages.
// (The server itself: tests/serve/server_test.cpp; on the lab: tests/lab/serve_api_lab_test.cpp.)
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "support/subprocess.h"

using Catch::Matchers::Contains;
using jlrec::testing::RunJlrec;

namespace {

const std::string kLabManifest = std::string(JLREC_SOURCE_DIR) + "/manifests/lab.yaml";

// A token file of `mode` holding `token`, removed at the end of the test.
struct TokenFile {
  TokenFile(const std::string& token, mode_t mode) {
    char tmpl[] = "/tmp/jlrec-token-XXXXXX";
    int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    close(fd);
    path = tmpl;
    std::ofstream(path) << token << "\n";
    REQUIRE(chmod(path.c_str(), mode) == 0);
  }
  ~TokenFile() { unlink(path.c_str()); }
  std::string path;
};

}  // namespace

TEST_CASE("serve refuses a non-loopback address without a token file", "[cli][serve]") {
  auto r = RunJlrec({"serve", "-m", kLabManifest, "--listen", "0.0.0.0:18099"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("refusing to listen on 0.0.0.0 without --token-file"));
}

TEST_CASE("serve refuses a token file others can read, and a short token", "[cli][serve]") {
  TokenFile open_to_all("0123456789abcdef0123", 0644);
  auto r = RunJlrec({"serve", "-m", kLabManifest, "--token-file", open_to_all.path});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("readable by group or others: chmod 600 it"));
  CHECK_THAT(r.err, !Contains("0123456789abcdef0123"));
  TokenFile short_token("short", 0600);
  r = RunJlrec({"serve", "-m", kLabManifest, "--token-file", short_token.path});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("at least 16 characters"));
}

TEST_CASE("serve refuses a malformed --listen or --interval", "[cli][serve]") {
  auto r = RunJlrec({"serve", "-m", kLabManifest, "--listen", "8080"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("expected HOST:PORT"));
  r = RunJlrec({"serve", "-m", kLabManifest, "--interval", "soon"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("--interval soon: expected a duration"));
  r = RunJlrec({"serve", "-m", kLabManifest, "--interval", "10ms"});
  CHECK(r.exit_code == 1);
}

TEST_CASE("serve refuses to start on a manifest that does not load", "[cli][serve]") {
  auto r = RunJlrec({"serve", "-m", "/nonexistent/jlrec.yaml", "--listen", "127.0.0.1:0"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("/nonexistent/jlrec.yaml"));
}
