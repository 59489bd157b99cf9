#include "manifests/script_template.h"

#include <kainjow/mustache.hpp>

#include <algorithm>
#include <cctype>

#include "manifests/shell_context.h"
#include "manifests/shell_quote.h"
#include "manifests/suggestion.h"

namespace jlrec {

namespace mustache = kainjow::mustache;

struct ScriptTemplate::Engine {
  // kainjow's render() is not const (it records errors), hence mutable; a ScriptTemplate is
  // used from one thread at a time.
  mutable mustache::mustache compiled;
  explicit Engine(const std::string& text) : compiled(text) {}
};

namespace {

constexpr const char* kBoolVariables[] = {"core", "enable_monitor"};

SourceLocation LocationOf(const std::string& path, const std::string& text, size_t offset) {
  SourceLocation where{path, 1, 1};
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++where.line;
      where.column = 1;
    } else {
      ++where.column;
    }
  }
  return where;
}

std::string Trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  const size_t end = s.find_last_not_of(" \t\r\n");
  return s.substr(begin, end - begin + 1);
}

// kainjow reports "Unclosed section "x" at 123" (a byte offset); turn that into the
// template's line and column and a lower-case message.
void ReportEngineError(const std::string& message, const std::string& path, const std::string& text,
                       DiagnosticSink& sink) {
  std::string what = message;
  size_t offset = 0;
  const size_t at = message.rfind(" at ");
  if (at != std::string::npos && at + 4 < message.size() &&
      std::all_of(message.begin() + at + 4, message.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    offset = std::stoul(message.substr(at + 4));
    what = message.substr(0, at);
  }
  if (!what.empty()) what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
  sink.Error(LocationOf(path, text, offset), "template syntax error: " + what);
}

const char* ContextKey(ShellContext context) {
  switch (context) {
    case ShellContext::kDoubleQuoted:
      return "dq";
    case ShellContext::kSingleQuoted:
      return "sq";
    case ShellContext::kComment:
      return "comment";
    case ShellContext::kHeredoc:
      return "heredoc";
    case ShellContext::kUnquoted:
      break;
  }
  return "word";
}

// Walks the tags the way kainjow does with the default "{{ }}" delimiters, collecting
// variable uses and rejecting what jlrec does not support, and reads the text between them
// as sh would (ShellContextScanner): each env placeholder is rewritten, in `*rewritten`, to
// a tag for the reference that gives its value exactly where it stands, or refused. Returns
// false on a rejected tag.
bool ScanTags(const std::string& text, const std::string& path,
              std::vector<ScriptTemplate::VariableUse>* variables,
              std::vector<ScriptTemplate::Placement>* placements, std::string* rewritten,
              DiagnosticSink& sink) {
  bool ok = true;
  size_t pos = 0, copied = 0;
  ShellContextScanner shell;
  // Open sections: the reading state at their tag, which their end must find again.
  std::vector<std::pair<std::string, SourceLocation>> sections;
  while ((pos = text.find("{{", pos)) != std::string::npos) {
    const bool triple = pos + 2 < text.size() && text[pos + 2] == '{';
    const size_t content_start = pos + (triple ? 3 : 2);
    const size_t end = text.find(triple ? "}}}" : "}}", content_start);
    if (end == std::string::npos) break;  // kainjow reports the unclosed tag
    const std::string content = Trim(text.substr(content_start, end - content_start));
    const SourceLocation where = LocationOf(path, text, pos);
    shell.Feed(std::string_view(text).substr(copied, pos - copied));
    rewritten->append(text, copied, pos - copied);
    const size_t tag_end = end + (triple ? 3 : 2);
    std::string tag = text.substr(pos, tag_end - pos);
    const char kind = content.empty() ? '\0' : content[0];
    if (kind == '>') {
      sink.Error(where, "template partials ({{>name}}) are not supported");
      ok = false;
    } else if (kind == '=') {
      sink.Error(where, "changing the template delimiters ({{=...=}}) is not supported");
      ok = false;
    } else if (kind == '#' || kind == '^') {
      sections.emplace_back(shell.State(), where);
    } else if (kind == '/') {
      if (!sections.empty() && sections.back().first != shell.State()) {
        sink.Error(where,
                   "this section opens or closes a quote, a substitution, a comment or a "
                   "here-document (the section starting at line " +
                       std::to_string(sections.back().second.line) +
                       "): the script around it must read the same whether it renders or not");
        ok = false;
      }
      if (!sections.empty()) sections.pop_back();
    } else if (kind != '!') {
      const std::string full = Trim(kind == '&' ? content.substr(1) : content);
      const std::string name = full.substr(0, full.find('.'));
      const auto& builtins = BuiltinTemplateVariables();
      const bool builtin = std::find(builtins.begin(), builtins.end(), name) != builtins.end();
      if (name.empty()) {
        sink.Error(where, "{{" + content + "}} is not supported: name the variable");
        ok = false;
      } else if (std::find(std::begin(kBoolVariables), std::end(kBoolVariables), name) !=
                 std::end(kBoolVariables)) {
        sink.Error(where, "template variable \"" + name + "\" is true or false: use {{#" + name +
                              "}}...{{/" + name + "}} (or {{^" + name + "}} for false)");
        ok = false;
      } else if (builtin) {
        variables->push_back({name, where});  // a validated plain word, inserted as it is
      } else if (full != name) {
        sink.Error(where, "template variable \"" + full + "\": env names have no dots");
        ok = false;
      } else if (Result<ShellContext> context = shell.Here(); !context.ok()) {
        sink.Error(where, "{{" + name + "}} cannot be placed here: " + context.status().message() +
                              "; set a variable from it before and use that (see "
                              "docs/manifest.md)");
        ok = false;
      } else {
        variables->push_back({name, where});
        const std::string key = std::string("jlrec:") + ContextKey(*context) + ":" + name;
        placements->push_back({key, name, ShellReference(name, *context)});
        tag = "{{&" + key + "}}";
      }
      shell.Placeholder();
    }
    rewritten->append(tag);
    pos = copied = tag_end;
  }
  rewritten->append(text, copied, std::string::npos);
  return ok;
}

}  // namespace

