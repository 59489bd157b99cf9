// Startup-script templates (kainjow mustache): parsed and checked once per file, rendered
// into each container's /run.sh.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "manifests/diagnostic.h"

namespace jlrec {

/// What a template body can refer to for one container. The strings are validated plain
/// shell words (names, addresses, modes), so they are inserted as they are.
struct ScriptContext {
  std::string project;          ///< {{project}}
  std::string container;        ///< {{container}}
  std::string host;             ///< {{host}}: the host key units write
  std::string address;          ///< {{address}}: the host's SSH address
  std::string group;            ///< {{group}}: the unit's groups joined by ","
  std::string runtime_mode;     ///< {{runtime_mode}}
  std::string master_host;      ///< {{master_host}}: addresses of the groups' core units
  bool core = false;            ///< {{#core}}...{{/core}}
  bool enable_monitor = false;  ///< {{#enable_monitor}}...{{/enable_monitor}}
  /// Every exported variable; {{NAME}} renders as a reference to the exported variable
  /// quoted for where it stands (ShellReference), so a value never becomes shell syntax in
  /// the body and arrives byte for byte.
  const std::map<std::string, std::string>* env = nullptr;
};

/// The names ScriptContext provides besides the env names.
const std::vector<std::string>& BuiltinTemplateVariables();

/// A template file, syntax-checked; render it with RenderStartupScript().
class ScriptTemplate {
 public:
  /// One {{name}} (variable tag) in the template, with its position in the template file.
  struct VariableUse {
    std::string name;      ///< the first component of a dotted name
    SourceLocation where;  ///< template file, 1-based line and column of "{{"
  };
  /// How one env placeholder is rendered where it stands (its shell quoting context).
  struct Placement {
    std::string key;        ///< the tag it was rewritten to
    std::string name;       ///< the env name
    std::string reference;  ///< ShellReference(name, context)
  };

  /// Parses `text` read from `path`. Syntax errors, partials and delimiter changes are
  /// reported into `sink` at the template's own line and column; returns nullptr then.
  static std::shared_ptr<const ScriptTemplate> Parse(const std::string& text,
                                                     const std::string& path, DiagnosticSink& sink);
  ~ScriptTemplate();

  /// The file the template was read from (as used in diagnostics).
  const std::string& path() const { return path_; }
  /// Every variable tag, in file order (section tags excluded: an unset section is empty).
  const std::vector<VariableUse>& variables() const { return variables_; }
  /// The rendered body (no shebang handling, no export block).
  std::string RenderBody(const ScriptContext& context) const;

 private:
  struct Engine;
  ScriptTemplate() = default;
  std::string path_;
  std::vector<VariableUse> variables_;
  std::vector<Placement> placements_;
  std::unique_ptr<Engine> engine_;
};

/// `export NAME='value'` lines for every entry, sorted by name, each value single-quoted
/// for POSIX sh ('\'' for a quote): the same map always gives the same bytes.
std::string ExportBlock(const std::map<std::string, std::string>& env);

/// The whole /run.sh: the template's "#!" line if its first line is one, else "#!/bin/sh";
/// a comment naming the container; ExportBlock(*context.env); a blank line; the rest of
/// the rendered body. Deterministic.
std::string RenderStartupScript(const ScriptTemplate& script_template,
                                const ScriptContext& context);

/// Where RenderStartupScript put the export block in `script`: the offset after its first two
/// lines (the "#!" line and the comment), which hold no env value. npos when `script` has
/// fewer lines.
size_t ExportBlockOffset(const std::string& script);

/// The messages for template variables that `context` does not define (an unknown name
/// renders as nothing, which is never what the author meant), with "did you mean" hints;
/// one entry per offending VariableUse index.
std::vector<std::pair<size_t, std::string>> UndefinedTemplateVariables(
    const ScriptTemplate& script_template, const ScriptContext& context);

}  // namespace jlrec
