// Parsing a JSON answer as it is read, keeping only the members a caller names: a Docker
// inspect or list answer is mostly what jlrec never looks at (environments, mounts, network
// settings), and a DOM of all of it costs several times the text.
#pragma once

#include <functional>
#include <istream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/status.h"

namespace jlrec {

/// A member of a JSON object to keep, with what to keep of its value: `fields` selects among
/// the members of an object value (and of each object in an array value); empty keeps the
/// value whole.
struct JsonField {
  std::string name;
  std::vector<JsonField> fields;
};

/// What to keep of a document: the members of its top-level object (or of each object of its
/// top-level array); empty keeps everything.
using JsonSelection = std::vector<JsonField>;

/// The longest string or number a parse accepts: a Docker answer's longest strings are
/// environment entries, which exec takes up to 128 KiB each.
inline constexpr std::size_t kMaxJsonTokenBytes = std::size_t{4} << 20;

/// Parses the one JSON document `in` holds (trailing whitespace allowed), building only what
/// `keep` selects. kRemoteError "not JSON: ..." on a syntax error, kRemoteError when a
/// string or number is longer than kMaxJsonTokenBytes (memory stays a few times that).
Result<nlohmann::json> ParseSelectedJson(std::istream& in, const JsonSelection& keep);

/// Parses a document whose top level is an array, handing each element (with only what
/// `keep` selects of it) to `on_element` as soon as it is complete, so that only one element
/// is ever built at a time. Stops at `on_element`'s first error and returns it; kRemoteError
/// when the document is not JSON or not an array.
Status ParseSelectedJsonArray(std::istream& in, const JsonSelection& keep,
                              const std::function<Status(nlohmann::json&)>& on_element);

}  // namespace jlrec
