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
/// - an env value reaches the script only through the export block: the rest of the script
///   never holds the secret's value unless the template text itself does.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "manifests/script_template.h"

namespace {

// A value no built-in name holds, with shell syntax in it.
constexpr const char* kSecret = "s3cr3t'$(x)\"";

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
  const bool template_has_secret = text.find(kSecret) != std::string::npos;
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
    const std::string exports = jlrec::ExportBlock(env);
    const std::size_t at = script.find(exports);
    FUZZ_CHECK(at != std::string::npos, script);
    if (!template_has_secret) {
      const std::string rest = script.substr(0, at) + script.substr(at + exports.size());
      FUZZ_CHECK(rest.find(kSecret) == std::string::npos, "the secret's value in the body");
    }
    for (const auto& [index, message] : jlrec::UndefinedTemplateVariables(*parsed, context))
      FUZZ_CHECK(index < parsed->variables().size(), message);
  }
  return 0;
}
