#include "manifests/secret_redaction.h"

#include <algorithm>
#include <cctype>

#include "manifests/script_template.h"
#include "manifests/shell_quote.h"

namespace jlrec {

namespace {

bool IsNameChar(char c, bool first) {
  return c == '_' || std::isalpha(static_cast<unsigned char>(c)) ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// The NAME of a `NAME=` word at `i`: its length, or 0 when the word is no assignment.
std::size_t AssignedNameAt(std::string_view s, std::size_t i) {
  std::size_t j = i;
  while (j < s.size() && IsNameChar(s[j], j == i)) ++j;
  return j > i && j < s.size() && s[j] == '=' ? j - i : 0;
}

// An assignment line, as far as its value reaches.
struct Assignment {
  bool exported = false;                // the line starts with `export`
  std::vector<std::string_view> names;  // every NAME= word on it
  std::size_t value_start = 0;          // just after its first '='
  std::size_t end = 0;                  // its ending '\n' (outside quotes), or the script's end
  bool closed = true;                   // false: a quote opened on it is never closed
};

// The assignment starting at line start `pos`, or nullopt when that line is none.
std::optional<Assignment> ScanAssignment(std::string_view s, std::size_t pos) {
  const std::size_t n = s.size();
  Assignment a;
  std::size_t i = pos;
  while (i < n && IsBlank(s[i])) ++i;
  if (s.compare(i, 6, "export") == 0 && i + 6 < n && IsBlank(s[i + 6])) {
    a.exported = true;
    i += 6;
    while (i < n && IsBlank(s[i])) ++i;
  }
  const std::size_t name_length = AssignedNameAt(s, i);
  if (name_length == 0) return std::nullopt;
  a.names.push_back(s.substr(i, name_length));
  i += name_length + 1;
  a.value_start = i;
  // To the end of the logical line: quotes and escapes may carry it over newlines.
  bool word_start = false;
  while (i < n && s[i] != '\n') {
    const char c = s[i];
    if (IsBlank(c)) {
      word_start = true;
      ++i;
      continue;
    }
    if (word_start) {
      word_start = false;
      if (c == '#') {  // a comment: its quotes are no quotes
        i = std::min(n, s.find('\n', i));
        break;
      }
      if (const std::size_t length = AssignedNameAt(s, i)) {
        a.names.push_back(s.substr(i, length));
        i += length + 1;
        continue;
      }
    }
    if (c == '\'') {
      const std::size_t close = s.find('\'', i + 1);
      a.closed = close != std::string_view::npos;
      i = a.closed ? close + 1 : n;
    } else if (c == '"') {
      std::size_t j = i + 1;
      while (j < n && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
      a.closed = j < n;
      i = a.closed ? j + 1 : n;
    } else if (c == '\\') {
      i = std::min(n, i + 2);
    } else {
      ++i;
    }
    if (!a.closed) break;
  }
  a.end = std::min(i, n);
  return a;
}

std::size_t PhysicalLines(std::string_view raw) {
  const auto breaks = static_cast<std::size_t>(std::count(raw.begin(), raw.end(), '\n'));
  return breaks + (!raw.empty() && raw.back() != '\n' ? 1 : 0);
}

}  // namespace

std::map<std::string, std::string> RedactedEnv(const DesiredContainer& container) {
  std::map<std::string, std::string> env = container.env;
  for (const auto& name : container.secret_env) {
    auto it = env.find(name);
    if (it != env.end()) it->second = kRedactedValue;
  }
  return env;
}

std::string RedactedScript(const DesiredContainer& container) {
  const std::string& script = container.script;
  const size_t at = ExportBlockOffset(script);
  const std::string block = ExportBlock(container.env);
  if (at == std::string::npos || script.compare(at, block.size(), block) != 0) {
    return "# /run.sh of " + container.Ref() +
           " withheld: it is not laid out as jlrec renders it, so its secrets cannot be "
           "located\n";
  }
  return script.substr(0, at) + ExportBlock(RedactedEnv(container)) +
         script.substr(at + block.size());
}

std::optional<std::vector<ScriptUnit>> SplitScript(std::string_view script,
                                                   const RedactWhen& redact) {
  std::vector<ScriptUnit> units;
  std::size_t pos = 0;
  while (pos < script.size()) {
    const std::optional<Assignment> assignment = ScanAssignment(script, pos);
    bool hide = false;
    if (assignment)
      for (std::string_view name : assignment->names)
        hide = hide || redact(name, assignment->exported);
    if (hide && !assignment->closed) return std::nullopt;
    std::size_t end;
    if (assignment && assignment->closed) {
      end = std::min(script.size(), assignment->end + 1);
    } else {  // not an assignment, or one shown as it is whose quote never closes: one line
      const std::size_t eol = script.find('\n', pos);
      end = eol == std::string_view::npos ? script.size() : eol + 1;
    }
    ScriptUnit& unit = units.emplace_back();
    unit.raw = script.substr(pos, end - pos);
    unit.lines = PhysicalLines(unit.raw);
    if (hide) {
      unit.shown = std::string(script.substr(pos, assignment->value_start - pos)) +
                   ShellQuote(kRedactedValue) + (unit.raw.back() == '\n' ? "\n" : "");
      unit.redacted = true;
    } else {
      unit.shown = unit.raw;
    }
    pos = end;
  }
  return units;
}

std::optional<std::vector<ScriptUnit>> RedactedScriptUnits(const DesiredContainer& container) {
  const std::string& script = container.script;
  const size_t at = ExportBlockOffset(script);
  const std::string block = ExportBlock(container.env);
  if (at == std::string::npos || script.compare(at, block.size(), block) != 0) return std::nullopt;
  const RedactWhen secret = [&](std::string_view name, bool) {
    return container.secret_env.count(std::string(name)) > 0;
  };
  auto units = SplitScript(std::string_view(script).substr(0, at), secret);
  if (!units) return std::nullopt;
  // The block, entry by entry, as ExportBlock wrote it.
  for (const auto& [name, value] : container.env) {
    ScriptUnit& unit = units->emplace_back();
    unit.raw = ExportBlock({{name, value}});
    unit.lines = PhysicalLines(unit.raw);
    unit.redacted = container.secret_env.count(name) > 0;
    unit.shown = unit.redacted ? ExportBlock({{name, kRedactedValue}}) : unit.raw;
  }
  auto body = SplitScript(std::string_view(script).substr(at + block.size()), secret);
  if (!body) return std::nullopt;
  units->insert(units->end(), std::make_move_iterator(body->begin()),
                std::make_move_iterator(body->end()));
  return units;
}

}  // namespace jlrec
