// The rendered /run.sh: quoting checked by running it with a real /bin/sh, determinism,
// no HTML escaping, the shipped legacy template, and secret redaction.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "manifest_test_support.h"
#include "manifests/script_template.h"
#include "manifests/secret_redaction.h"
#include "manifests/shell_quote.h"
#include "model/digest.h"
#include "support/subprocess.h"

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using jlrec::DesiredContainer;
using jlrec::LoadResult;
using jlrec::testing::Container;
using jlrec::testing::Edit;
using jlrec::testing::kMinimalManifest;
using jlrec::testing::Lines;
using jlrec::testing::ManifestFixture;
using jlrec::testing::RunProcess;
using jlrec::testing::ScratchDir;

namespace {

// Values that break naive quoting; `marker` is a file a successful injection would create.
std::map<std::string, std::string> HostileValues(const std::string& marker) {
  return {
      {"SINGLE", "it's a 'quoted' value"},
      {"DOUBLE", "say \"hi\" \\ there"},
      {"SUBST", "$(touch " + marker + ")"},
      {"BACKTICK", "`touch " + marker + "`"},
      {"DOLLAR", "$HOME ${PATH} $1 $$"},
      {"NEWLINES", "line one\nline two\n\nlast\n"},
      {"SPACES", "  leading and trailing  "},
      {"NON_ASCII", "计量系统 — ünïcödé ✓"},
      {"GLOB", "* ? [a-z] ~"},
      {"SEMICOLON", "x; touch " + marker + " && echo y | cat"},
      {"EMPTY", ""},
      {"DASH", "-n"},
  };
}

// Runs `script` with /bin/sh and returns what it printed.
std::string RunSh(const std::string& script) {
  auto result = RunProcess({"/bin/sh", "-c", script});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return result.out;
}

// printf of each variable, NUL-separated, in map order.
std::string PrintEach(const std::map<std::string, std::string>& env) {
  std::string out;
  for (const auto& [name, value] : env) out += "printf '%s\\0' \"$" + name + "\"\n";
  return out;
}

std::string Expected(const std::map<std::string, std::string>& env) {
  std::string out;
  for (const auto& [name, value] : env) out += value + std::string(1, '\0');
  return out;
}

// `values` as the lines of an env: mapping (4 spaces in), each a YAML double-quoted scalar
// with $${ for a literal ${.
std::string EnvYaml(const std::map<std::string, std::string>& values) {
  std::string env_yaml;
  for (const auto& [name, value] : values) {
    std::string escaped;
    for (size_t i = 0; i < value.size(); ++i) {
      const char c = value[i];
      if (value.compare(i, 2, "${") == 0) escaped += '$';
      if (c == '"' || c == '\\') escaped += '\\';
      if (c == '\n' || c == '\t') {
        escaped += c == '\n' ? "\\n" : "\\t";
        continue;
      }
      escaped += c;
    }
    env_yaml += "    " + name + ": \"" + escaped + "\"\n";
  }
  return env_yaml;
}

}  // namespace

TEST_CASE("ShellQuote wraps in single quotes and escapes a quote as '\\''", "[script]") {
  CHECK(jlrec::ShellQuote("plain") == "'plain'");
  CHECK(jlrec::ShellQuote("") == "''");
  CHECK(jlrec::ShellQuote("it's") == "'it'\\''s'");
  CHECK(jlrec::ShellQuote("$(x) `y`") == "'$(x) `y`'");
  CHECK(jlrec::ShellWord("jl_core_51_1") == "jl_core_51_1");
  CHECK(jlrec::ShellWord("a b") == "'a b'");
  CHECK(jlrec::ShellWord("") == "''");
}

TEST_CASE("the export block gives back every value exactly when run by /bin/sh", "[script]") {
  ScratchDir dir;
  const std::string marker = dir.Path("injected");
  const auto env = HostileValues(marker);
  const std::string block = jlrec::ExportBlock(env);
  CHECK(RunSh(block + PrintEach(env)) == Expected(env));
  CHECK_FALSE(std::filesystem::exists(marker));
}

TEST_CASE("the export block is sorted by name and the same map gives the same bytes", "[script]") {
  const std::string block = jlrec::ExportBlock({{"B", "2"}, {"A", "it's"}, {"C", ""}});
  CHECK(block == "export A='it'\\''s'\nexport B='2'\nexport C=''\n");
}

