/// Fuzzes the state file's JSON column reader (state/json_columns.h): the input is one
/// column's text, read as each kind of column (a string list such as containers.command, a
/// string map such as containers.labels, and the containers.spec object).
///
/// Asserts, beyond no crash:
/// - whatever reads, written back (the *ToJson writer) reads again, and writing that gives
///   the same bytes (the writer's output is a fixed point);
/// - when the column is valid UTF-8 the value read back equals the value first read (the
///   writer replaces invalid UTF-8 sequences, so only then can it be exact).
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "model/container_spec.h"
#include "state/json_columns.h"

namespace {

// nlohmann's own UTF-8 check: the one the writer's replacement follows.
bool ValidUtf8(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

// Reads `column` with `read`; what reads is written with `write` and read again.
template <typename Read, typename Write>
void CheckColumn(const std::string& column, bool exact, Read read, Write write) {
  auto value = read(column);
  if (!value.ok()) return;
  const std::string written = write(*value);
  auto again = read(written);
  FUZZ_CHECK(again.ok(), written + ": " + again.status().ToString());
  FUZZ_CHECK(write(*again) == written, written);
  if (exact) FUZZ_CHECK(*again == *value, written);
}

void CheckSpec(const std::string& column, bool exact) {
  jlrec::ContainerSpec spec;
  if (!jlrec::SpecFieldsFromJson(column, spec).ok()) return;
  const std::string written = jlrec::SpecFieldsToJson(spec);
  jlrec::ContainerSpec again;
  jlrec::Status read = jlrec::SpecFieldsFromJson(written, again);
  FUZZ_CHECK(read.ok(), written + ": " + read.ToString());
  FUZZ_CHECK(jlrec::SpecFieldsToJson(again) == written, written);
  if (exact) FUZZ_CHECK(again == spec, written);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string column(reinterpret_cast<const char*>(data), size);
  const bool exact = ValidUtf8(column);
  CheckColumn(
      column, exact, [](const std::string& c) { return jlrec::StringListFromJson(c, "fuzz.list"); },
      jlrec::StringListToJson);
  CheckColumn(
      column, exact, [](const std::string& c) { return jlrec::StringMapFromJson(c, "fuzz.map"); },
      jlrec::StringMapToJson);
  CheckSpec(column, exact);
  return 0;
}
