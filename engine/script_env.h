// Reads back the env block jlrec renders at the top of /run.sh, to explain updates.
#pragma once

#include <map>
#include <string>

namespace jlrec {

/// Parses every line of the form `export NAME='value'` (POSIX single quotes, with the
/// '\'' escape, values may span lines) in `script`; other lines are ignored. Tolerant of
/// hand edits: a malformed line ends the parse of that line only.
std::map<std::string, std::string> ParseExportBlock(const std::string& script);

}  // namespace jlrec
