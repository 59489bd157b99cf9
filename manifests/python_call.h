// Reads the arguments of a Python call and the parameters of a def, and binds one to the
// other as Python does (for `jlrec import-legacy`, which turns the legacy script's
// deploy_system(...) calls into groups): keyword or positional, over several lines, with
// comments and trailing commas. Values are literals (python_literal.h): nothing is evaluated.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "manifests/python_literal.h"
#include "model/status.h"

namespace jlrec {

/// One argument of a call.
struct PyArgument {
  std::string keyword;  ///< empty for a positional argument
  PyValue value;
  int line = 0;  ///< 1-based position where the argument starts
  int column = 0;
};

/// Reads the arguments of the call whose '(' is at byte `*offset` of `source` and sets
/// `*offset` just past its ')'. Errors are kInvalidArgument "LINE:COL: what": a value that is
/// not a literal (a name, an expression), *args or **kwargs, a positional argument after a
/// keyword one, a keyword given twice, a '(' never closed.
/// `lines`: as for ParsePythonLiteral.
Result<std::vector<PyArgument>> ParsePythonCallArguments(const std::string& source, size_t* offset,
                                                         const LineIndex* lines = nullptr);

/// One parameter of a def.
struct PyParameter {
  std::string name;
  int line = 0;  ///< 1-based position of the name (0 for a signature made up in code)
  int column = 0;
  bool has_default = false;
  std::optional<PyValue> default_value;  ///< the default, when it is a literal
  std::string default_error;             ///< else why it cannot be read, "LINE:COL: what"
};

/// Reads the parameters of the def whose '(' is at byte `*offset` of `source` and sets
/// `*offset` just past its ')'. Annotations are skipped; a default that is not a literal is
/// not an error here (see PyParameter::default_error): only a call that needs it fails.
/// Errors are kInvalidArgument "LINE:COL: what": `*`, `*args`, `**kwargs`, `/` (their binding
/// is not modelled), something that is not a parameter name, a '(' never closed.
/// `lines`: as for ParsePythonLiteral.
Result<std::vector<PyParameter>> ParsePythonParameters(const std::string& source, size_t* offset,
                                                       const LineIndex* lines = nullptr);

/// A parameter's value in one call.
struct PyBoundValue {
  PyValue value;
  bool from_call = false;  ///< false: the def's default
};

/// Binds the `arguments` of a call of `function` at `line`:`column` to `parameters` as Python
/// does: positional ones in order, then keywords by name, then defaults. A parameter that the
/// call does not give and whose default is not a literal is left out of the result (its
/// default_error says why). Errors are kInvalidArgument "LINE:COL: what", worded as Python's
/// TypeError: too many positional arguments, an unexpected keyword, a parameter given twice,
/// a parameter without default not given.
Result<std::map<std::string, PyBoundValue>> BindPythonArguments(
    const std::string& function, int line, int column, const std::vector<PyArgument>& arguments,
    const std::vector<PyParameter>& parameters);

}  // namespace jlrec
