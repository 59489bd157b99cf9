// What a lab host says reaches the operator's terminal as visible escapes: containers made
// on a real dockerd with escape sequences in a command and a label, read back over SSH by
// the real jlrec binary and printed by plan, drift, apply, show and history.
#include <catch2/catch.hpp>
#include <string>

#include "support/lab_project.h"

using namespace jlrec::testing;

namespace {

// A command argument and a label a host could hold: a window title (OSC ... BEL), a screen clear,
// a carriage return, a backspace, a C1 CSI in UTF-8 and a right-to-left override.
const std::string kHostile =
    "\x1b]0;pwned\x07\x1b[2J\rforged\b\xC2\x9B"
    "1m\xE2\x80\xAE"
    "x";
const std::string kShown = "\\x1b]0;pwned\\x07\\x1b[2J\\rforged\\x08\\u009b1m\\u202ex";

// The first byte a terminal would act on ("" when none): a C0 control other than the
// newline, DEL, a C1 control in UTF-8 (C2 80..9F) or a bidi control (E2 80 AA..AE).
std::string FirstRawControl(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    const auto third = i + 2 < text.size() ? static_cast<unsigned char>(text[i + 2]) : 0;
    if ((c < 0x20 && c != '\n') || c == 0x7F || (c == 0xC2 && next >= 0x80 && next <= 0x9F) ||
        (c == 0xE2 && next == 0x80 && third >= 0xAA && third <= 0xAE))
      return "byte " + std::to_string(c) + " at " + std::to_string(i) + " after '" +
             text.substr(i < 40 ? 0 : i - 40, i < 40 ? i : 40) + "'";
  }
  return "";
}

void CheckNoRawControl(const std::string& what, const ProcessResult& r) {
  INFO(what << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(FirstRawControl(r.out) == "");
  CHECK(FirstRawControl(r.err) == "");
}

}  // namespace

TEST_CASE("escape sequences in a lab container's command and labels are printed as escapes",
          "[lab][terminal-text]") {
  LabProject p("e2etext");
  p.Write(
      {LabUnit{1, {"core"}, {"product"}, true, ""}, LabUnit{2, {"w1"}, {"product"}, false, ""}});
  // Under w1's name, a container jlrec does not manage whose command is hostile: a conflict
  // whose changes show the live command.
  REQUIRE(LabDocker(2, {"create", "--name", p.Name("w1"), p.lab().image1, "sleep", kHostile})
              .exit_code == 0);
  // An orphan of the project whose groups label is hostile.
  REQUIRE(
      LabDocker(1, {"create", "--name", p.Name("ghost"), "--label", "jlrec.project=" + p.project(),
                    "--label", "jlrec.groups=product," + kHostile, p.lab().image1, "sleep", "3600"})
          .exit_code == 0);

  auto plan = p.Jlrec({"plan", "--all"});
  CheckNoRawControl("plan", plan);
  CHECK(plan.out.find("command: [sleep, " + kShown + "] -> [/bin/sh, /run.sh]") !=
        std::string::npos);
  CHECK(plan.out.find("[product, " + kShown + "]") != std::string::npos);

  auto drift = p.Jlrec({"drift"});
  CheckNoRawControl("drift", drift);
  CHECK(drift.exit_code == 2);
  CHECK(drift.out.find("[product," + kShown + "]  no longer in the manifest") != std::string::npos);

  auto history = p.Jlrec({"history", "--drift"});
  CheckNoRawControl("history --drift", history);

  auto show = p.Jlrec({"show"});
  CheckNoRawControl("show", show);
  CHECK(show.out.find(p.Name("ghost")) != std::string::npos);

  // Apply makes the core, skips the conflict, and prints the plan and its summary.
  auto apply = p.Jlrec({"apply", "--all", "--auto-approve"});
  CheckNoRawControl("apply", apply);
  CHECK(apply.out.find("command: [sleep, " + kShown + "]") != std::string::npos);

  auto runs = p.Jlrec({"history"});
  CheckNoRawControl("history", runs);
}
