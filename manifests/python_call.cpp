#include "manifests/python_call.h"

#include <optional>
#include <set>
#include <tuple>
#include <utility>

namespace jlrec {

namespace {

bool IsNameStart(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u >= 0x80;
}

bool IsNameByte(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// Positions in one source: the caller's index, else one built on first use.
class Positions {
 public:
  Positions(const std::string& source, const LineIndex* lines) : source_(source), lines_(lines) {}
  const LineIndex* Index() {
    if (!lines_) lines_ = &own_.emplace(source_);
    return lines_;
  }
  std::pair<int, int> LineColumn(size_t at) { return Index()->LineColumn(at); }
  std::string Position(size_t at) {
    auto [line, column] = LineColumn(at);
    return std::to_string(line) + ":" + std::to_string(column);
  }
  Status ErrorAt(size_t at, const std::string& what) {
    return Status::InvalidArgument(Position(at) + ": " + what);
  }

 private:
  const std::string& source_;
  const LineIndex* lines_;
  std::optional<LineIndex> own_;
};

// "LINE:COL: what" -> "LINE:COL: prefix: what".
Status WithPrefix(const Status& status, const std::string& prefix) {
  const std::string& message = status.message();
  const size_t colon = message.find(": ");
  if (colon == std::string::npos) return status;
  return Status::InvalidArgument(message.substr(0, colon + 2) + prefix + ": " +
                                 message.substr(colon + 2));
}

// Whitespace (line breaks included: this is inside brackets), comments and backslash
// continuations.
void SkipBlanks(const std::string& s, size_t* p) {
  while (*p < s.size()) {
    const char c = s[*p];
    if (c == '#') {
      while (*p < s.size() && s[*p] != '\n') ++*p;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\\') {
      ++*p;
    } else {
      return;
    }
  }
}

// The name at `*p` if it is followed by a single '=' (a keyword argument or a default);
// `*p` then points just past the '='.
std::optional<std::string> KeywordAt(const std::string& s, size_t* p) {
  if (*p >= s.size() || !IsNameStart(s[*p])) return std::nullopt;
  size_t end = *p;
  while (end < s.size() && IsNameByte(s[end])) ++end;
  size_t after = end;
  SkipBlanks(s, &after);
  if (after + 1 >= s.size() || s[after] != '=' || s[after + 1] == '=') return std::nullopt;
  std::string name = s.substr(*p, end - *p);
  *p = after + 1;
  return name;
}

// Skips an expression that is not read (an annotation or a default that is not a literal):
// up to the ',' or ')' that ends it (or a single '=' when `stop_at_equals`). Strings,
// comments and brackets are skipped whole.
Status SkipExpression(const std::string& s, size_t* p, size_t open, bool stop_at_equals,
                      Positions& at) {
  int depth = 0;
  while (*p < s.size()) {
    const char c = s[*p];
    if (depth == 0 && (c == ',' || c == ')')) return Status::Ok();
    if (depth == 0 && stop_at_equals && c == '=' && s.compare(*p, 2, "==") != 0) {
      return Status::Ok();
    }
    if (c == '#') {
      while (*p < s.size() && s[*p] != '\n') ++*p;
      continue;
    }
    if (c == '"' || c == '\'') {
      const size_t start = *p;
      const bool triple = s.compare(*p, 3, std::string(3, c)) == 0;
      *p += triple ? 3 : 1;
      while (true) {
        if (*p >= s.size()) return at.ErrorAt(start, "string is never closed");
        if (s[*p] == '\\') {
          *p += 2;
          continue;
        }
        if (triple ? s.compare(*p, 3, std::string(3, c)) == 0 : s[*p] == c) {
          *p += triple ? 3 : 1;
          break;
        }
        ++*p;
      }
      continue;
    }
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
    ++*p;
  }
  return at.ErrorAt(open, "'(' is never closed");
}

}  // namespace

Result<std::vector<PyArgument>> ParsePythonCallArguments(const std::string& source, size_t* offset,
                                                         const LineIndex* lines) {
  Positions at(source, lines);
  const size_t open = *offset;
  size_t p = open + 1;
  std::vector<PyArgument> arguments;
  std::set<std::string> keywords;
  while (true) {
    SkipBlanks(source, &p);
    if (p >= source.size()) return at.ErrorAt(open, "'(' is never closed");
    if (source[p] == ')') {
      *offset = p + 1;
      return arguments;
    }
    if (source[p] == '*') {
      return at.ErrorAt(p, "*args and **kwargs are not read (only literal arguments are)");
    }
    const size_t start = p;
    PyArgument argument;
    if (auto keyword = KeywordAt(source, &p)) {
      if (!keywords.insert(*keyword).second) {
        return at.ErrorAt(start, "keyword argument repeated: " + *keyword);
      }
      argument.keyword = *keyword;
    } else if (!keywords.empty()) {
      return at.ErrorAt(start, "positional argument follows keyword argument");
    }
    const std::string what = argument.keyword.empty()
                                 ? "argument " + std::to_string(arguments.size() + 1)
                                 : argument.keyword + "=";
    auto value = ParsePythonLiteral(source, &p, at.Index());
    if (!value.ok()) return WithPrefix(value.status(), "cannot read " + what);
    argument.value = std::move(*value);
    std::tie(argument.line, argument.column) = at.LineColumn(start);
    arguments.push_back(std::move(argument));
    SkipBlanks(source, &p);
    if (p < source.size() && source[p] == ',') {
      ++p;
    } else if (p < source.size() && source[p] != ')') {
      return at.ErrorAt(p,
                        "cannot read " + what + ": only a literal is read here, not an expression");
    }
  }
}

Result<std::vector<PyParameter>> ParsePythonParameters(const std::string& source, size_t* offset,
                                                       const LineIndex* lines) {
  Positions at(source, lines);
  const size_t open = *offset;
  size_t p = open + 1;
  std::vector<PyParameter> parameters;
  while (true) {
    SkipBlanks(source, &p);
    if (p >= source.size()) return at.ErrorAt(open, "'(' is never closed");
    if (source[p] == ')') {
      *offset = p + 1;
      return parameters;
    }
    if (source[p] == '*' || source[p] == '/') {
      return at.ErrorAt(p, "*args, **kwargs, '*' and '/' parameters are not read");
    }
    if (!IsNameStart(source[p])) return at.ErrorAt(p, "expected a parameter name");
    PyParameter parameter;
    std::tie(parameter.line, parameter.column) = at.LineColumn(p);
    const size_t start = p;
    while (p < source.size() && IsNameByte(source[p])) ++p;
    parameter.name = source.substr(start, p - start);
    SkipBlanks(source, &p);
    if (p < source.size() && source[p] == ':') {  // an annotation: not needed
      ++p;
      if (Status s = SkipExpression(source, &p, open, true, at); !s.ok()) return s;
    }
    SkipBlanks(source, &p);
    if (p < source.size() && source[p] == '=') {
      ++p;
      parameter.has_default = true;
      SkipBlanks(source, &p);
      const size_t value_start = p;
      size_t end = p;
      auto value = ParsePythonLiteral(source, &end, at.Index());
      if (value.ok()) {
        SkipBlanks(source, &end);
        if (end < source.size() && (source[end] == ',' || source[end] == ')')) {
          parameter.default_value = std::move(*value);
          p = end;
        } else {
          parameter.default_error =
              at.Position(value_start) + ": only a literal is read here, not an expression";
        }
      } else {
        parameter.default_error = value.status().message();
      }
      if (!parameter.default_value) {
        if (Status s = SkipExpression(source, &p, open, false, at); !s.ok()) return s;
      }
    }
    parameters.push_back(std::move(parameter));
    SkipBlanks(source, &p);
    if (p < source.size() && source[p] == ',') {
      ++p;
    } else if (p < source.size() && source[p] != ')') {
      return at.ErrorAt(p, "expected ',' or ')' after parameter " + parameters.back().name);
    }
  }
}

Result<std::map<std::string, PyBoundValue>> BindPythonArguments(
    const std::string& function, int line, int column, const std::vector<PyArgument>& arguments,
    const std::vector<PyParameter>& parameters) {
  auto error = [&](int at_line, int at_column, const std::string& what) {
    return Status::InvalidArgument(std::to_string(at_line) + ":" + std::to_string(at_column) +
                                   ": " + function + "() " + what);
  };
  std::map<std::string, PyBoundValue> bound;
  size_t positional = 0;
  for (const auto& argument : arguments) {
    if (argument.keyword.empty()) ++positional;
  }
  size_t index = 0;
  for (const auto& argument : arguments) {
    if (!argument.keyword.empty()) continue;
    if (index >= parameters.size()) {
      return error(argument.line, argument.column,
                   "takes " + std::to_string(parameters.size()) + " positional argument" +
                       (parameters.size() == 1 ? "" : "s") + " but " + std::to_string(positional) +
                       " were given");
    }
    bound[parameters[index++].name] = PyBoundValue{argument.value, true};
  }
  for (const auto& argument : arguments) {
    if (argument.keyword.empty()) continue;
    bool known = false;
    for (const auto& parameter : parameters) known = known || parameter.name == argument.keyword;
    if (!known) {
      return error(argument.line, argument.column,
                   "got an unexpected keyword argument '" + argument.keyword + "'");
    }
    if (bound.count(argument.keyword)) {
      return error(argument.line, argument.column,
                   "got multiple values for argument '" + argument.keyword + "'");
    }
    bound[argument.keyword] = PyBoundValue{argument.value, true};
  }
  for (const auto& parameter : parameters) {
    if (bound.count(parameter.name)) continue;
    if (!parameter.has_default) {
      return error(line, column, "missing required argument '" + parameter.name + "'");
    }
    if (parameter.default_value) bound[parameter.name] = PyBoundValue{*parameter.default_value};
  }
  return bound;
}

}  // namespace jlrec