TEST_CASE("a rendered /run.sh exports hostile env values intact and runs nothing from them",
          "[script]") {
  ManifestFixture f;
  const std::string marker = f.dir.Path("injected");
  auto values = HostileValues(marker);
  const std::string env_yaml = EnvYaml(values);
  // The body prints each value both through the exported variable and through {{NAME}}.
  std::string body = "#!/bin/sh\n";
  for (const auto& [name, value] : values) {
    body += "printf '%s\\0' \"$" + name + "\"\nprintf '%s\\0' {{" + name + "}}\n";
  }
  f.dir.Write("t.tmpl", body);
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n", "  image: img:1\n  env:\n" + env_yaml);
  LoadResult r = f.Load(yaml);
  INFO(Catch::Detail::stringify(Lines(r)));
  REQUIRE(r.ok());
  const DesiredContainer& c = Container(r, "h1/c1");
  for (const auto& [name, value] : values) CHECK(c.env.at(name) == value);
  std::string expected;
  for (const auto& [name, value] : values) expected += value + '\0' + value + '\0';
  CHECK(RunSh(c.script) == expected);
  CHECK_FALSE(std::filesystem::exists(marker));
}

TEST_CASE("an env tag inside double quotes in the body still cannot run its value", "[script]") {
  ManifestFixture f;
  const std::string marker = f.dir.Path("injected");
  f.dir.Write("t.tmpl", "echo \"value: {{EVIL}}\"\n");
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n", "  image: img:1\n  env: {EVIL: \"'$(touch " + marker + ")'\"}\n");
  LoadResult r = f.Load(yaml);
  REQUIRE(r.ok());
  CHECK(RunSh(Container(r, "h1/c1").script) == "value: '$(touch " + marker + ")'\n");
  CHECK_FALSE(std::filesystem::exists(marker));
}

TEST_CASE("mustache HTML escaping is off in script bodies", "[script]") {
  ManifestFixture f;
  f.dir.Write("t.tmpl",
              "test \"{{container}}\" = c1 && echo '<ok> & \"fine\"'\n"
              "printf '%s' {{MARKUP}}\n"
              "printf '%s' {{{MARKUP}}}\n");
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n", "  image: img:1\n  env: {MARKUP: \"a&b <i>\\\"x\\\"</i>\"}\n");
  LoadResult r = f.Load(yaml);
  REQUIRE(r.ok());
  const std::string& script = Container(r, "h1/c1").script;
  CHECK_THAT(script, Contains("test \"c1\" = c1 && echo '<ok> & \"fine\"'\n"));
  CHECK_THAT(script, !Contains("&amp;"));
  CHECK_THAT(script, !Contains("&lt;"));
  CHECK(RunSh(script) == "<ok> & \"fine\"\na&b <i>\"x\"</i>a&b <i>\"x\"</i>");
}

TEST_CASE("the script starts with #!/bin/sh, or the template's own #! line", "[script]") {
  ManifestFixture f;
  f.dir.Write("t.tmpl", "echo no shebang here\n");
  LoadResult plain = f.Load(kMinimalManifest);
  REQUIRE(plain.ok());
  CHECK_THAT(Container(plain, "h1/c1").script, StartsWith("#!/bin/sh\n# /run.sh of h1/c1"));
  f.dir.Write("t.tmpl", "#!/bin/busybox sh\necho own shebang\n");
  LoadResult own = f.Load(kMinimalManifest);
  REQUIRE(own.ok());
  const std::string& script = Container(own, "h1/c1").script;
  CHECK_THAT(script, StartsWith("#!/bin/busybox sh\n"));
  CHECK(script.find("#!", 1) == std::string::npos);
}

TEST_CASE("rendering is deterministic: same manifest, same bytes, same digests", "[script]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n", "  image: img:1\n  env: {Z: \"1\", A: \"2\", M: \"3\"}\n");
  LoadResult first = f.Load(yaml);
  LoadResult second = f.Load(yaml);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  const DesiredContainer& a = Container(first, "h1/c1");
  const DesiredContainer& b = Container(second, "h1/c1");
  CHECK(a.script == b.script);
  CHECK(a.script_digest == b.script_digest);
  CHECK(a.script_digest.size() == 64);
  CHECK(a.spec_digest == b.spec_digest);
  CHECK(a.spec_digest == jlrec::SpecDigest(a.spec));
  CHECK(first.state->manifest_digest == second.state->manifest_digest);
  const std::string& s = a.script;
  CHECK(s.find("export A=") < s.find("export M="));
  CHECK(s.find("export M=") < s.find("export Z="));
  // An env change changes the script digest but not the spec digest (in-place update).
  Edit(yaml, "M: \"3\"", "M: \"4\"");
  LoadResult changed = f.Load(yaml);
  REQUIRE(changed.ok());
  CHECK(Container(changed, "h1/c1").script_digest != a.script_digest);
  CHECK(Container(changed, "h1/c1").spec_digest == a.spec_digest);
}

