// The /run.sh diff a plan shows for an update: the container's script against the manifest's,
// with secret values hidden by where they stand on both sides (never searched for, so a
// secret cannot be confirmed by what the diff leaves out), unknown exports hidden as possible
// old secrets, and a script whose secrets cannot be bounded withheld whole.
#include <catch2/catch.hpp>

#include <algorithm>

#include "manifest_test_support.h"
#include "manifests/script_diff.h"
#include "manifests/secret_redaction.h"
#include "manifests/shell_quote.h"

using Catch::Matchers::Contains;
using jlrec::DesiredContainer;
using jlrec::DiffRunScript;
using jlrec::LiveContainer;
using jlrec::ScriptDiff;
using jlrec::ScriptDiffLine;
using jlrec::ScriptUnit;
using jlrec::SplitScript;
using jlrec::testing::Container;
using jlrec::testing::Edit;
using jlrec::testing::kMinimalManifest;
using jlrec::testing::ManifestFixture;

namespace {

// The secret's value is also an ordinary word of the template ("password"): hiding it by
// search would hide the word too, and its absence would confirm the secret.
constexpr const char* kTemplate =
    "#!/bin/sh\n"
    "echo start {{container}}\n"
    "echo checking the password of {{container}}\n"
    "echo mode $MODE\n"
    "exec sleep 1000\n";

DesiredContainer Rendered(ManifestFixture& f) {
  f.dir.Write("t.tmpl", kTemplate);
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n",
       "  image: img:1\n  env: {DB_PASSWORD: password, MODE: dev, TZ: UTC}\n"
       "  secret_env: [DB_PASSWORD]\n");
  auto r = f.Load(yaml);
  REQUIRE(r.ok());
  return Container(r, "h1/c1");
}

LiveContainer Live(const std::string& script) {
  LiveContainer l;
  l.name = "c1";
  l.script_digest = "sha256:live";
  l.script_content = script;
  return l;
}

// The 1-based number of the first line of `script` that starts with `start`.
std::size_t LineOf(const std::string& script, const std::string& start) {
  const std::size_t at = script.find("\n" + start);
  REQUIRE(at != std::string::npos);
  return 2 + static_cast<std::size_t>(std::count(script.begin(), script.begin() + at, '\n'));
}

std::string Text(const ScriptDiff& d) {
  std::string out;
  for (const ScriptDiffLine& line : d.lines) out += line.text + "\n";
  return out;
}

}  // namespace

TEST_CASE("a hand edit of /run.sh shows as a unified diff with the secret hidden by position",
          "[script_diff][secrets]") {
  ManifestFixture f;
  const DesiredContainer c = Rendered(f);
  std::string live = c.script;
  Edit(live, "echo mode $MODE\n", "echo mode $MODE\necho edited by hand\n");
  Edit(live, "export DB_PASSWORD='password'\n",
       "export DB_PASSWORD='password'\necho added under the secret\n");
  Edit(live, "export MODE='dev'\n", "export MODE='dev'\necho added under MODE\n");
  const ScriptDiff d = DiffRunScript(c, Live(live));
  INFO(Text(d));
  CHECK(d.withheld.empty());
  const std::string text = Text(d);
  CHECK_THAT(text,
             Contains("--- h1/c1:/run.sh (on the host)\n+++ h1/c1:/run.sh (from the manifest)\n"));
  CHECK_THAT(text, Contains("\n-echo edited by hand\n"));
  CHECK_THAT(text, Contains("\n echo mode $MODE\n"));
  // The secret's line is hidden where it stands; the same word elsewhere is left as written.
  CHECK_THAT(text, Contains(" export DB_PASSWORD='<redacted>'\n"));
  CHECK_THAT(text, Contains(" echo checking the password of c1\n"));
  CHECK_THAT(text, !Contains("'password'"));
  CHECK_THAT(text, Contains(" export MODE='dev'\n"));
  CHECK_THAT(text, Contains(" export DB_PASSWORD='<redacted>'\n-echo added under the secret\n"));
  CHECK_THAT(text, Contains(" export MODE='dev'\n-echo added under MODE\n"));
  // Numbered as the real files: the last hunk has three lines of context before the edit and
  // one after it.
  const std::size_t from = LineOf(live, "echo edited by hand") - 3;
  CHECK_THAT(text, Contains("@@ -" + std::to_string(from) + ",5 +" + std::to_string(from - 2) +
                            ",4 @@\n"));
}

