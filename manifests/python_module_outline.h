// The outline of a Python module that `jlrec import-legacy` needs: where some functions are
// called (for real, or commented out as `# f(...)`), their module-level defs, and the
// module-level `NAME = ...` assignments. It tokenizes just enough (strings, comments,
// brackets, indentation) not to be fooled by a name inside a string or a comment; it
// evaluates nothing and runs nothing.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "model/status.h"

namespace jlrec {

/// When an active call runs, as far as the blocks around it tell.
enum class PythonCallContext {
  kModule,       ///< module level or under `if __name__ == "__main__":` (also try/with): once
  kConditional,  ///< under another if/elif/else/for/while/except: maybe never, maybe often
  kFunction,     ///< inside a def or class body: only if that is called
};

/// A call `NAME(` outside strings and comments; `x.NAME(`, `my_NAME(` and `def NAME(` are not
/// calls of NAME.
struct PythonCall {
  std::string function;
  size_t open_paren = 0;  ///< byte offset of its '('
  int line = 0;           ///< 1-based position of the name
  int column = 0;
  PythonCallContext context = PythonCallContext::kModule;
  /// For kConditional / kFunction: the block that makes it so, "if DEBUG:" or "def main(...)".
  std::string block;
  int block_line = 0;
};

/// A comment line that starts with a call, `# NAME(...)`, continued on the following
/// comment lines until its ')' (a call commented out by hand). Comments inside def and class
/// bodies are not looked at (they are the functions' own business).
struct PythonCommentedCall {
  std::string function;
  int first_line = 0;  ///< 1-based physical lines of the comment
  int last_line = 0;
  /// Each comment line as written, from just after its first '#' (one space dropped).
  std::vector<std::string> lines;
  /// The call from NAME to its ')', the comment marks removed (lines joined by '\n');
  /// empty when no ')' closes it within the comment.
  std::string code;
};

/// A module-level `def NAME(`.
struct PythonDef {
  std::string function;
  size_t open_paren = 0;  ///< byte offset of its '('
  int line = 0;
  int column = 0;
};

/// A module-level (unindented) `NAME = value` statement.
struct PythonAssignment {
  std::string name;
  size_t value_offset = 0;  ///< byte offset just past the '='
  int line = 0;
  int column = 0;
};

/// What OutlinePythonModule found, each list in source order.
struct PythonModuleOutline {
  std::vector<PythonCall> calls;
  std::vector<PythonCommentedCall> commented_calls;
  std::vector<PythonDef> defs;
  std::vector<PythonAssignment> assignments;
};

/// Outlines `source` for the functions named in `functions`. A UTF-8 byte order mark is
/// skipped. Errors are kInvalidArgument "LINE:COL: what" (1-based): a string or a bracket that
/// is never closed, a closing bracket that matches no opening one.
Result<PythonModuleOutline> OutlinePythonModule(const std::string& source,
                                                const std::vector<std::string>& functions);

}  // namespace jlrec