TEST_CASE("the shipped template reproduces the legacy /run.sh, master lines only on core",
          "[script]") {
  LoadResult r = jlrec::LoadManifest(std::string(JLREC_SOURCE_DIR) + "/manifests/lab.yaml");
  INFO(Catch::Detail::stringify(Lines(r)));
  REQUIRE(r.ok());
  const std::vector<std::string> legacy = {
      "sh /workspace/jiliang_system/deploy/install.sh\n",
      "sh /workspace/jiliang_monitor_pr/src/jiliang_process/deploy/install.sh\n",
      "sh /workspace/jiliang_system/deploy/automapbuilding_z/install.sh\n",
      "sh /workspace/jiliang_system/deploy/distributed_semantics/install.sh\n",
      "exec sh /workspace/jiliang_system/deploy/run.sh\n"};
  const DesiredContainer& master = Container(r, "lab1/jl_core_1");
  const DesiredContainer& worker = Container(r, "lab2/jl_slave_2_1");
  for (const auto* c : {&master, &worker}) {
    CHECK_THAT(c->script, StartsWith("#!/bin/sh\n"));
    size_t last = 0;
    for (const auto& line : legacy) {
      const size_t at = c->script.find(line);
      CHECK(at != std::string::npos);
      CHECK(at >= last);  // in the legacy order
      last = at;
    }
    CHECK_THAT(c->script, Contains("export MONITOR_ENABLED='true'\n"));
    CHECK_THAT(c->script, Contains("export RUNTIME_MODE='dev_new'\n"));
    CHECK_THAT(c->script, Contains("export JL_MASTER_HOST='127.0.0.2'\n"));
    CHECK(RunProcess({"/bin/sh", "-n", "-c", c->script}).exit_code == 0);  // valid sh
  }
  CHECK_THAT(master.script, Contains("echo \"master of product\" > /tmp/jlrec-markers/master\n"));
  CHECK_THAT(worker.script, !Contains("/tmp/jlrec-markers/master"));
  CHECK_THAT(worker.script, Contains("# Worker: the group's master runs on 127.0.0.2.\n"));
}

TEST_CASE("secret values are redacted from shown env and scripts", "[script]") {
  ManifestFixture f;
  f.dir.Write("t.tmpl", "echo {{DB_PASSWORD}} {{container}}\n");
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n",
       "  image: img:1\n  env: {DB_PASSWORD: \"pa'ss\", TZ: UTC}\n  secret_env: [DB_PASSWORD]\n");
  LoadResult r = f.Load(yaml);
  REQUIRE(r.ok());
  const DesiredContainer& c = Container(r, "h1/c1");
  CHECK_THAT(c.script, Contains("export DB_PASSWORD='pa'\\''ss'\n"));  // the real script has it
  const std::string shown = jlrec::RedactedScript(c);
  CHECK_THAT(shown, !Contains("pa'ss"));
  CHECK_THAT(shown, !Contains("pa'\\''ss"));
  CHECK_THAT(shown, Contains("export DB_PASSWORD='<redacted>'\n"));
  CHECK_THAT(shown, Contains("export TZ='UTC'\n"));
  auto env = jlrec::RedactedEnv(c);
  CHECK(env.at("DB_PASSWORD") == "<redacted>");
  CHECK(env.at("TZ") == "UTC");
}

