/// Fuzzes the startup-script template renderer (manifests/script_template.h): the input is
/// a template file's text. It is parsed, then rendered for a core and a worker container
/// whose env defines a few names.
///
/// Asserts, beyond no crash:
/// - Parse returns a template iff it reported no error;
/// - every variable use it records lies inside the text (line and column);
/// - rendering is deterministic (twice, same bytes: the engine keeps mutable state), and the
///   script starts with a "#!" line, holds the export block and ends with a newline;
/// - UndefinedTemplateVariables names only uses that exist;
/// - an env value reaches the script only through the export block: with another value of
///   the secret, the rest of the script is byte for byte the same.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "manifests/script_template.h"

namespace {

// Two values of one secret, both with shell syntax in them (both non-empty: a section on an
// env name renders alike for both).
constexpr const char* kSecret = "s3cr3t'$(x)\"";
constexpr const char* kOtherSecret = "`id` \\\n'\"";

// `script` without its export block (which must be in it).
std::string WithoutExports(const std::string& script, const std::string& exports) {
  const std::size_t at = script.find(exports);
  FUZZ_CHECK(at != std::string::npos, script);
  return script.substr(0, at) + script.substr(at + exports.size());
}

// 1-based line and column of each byte, and one past the end, for the location check.
bool InsideText(const std::string& text, const jlrec::SourceLocation& where) {
  int line = 1, column = 1;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (line == where.line && column == where.column) return true;
    if (i < text.size() && text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  jlrec::DiagnosticSink sink;
  auto parsed = jlrec::ScriptTemplate::Parse(text, "t.tmpl", sink);
  FUZZ_CHECK((parsed != nullptr) == !sink.has_errors(), "Parse and its diagnostics disagree");
  for (const auto& d : sink.Take()) {
    FUZZ_CHECK(d.file == "t.tmpl", d.ToString());
    FUZZ_CHECK(d.line >= 1 && d.column >= 1, d.ToString());
  }
  if (!parsed) return 0;
  for (const auto& use : parsed->variables()) {
    FUZZ_CHECK(!use.name.empty(), "a variable use without a name");
    FUZZ_CHECK(use.where.file == "t.tmpl" && InsideText(text, use.where),
               use.name + " at " + std::to_string(use.where.line) + ":" +
                   std::to_string(use.where.column));
  }

  const std::map<std::string, std::string> env = {
      {"TZ", "Asia/Shanghai"}, {"DB_PASSWORD", kSecret}, {"RUNTIME_MODE", "dev"}};
  std::map<std::string, std::string> other_env = env;
  other_env["DB_PASSWORD"] = kOtherSecret;
  for (const bool core : {true, false}) {
    jlrec::ScriptContext context;
    context.project = "p";
    context.container = "c1";
    context.host = "h1";
    context.address = "127.0.0.2";
    context.group = "g1,g2";
    context.runtime_mode = "dev";
    context.master_host = "127.0.0.2";
    context.core = core;
    context.enable_monitor = !core;
    context.env = &env;
    const std::string script = jlrec::RenderStartupScript(*parsed, context);
    FUZZ_CHECK(jlrec::RenderStartupScript(*parsed, context) == script, "rendered two ways");
    FUZZ_CHECK(script.rfind("#!", 0) == 0, script);
    FUZZ_CHECK(script.back() == '\n', script);
    const std::string body = WithoutExports(script, jlrec::ExportBlock(env));
    jlrec::ScriptContext other = context;
    other.env = &other_env;
    FUZZ_CHECK(WithoutExports(jlrec::RenderStartupScript(*parsed, other),
                              jlrec::ExportBlock(other_env)) == body,
               "the secret's value reaches the body");
    for (const auto& [index, message] : jlrec::UndefinedTemplateVariables(*parsed, context))
      FUZZ_CHECK(index < parsed->variables().size(), message);
  }
  return 0;
}