TEST_CASE("a changed secret shows its line as changed with neither value and a note",
          "[script_diff][secrets]") {
  ManifestFixture f;
  const DesiredContainer c = Rendered(f);
  std::string live = c.script;
  Edit(live, "export DB_PASSWORD='password'\n", "export DB_PASSWORD='0ld-pa55'\n");
  const ScriptDiff d = DiffRunScript(c, Live(live));
  const std::string text = Text(d);
  INFO(text);
  CHECK_THAT(text, Contains("-export DB_PASSWORD='<redacted>'\n+export DB_PASSWORD='<redacted>'\n" +
                            std::string(jlrec::kHiddenValueChanged) + "\n"));
  CHECK_THAT(text, !Contains("0ld-pa55"));
  CHECK_THAT(text, !Contains("'password'"));
  REQUIRE(d.lines.size() > 3);
  CHECK(d.lines.back().kind != ScriptDiffLine::Kind::kInsert);
}

TEST_CASE(
    "an export the manifest does not set is hidden on the host's side as a possible old "
    "secret",
    "[script_diff][secrets]") {
  ManifestFixture f;
  const DesiredContainer c = Rendered(f);
  std::string live = c.script;
  Edit(live, "export MODE='dev'\n", "export MODE='dev'\nexport OLD_TOKEN='tok-9f8e7d'\n");
  const std::string text = Text(DiffRunScript(c, Live(live)));
  INFO(text);
  CHECK_THAT(text, Contains("\n-export OLD_TOKEN='<redacted>'\n"));
  CHECK_THAT(text, !Contains("tok-9f8e7d"));
  CHECK_THAT(text, !Contains(jlrec::kHiddenValueChanged));  // removed, not changed
}

TEST_CASE("a secret's value spanning lines on the host is hidden whole", "[script_diff][secrets]") {
  ManifestFixture f;
  const DesiredContainer c = Rendered(f);
  std::string live = c.script;
  Edit(live, "export DB_PASSWORD='password'\n",
       "export DB_PASSWORD='first-line\nexport TZ='\\''UTC'\\''\nlast-line'\n");
  const std::string text = Text(DiffRunScript(c, Live(live)));
  INFO(text);
  CHECK_THAT(text, !Contains("first-line"));
  CHECK_THAT(text, !Contains("last-line"));
  CHECK_THAT(text,
             Contains("-export DB_PASSWORD='<redacted>'\n+export DB_PASSWORD='<redacted>'\n"));
  // The three lines it covers count in the host's numbering.
  const std::size_t line = LineOf(c.script, "export DB_PASSWORD=");
  const std::size_t before = std::min<std::size_t>(3, line - 1);
  CHECK_THAT(text, Contains("@@ -" + std::to_string(line - before) + "," +
                            std::to_string(before + 3 + 3) + " +" + std::to_string(line - before) +
                            "," + std::to_string(before + 1 + 3) + " @@\n"));
}

TEST_CASE("a host's script whose secret cannot be bounded is withheld whole",
          "[script_diff][secrets]") {
  ManifestFixture f;
  const DesiredContainer c = Rendered(f);
  SECTION("a secret's quote never closes") {
    std::string live = c.script;
    Edit(live, "export DB_PASSWORD='password'\n", "export DB_PASSWORD='password\n");
    const ScriptDiff d = DiffRunScript(c, Live(live));
    CHECK(d.lines.empty());
    CHECK_THAT(d.withheld, Contains("never ends"));
  }
  SECTION("an unknown export's double quote never closes") {
    const ScriptDiff d = DiffRunScript(c, Live(c.script + "export STRAY=\"s3cr3t\n"));
    CHECK(d.lines.empty());
    CHECK_FALSE(d.withheld.empty());
  }
  SECTION(
      "a known non-secret value's quote never closes: shown line by line, secrets still "
      "hidden") {
    std::string live = c.script;
    Edit(live, "export MODE='dev'\n", "export MODE='dev\n");
    const ScriptDiff d = DiffRunScript(c, Live(live));
    CHECK(d.withheld.empty());
    CHECK_THAT(Text(d), Contains("-export MODE='dev\n"));
    CHECK_THAT(Text(d), !Contains("'password'"));
  }
}