// A /run.sh holds secret values: a plain sha256 of it (the jlrec.script-digest label, plans,
// the state file) would let anyone holding a digest confirm a guessed password offline.
TEST_CASE("script and manifest digests are keyed with the state key: no digest confirms a secret",
          "[script][secrets]") {
  ManifestFixture f;
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n",
       "  image: img:1\n  env: {DB_PASSWORD: \"hunter2\"}\n  secret_env: [DB_PASSWORD]\n");
  LoadResult keyed = f.Load(yaml);
  REQUIRE(keyed.ok());
  const DesiredContainer& c = Container(keyed, "h1/c1");
  REQUIRE(c.script.find("hunter2") != std::string::npos);
  CHECK(c.script_digest == jlrec::ScriptDigest(f.script_key, c.script));
  CHECK(c.script_digest != jlrec::Sha256Hex(c.script));

  // The same manifest under another key: every digest that covers the secret differs.
  const std::string first_manifest_digest = keyed.state->manifest_digest;
  const std::string first_script_digest = c.script_digest;
  f.script_key = std::string(32, 'z');
  LoadResult other = f.Load(yaml);
  REQUIRE(other.ok());
  CHECK(Container(other, "h1/c1").script_digest != first_script_digest);
  CHECK(other.state->manifest_digest != first_manifest_digest);

  // A rotated secret still changes both (the update that deploys it is planned).
  f.script_key = std::string(32, 'k');
  Edit(yaml, "hunter2", "hunter3");
  LoadResult rotated = f.Load(yaml);
  REQUIRE(rotated.ok());
  CHECK(Container(rotated, "h1/c1").script_digest != first_script_digest);
  CHECK(rotated.state->manifest_digest != first_manifest_digest);
}

TEST_CASE("a short secret is redacted where it was inserted, not wherever its characters appear",
          "[script][secrets]") {
  ManifestFixture f;
  f.dir.Write("t.tmpl", "#!/bin/sh\necho a banana at {{S}} and {{LONG}}\n");
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n",
       "  image: img:1\n  env: {S: a, LONG: \"hunter2 'x'\", TZ: Asia/Shanghai}\n"
       "  secret_env: [S, LONG]\n");
  LoadResult r = f.Load(yaml);
  REQUIRE(r.ok());
  const DesiredContainer& c = Container(r, "h1/c1");
  const std::string shown = jlrec::RedactedScript(c);
  // Everything but the two secret values is as rendered.
  std::string expected = c.script;
  Edit(expected, "export S='a'\n", "export S='<redacted>'\n");
  Edit(expected, "export LONG='hunter2 '\\''x'\\'''\n", "export LONG='<redacted>'\n");
  CHECK(shown == expected);
  CHECK_THAT(shown, Contains("export TZ='Asia/Shanghai'\n"));
  CHECK_THAT(shown, Contains("echo a banana at \"${S}\" and \"${LONG}\"\n"));
  CHECK_THAT(shown, !Contains("hunter2"));
  CHECK_THAT(shown, !Contains("'a'"));
}

TEST_CASE("a script not laid out as jlrec renders it is withheld, not shown with its secrets",
          "[script][secrets]") {
  DesiredContainer c;
  c.host = "h1";
  c.name = "c1";
  c.env = {{"S", "hunter2"}};
  c.secret_env = {"S"};
  c.script = "#!/bin/sh\n# edited\nS=hunter2\nexport S='hunter2'\n";
  const std::string shown = jlrec::RedactedScript(c);
  CHECK_THAT(shown, !Contains("hunter2"));
  CHECK_THAT(shown, Contains("withheld"));
}