const std::vector<std::string>& BuiltinTemplateVariables() {
  static const std::vector<std::string> kNames = {"project",     "container", "host",
                                                  "address",     "group",     "runtime_mode",
                                                  "master_host", "core",      "enable_monitor"};
  return kNames;
}

ScriptTemplate::~ScriptTemplate() = default;

std::shared_ptr<const ScriptTemplate> ScriptTemplate::Parse(const std::string& text,
                                                            const std::string& path,
                                                            DiagnosticSink& sink) {
  std::shared_ptr<ScriptTemplate> parsed(new ScriptTemplate());
  parsed->path_ = path;
  parsed->engine_ = std::make_unique<Engine>(text);
  if (!parsed->engine_->compiled.is_valid()) {
    ReportEngineError(parsed->engine_->compiled.error_message(), path, text, sink);
    return nullptr;
  }
  std::string rewritten;
  if (!ScanTags(text, path, &parsed->variables_, &parsed->placements_, &rewritten, sink)) {
    return nullptr;
  }
  parsed->engine_ = std::make_unique<Engine>(rewritten);
  if (!parsed->engine_->compiled.is_valid()) {  // only the tags were changed
    ReportEngineError(parsed->engine_->compiled.error_message(), path, text, sink);
    return nullptr;
  }
  // Values are inserted as validated words or as "${NAME}" references, never as text that
  // needs HTML (or any other) escaping.
  parsed->engine_->compiled.set_custom_escape([](const std::string& s) { return s; });
  return parsed;
}

std::string ScriptTemplate::RenderBody(const ScriptContext& context) const {
  mustache::data data;
  if (context.env) {
    // A name alone is only used by sections ({{#NAME}}): set is true.
    for (const auto& [name, value] : *context.env) data.set(name, mustache::data(true));
    for (const auto& placement : placements_) {
      if (context.env->count(placement.name)) data.set(placement.key, placement.reference);
    }
  }
  data.set("project", context.project);
  data.set("container", context.container);
  data.set("host", context.host);
  data.set("address", context.address);
  data.set("group", context.group);
  data.set("runtime_mode", context.runtime_mode);
  data.set("master_host", context.master_host);
  data.set("core", mustache::data(context.core));
  data.set("enable_monitor", mustache::data(context.enable_monitor));
  return engine_->compiled.render(data);
}

std::string ExportBlock(const std::map<std::string, std::string>& env) {
  std::string out;
  for (const auto& [name, value] : env) {
    out += "export ";
    out += name;
    out += '=';
    out += ShellQuote(value);
    out += '\n';
  }
  return out;
}

std::string RenderStartupScript(const ScriptTemplate& script_template,
                                const ScriptContext& context) {
  std::string body = script_template.RenderBody(context);
  std::string shebang = "#!/bin/sh";
  if (body.rfind("#!", 0) == 0) {
    const size_t eol = body.find('\n');
    shebang = body.substr(0, eol);
    body.erase(0, eol == std::string::npos ? body.size() : eol + 1);
  }
  // Standalone template comments leave empty lines behind; the export block's blank line
  // already separates the body.
  body.erase(0, body.find_first_not_of('\n') == std::string::npos ? body.size()
                                                                  : body.find_first_not_of('\n'));
  std::string script = shebang;
  script += "\n# /run.sh of " + context.host + "/" + context.container +
            ", rendered by jlrec: edits are overwritten by the next apply.\n";
  static const std::map<std::string, std::string> kNoEnv;
  script += ExportBlock(context.env ? *context.env : kNoEnv);
  script += '\n';
  script += body;
  if (!script.empty() && script.back() != '\n') script += '\n';
  return script;
}

size_t ExportBlockOffset(const std::string& script) {
  const size_t first = script.find('\n');
  if (first == std::string::npos) return std::string::npos;
  const size_t second = script.find('\n', first + 1);
  return second == std::string::npos ? std::string::npos : second + 1;
}

std::vector<std::pair<size_t, std::string>> UndefinedTemplateVariables(
    const ScriptTemplate& script_template, const ScriptContext& context) {
  std::vector<std::pair<size_t, std::string>> out;
  const auto& builtins = BuiltinTemplateVariables();
  const auto& uses = script_template.variables();
  for (size_t i = 0; i < uses.size(); ++i) {
    const std::string& name = uses[i].name;
    if (std::find(builtins.begin(), builtins.end(), name) != builtins.end()) continue;
    if (context.env && context.env->count(name)) continue;
    std::vector<std::string> known = builtins;
    if (context.env) {
      for (const auto& [env_name, value] : *context.env) known.push_back(env_name);
    }
    out.emplace_back(i, "template variable \"" + name + "\" is not defined for " + context.host +
                            "/" + context.container + DidYouMean(name, known));
  }
  return out;
}

}  // namespace jlrec
