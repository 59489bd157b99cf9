// Plans that explain themselves, on the lab's real hosts: a create lists what it makes (with
// the digest the registry resolves the tag to), and a /run.sh edited by hand in a container
// shows as a unified diff, its secrets hidden by position, never their values.
#include <catch2/catch.hpp>

#include <regex>

#include "manifests/script_diff.h"
#include "support/lab_project.h"

using namespace jlrec::testing;

namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE(
    "a create plan lists what it makes and a hand-edited /run.sh shows as a diff without "
    "secrets",
    "[lab][plan]") {
  LabProject p("e2eexplain");
  p.Write(
      {LabUnit{1, {"core"}, {"product"}, true, ""}, LabUnit{2, {"w1"}, {"product"}, false, ""}});

  auto created = p.Jlrec({"plan", "product"});
  INFO(created.out << created.err);
  REQUIRE(created.exit_code == 0);
  CHECK_FALSE(Contains(created.out + created.err, "s3cr3t-value"));
  std::smatch digest;
  REQUIRE(std::regex_search(created.out, digest,
                            std::regex(R"(image: +\S+ \((sha256:[0-9a-f]{64})\)\n)")));
  CHECK(Contains(created.out, "image:        " + p.lab().image1 + " (sha256:"));
  CHECK(Contains(created.out, "command:      [/bin/sh, /run.sh]\n"));
  CHECK(Contains(created.out, "network_mode: host\n"));
  CHECK(Contains(created.out, "restart:      unless-stopped\n"));
  CHECK(Contains(created.out, "role:         core (its group's master)\n"));
  CHECK(Contains(created.out, "role:         worker\n"));
  CHECK(std::regex_search(created.out, std::regex(R"(\n {12}DB_PASSWORD +\= \(sensitive\)\n)")));
  CHECK(std::regex_search(created.out, std::regex(R"(\n {12}TZ +\= "Asia/Shanghai"\n)")));
  CHECK(std::regex_search(created.out, std::regex(R"(\n {12}RUNTIME_MODE +\= "dev_new"\n)")));

  auto applied = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(applied.out << applied.err);
  REQUIRE(applied.exit_code == 0);
  // The digest the plan showed is the one the host pulled.
  CHECK(Contains(
      LabDocker(1, {"image", "inspect", "-f", "{{json .RepoDigests}}", p.lab().image1}).out,
      "@" + digest[1].str()));

  // By hand in the core container: a body line changed, the secret's value changed, an export
  // the manifest does not set (an old secret, say) added.
  REQUIRE(LabDocker(1, {"exec", p.Name("core"), "sh", "-c",
                        "sed -i -e 's/echo master/echo MASTER/' "
                        "-e \"s/s3cr3t-value/0ld-s3cr3t/\" /run.sh && "
                        "echo \"export OLD_TOKEN='tok-lab-123'\" >> /run.sh"})
              .exit_code == 0);
  auto edited = p.Jlrec({"plan", "product", "-v"});
  INFO(edited.out << edited.err);
  CHECK(edited.exit_code == 0);
  const std::string core = "lab1/" + p.Name("core");
  CHECK(Contains(edited.out, "~ " + core));
  CHECK(Contains(edited.out, "/run.sh was edited in the container since jlrec wrote it"));
  CHECK(Contains(edited.out, "--- " + core + ":/run.sh (on the host)\n"));
  CHECK(Contains(edited.out, "+++ " + core + ":/run.sh (from the manifest)\n"));
  CHECK(std::regex_search(edited.out, std::regex(R"(\n {10}@@ -\d+(,\d+)? \+\d+(,\d+)? @@\n)")));
  CHECK(Contains(edited.out, "-echo MASTER >/tmp/role\n"));
  CHECK(Contains(edited.out, "+echo master >/tmp/role\n"));
  CHECK(Contains(edited.out,
                 "-export DB_PASSWORD='<redacted>'\n          +export DB_PASSWORD="
                 "'<redacted>'\n          " +
                     std::string(jlrec::kHiddenValueChanged) + "\n"));
  CHECK(Contains(edited.out, "-export OLD_TOKEN='<redacted>'\n"));
  for (const char* secret : {"s3cr3t-value", "0ld-s3cr3t", "tok-lab-123"})
    CHECK_FALSE(Contains(edited.out + edited.err, secret));
  CHECK_FALSE(Contains(edited.out, "lab2/" + p.Name("w1")));  // untouched: no diff, no entry
  // -v still times the phases.
  CHECK(Contains(edited.err, "manifest loaded in"));
  CHECK(Contains(edited.err, "diff computed in"));

  // From the state cache nothing of the script is known: said so, not guessed.
  auto cached = p.Jlrec({"plan", "product", "--refresh=false"});
  INFO(cached.out << cached.err);
  CHECK(Contains(cached.out, "(no /run.sh diff: planned from the state cache"));
  for (const char* secret : {"s3cr3t-value", "0ld-s3cr3t", "tok-lab-123"})
    CHECK_FALSE(Contains(cached.out + cached.err, secret));
}