TEST_CASE("an env placeholder gives its value byte for byte in every quoting context",
          "[script][contexts]") {
  ManifestFixture f;
  const std::string marker = f.dir.Path("injected");
  auto values = HostileValues(marker);
  values["GLOB_PATH"] = "/e*c   two   spaces";
  values["TABS"] = "\tx\t\ty\t";
  values["BACKSLASHES"] = "\\ \\\\ \\n \\$x \\\"";
  values["DASHES"] = "--help -e x";
  values["QUOTE_DANCE"] = "'\"'\"'";
  values["HEREDOC_END"] = "x\nEOF\n'EOF'\ny";
  values["BACKTICKS"] = "`touch " + marker + "` $(touch " + marker + ")";
  const std::string out = f.dir.Path("out");
  std::filesystem::create_directory(out);
  // Every context writes the value into a file of its own, with "v=" around it where the
  // placeholder is inside quotes, so that a split or a lost quote shows.
  std::string body = "#!/bin/sh\nset -e\ncd " + jlrec::ShellQuote(out) + "\n";
  for (const auto& [name, value] : values) {
    body += "printf '%s' {{" + name + "}} > " + name + ".word\n";
    body += "printf '%s' x{{" + name + "}}y > " + name + ".inword\n";
    body += "printf '%s' \"v={{" + name + "}} w\" > " + name + ".double\n";
    body += "printf '%s' 'v={{" + name + "}} w' > " + name + ".single\n";
    body += "printf '%s' \"{{" + name + "}}\"'{{{" + name + "}}}' > " + name + ".both\n";
    body += "cat > " + name + ".heredoc <<EOF\nv={{" + name + "}} w $HOME_NOT_SET\nEOF\n";
    body += "cat > " + name + ".heredoc-tabs <<-EOF\n\tv={{" + name + "}}\n\tEOF\n";
    body += "echo comment > " + name + ".comment # {{" + name + "}} ' \"\n";
    body += "{{#core}}printf '%s' \"{{" + name + "}}\" > " + name + ".section{{/core}}\n";
  }
  f.dir.Write("t.tmpl", body);
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n", "  image: img:1\n  env:\n" + EnvYaml(values));
  LoadResult r = f.Load(yaml);
  INFO(Catch::Detail::stringify(Lines(r)));
  REQUIRE(r.ok());
  const std::string& script = Container(r, "h1/c1").script;
  INFO(script);
  RunSh(script);
  CHECK_FALSE(std::filesystem::exists(marker));
  auto read = [&](const std::string& file) {
    std::ifstream in(out + "/" + file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  for (const auto& [name, value] : values) {
    INFO(name);
    CHECK(read(name + ".word") == value);
    CHECK(read(name + ".inword") == "x" + value + "y");
    CHECK(read(name + ".double") == "v=" + value + " w");
    CHECK(read(name + ".single") == "v=" + value + " w");
    CHECK(read(name + ".both") == value + value);
    CHECK(read(name + ".heredoc") == "v=" + value + " w \n");
    CHECK(read(name + ".heredoc-tabs") == "v=" + value + "\n");
    CHECK(read(name + ".comment") == "comment\n");
    CHECK(read(name + ".section") == value);
  }
}

TEST_CASE(
    "a placeholder where no reference can give its value exactly is refused at its "
    "position",
    "[script][contexts]") {
  struct Case {
    std::string body;
    int column;  // of the refused {{ on line 2
    std::string why;
  };
  for (const Case& c : std::vector<Case>{
           {"echo $(echo {{V}})\n", 13, "it is inside $(...), ${...}, $((...)), backticks"},
           {"echo \"$(echo {{V}})\"\n", 14, "it is inside $(...), ${...}, $((...)), backticks"},
           {"echo `echo {{V}}`\n", 12, "it is inside $(...), ${...}, $((...)), backticks"},
           {"echo ${X:-{{V}}}\n", 11, "it is inside $(...), ${...}, $((...)), backticks"},
           {"echo $'{{V}}'\n", 8, "it is inside $(...), ${...}, $((...)), backticks"},
           {"echo \\{{V}}\n", 7, "it follows a backslash"},
           {"echo \"\\{{V}}\"\n", 8, "it follows a backslash"},
           {"echo ${{V}}\n", 7, "it follows a $"},
           {"cat <<'EOF'\n{{V}}\nEOF\n", 1, "it is in a here-document with a quoted delimiter"},
           {"cat <<{{V}}\nx\n{{V}}\n", 7, "it is in a here-document delimiter"},
       }) {
    ManifestFixture f;
    f.dir.Write("t.tmpl", "#!/bin/sh\n" + c.body);
    std::string yaml = kMinimalManifest;
    Edit(yaml, "  image: img:1\n", "  image: img:1\n  env: {V: x}\n");
    LoadResult r = f.Load(yaml);
    INFO(c.body);
    REQUIRE(r.diagnostics.size() >= 1);
    const int line = c.body.rfind("cat <<'", 0) == 0 ? 3 : 2;
    CHECK_THAT(r.diagnostics[0].ToString(),
               StartsWith(f.At(line, c.column, "t.tmpl") +
                          ": error: {{V}} cannot be placed here: " + c.why));
  }
}

TEST_CASE("a section that opens or closes a quote is refused at its end", "[script][contexts]") {
  ManifestFixture f;
  f.dir.Write("t.tmpl", "echo {{#core}}\"{{/core}}{{V}}\n");
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  image: img:1\n", "  image: img:1\n  env: {V: x}\n");
  LoadResult r = f.Load(yaml);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.diagnostics[0].ToString(),
             StartsWith(f.At(1, 16, "t.tmpl") + ": error: this section opens or closes a quote"));
}
