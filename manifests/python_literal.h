// A reader for Python literal expressions (the legacy deploy script's container_list):
// lists, tuples, dicts, strings, integers, True/False/None, comments and trailing commas.
// It evaluates nothing: anything else is an error with its line and column.
#pragma once

#include <string>
#include <vector>

#include "manifests/line_index.h"
#include "model/status.h"

namespace jlrec {

struct PyEntry;

/// One parsed Python literal.
struct PyValue {
  /// The literal's type (a tuple is read as a list).
  enum class Kind { kNone, kBool, kInt, kString, kList, kDict } kind = Kind::kNone;
  bool boolean = false;
  long long integer = 0;
  std::string string;            ///< decoded (escapes applied)
  std::vector<PyValue> items;    ///< kList
  std::vector<PyEntry> entries;  ///< kDict, in source order
  int line = 0;                  ///< 1-based position of the literal
  int column = 0;
  /// "a list", "a string", ... for messages.
  const char* KindName() const;
};

/// One `key: value` of a dict. (A struct, not std::pair: a pair of the incomplete PyValue
/// inside PyValue is accepted by g++ but not by clang with libstdc++.)
struct PyEntry {
  PyValue first;   ///< the key
  PyValue second;  ///< the value
};

/// Parses one literal that starts at byte `*offset` of `source` (leading whitespace and
/// comments allowed) and sets `*offset` just past it. Errors are kInvalidArgument with the
/// message "LINE:COL: what" (1-based). `lines` (an index of `source`) keeps a reader that parses
/// many literals of one source linear; nullptr: one is built when a position is needed.
Result<PyValue> ParsePythonLiteral(const std::string& source, size_t* offset,
                                   const LineIndex* lines = nullptr);

}  // namespace jlrec