TEST_CASE(
    "a missing /run.sh is diffed against nothing, a script not read or not rendered is "
    "not diffed",
    "[script_diff]") {
  ManifestFixture f;
  const DesiredContainer c = Rendered(f);
  SECTION("missing: every line is added, secrets hidden") {
    LiveContainer none;
    const ScriptDiff d = DiffRunScript(c, none);
    const std::string text = Text(d);
    CHECK_THAT(text, Contains("--- h1/c1:/run.sh (missing)\n"));
    const auto lines = std::count(c.script.begin(), c.script.end(), '\n');
    CHECK_THAT(text, Contains("@@ -0,0 +1," + std::to_string(lines) + " @@\n"));
    CHECK_THAT(text, Contains("+export DB_PASSWORD='<redacted>'\n"));
    CHECK_THAT(text, !Contains("'password'"));
  }
  SECTION("not read (a plan from the state cache)") {
    LiveContainer cached;
    cached.script_digest = "sha256:x";
    const ScriptDiff d = DiffRunScript(c, cached);
    CHECK(d.lines.empty());
    CHECK_THAT(d.withheld, Contains("not read"));
  }
  SECTION("not rendered (the manifest's resolution from the cache)") {
    DesiredContainer digests_only = c;
    digests_only.script.clear();
    digests_only.env.clear();
    const ScriptDiff d = DiffRunScript(digests_only, Live(c.script));
    CHECK(d.lines.empty());
    CHECK_THAT(d.withheld, Contains("state cache"));
  }
  SECTION("the same script: no diff") {
    const ScriptDiff d = DiffRunScript(c, Live(c.script));
    CHECK(d.lines.empty());
    CHECK(d.withheld.empty());
  }
}

TEST_CASE("hostile secret values never reach a /run.sh diff from either side",
          "[script_diff][secrets]") {
  ManifestFixture f;
  f.dir.Write("t.tmpl", "#!/bin/sh\nexec sleep 1000\n");
  const std::vector<std::string> values = {
      "it's a 'quoted' secret",         "say \"hi\" \\ secret", "$(secret)",     "`secret`",
      "line one\nsecret two\n\nlast\n", "  spaced secret  ",    "计量 secret ✓", "#secret"};
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n",
       "  image: img:1\n  env: {TOKEN: placeholder, TZ: UTC}\n  secret_env: [TOKEN]\n");
  auto r = f.Load(yaml);
  REQUIRE(r.ok());
  const DesiredContainer& c = Container(r, "h1/c1");
  for (const std::string& value : values) {
    // The manifest's side holds the hostile value, the host's side another one.
    DesiredContainer want = c;
    want.env["TOKEN"] = value;
    Edit(want.script, "export TOKEN='placeholder'\n",
         "export TOKEN=" + jlrec::ShellQuote(value) + "\n");
    std::string live = c.script;
    Edit(live, "export TOKEN='placeholder'\n",
         "export TOKEN=" + jlrec::ShellQuote(value + " old") + "\n");
    const std::string text = Text(DiffRunScript(want, Live(live)));
    INFO(value << "\n" << text);
    CHECK_THAT(text, !Contains("secret"));
    CHECK_THAT(text, Contains(jlrec::kHiddenValueChanged));
  }
}

TEST_CASE("a script is cut into lines and assignments with the chosen values hidden",
          "[script_diff][secrets]") {
  const auto hide_s = [](std::string_view name, bool) { return name == "S"; };
  SECTION("a second assignment or a comment on the line is hidden with it") {
    auto units = SplitScript("export A=1 S='x' # it's\nS=2 echo\necho S=3\n", hide_s);
    REQUIRE(units);
    REQUIRE(units->size() == 3);
    CHECK((*units)[0].shown == "export A='<redacted>'\n");
    CHECK((*units)[1].shown == "S='<redacted>'\n");
    CHECK((*units)[2].shown == "echo S=3\n");  // a command's word, no assignment
    CHECK_FALSE((*units)[2].redacted);
  }
  SECTION("quotes, escapes and line continuations carry a value over lines") {
    auto units = SplitScript("S=\"a\\\"\nb\" c\\\nd\nnext\n", hide_s);
    REQUIRE(units);
    REQUIRE(units->size() == 2);
    CHECK((*units)[0].lines == 3);
    CHECK((*units)[0].shown == "S='<redacted>'\n");
    CHECK((*units)[1].raw == "next\n");
  }
  SECTION("the last line without a newline stays without one") {
    auto units = SplitScript("echo\nS=x", hide_s);
    REQUIRE(units);
    CHECK(units->back().shown == "S='<redacted>'");
    CHECK(units->back().raw == "S=x");
  }
  SECTION("a quote in a comment is no quote") {
    auto units = SplitScript("S=x # don't\nS=y\n", hide_s);
    REQUIRE(units);
    CHECK(units->size() == 2);
  }
}
