/// Fuzzes the legacy importer's Python literal reader (manifests/python_literal.h): the input
/// is Python source, read as one literal from its start.
///
/// Asserts, beyond no crash (nesting is bounded, so no stack exhaustion either):
/// - the offset it returns is exactly where the literal ends: the source cut there reads to
///   the same value, using all of it;
/// - a value written back as a Python literal (repr-like, every byte escaped that must be)
///   reads to the same value: strings, escapes and integers decode exactly.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "fuzz_check.h"
#include "manifests/python_literal.h"

namespace {

using jlrec::PyValue;

bool Same(const PyValue& a, const PyValue& b, bool positions) {
  if (a.kind != b.kind || a.boolean != b.boolean || a.integer != b.integer ||
      a.string != b.string || a.items.size() != b.items.size() ||
      a.entries.size() != b.entries.size())
    return false;
  if (positions && (a.line != b.line || a.column != b.column)) return false;
  for (std::size_t i = 0; i < a.items.size(); ++i)
    if (!Same(a.items[i], b.items[i], positions)) return false;
  for (std::size_t i = 0; i < a.entries.size(); ++i)
    if (!Same(a.entries[i].first, b.entries[i].first, positions) ||
        !Same(a.entries[i].second, b.entries[i].second, positions))
      return false;
  return true;
}

std::string Repr(const PyValue& v) {
  switch (v.kind) {
    case PyValue::Kind::kNone:
      return "None";
    case PyValue::Kind::kBool:
      return v.boolean ? "True" : "False";
    case PyValue::Kind::kInt:
      return std::to_string(v.integer);
    case PyValue::Kind::kString: {
      std::string out = "'";
      for (const char c : v.string) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\\' || c == '\'') {
          out += '\\';
          out += c;
        } else if (byte < 0x20 || byte == 0x7f) {
          // (Bytes from 0x80 stay raw: "\xe9" is the code point U+00E9, two UTF-8 bytes.)
          char escaped[5];
          std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
          out += escaped;
        } else {
          out += c;
        }
      }
      return out + "'";
    }
    case PyValue::Kind::kList: {
      std::string out = "[";
      for (const auto& item : v.items) out += Repr(item) + ", ";
      return out + "]";
    }
    case PyValue::Kind::kDict: {
      std::string out = "{";
      for (const auto& entry : v.entries)
        out += Repr(entry.first) + ": " + Repr(entry.second) + ",\n";
      return out + "}";
    }
  }
  return "";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string source(reinterpret_cast<const char*>(data), size);
  std::size_t end = 0;
  auto value = jlrec::ParsePythonLiteral(source, &end);
  if (!value.ok()) {
    FUZZ_CHECK(end == 0, "the offset moved on an error");
    return 0;
  }
  FUZZ_CHECK(end > 0 && end <= source.size(), "offset " + std::to_string(end));

  const std::string cut = source.substr(0, end);
  std::size_t cut_end = 0;
  auto again = jlrec::ParsePythonLiteral(cut, &cut_end);
  FUZZ_CHECK(again.ok(), again.status().ToString());
  FUZZ_CHECK(cut_end == cut.size() && Same(*again, *value, true), cut);

  const std::string repr = Repr(*value);
  std::size_t repr_end = 0;
  auto reread = jlrec::ParsePythonLiteral(repr, &repr_end);
  FUZZ_CHECK(reread.ok(), repr + ": " + reread.status().ToString());
  FUZZ_CHECK(repr_end == repr.size() && Same(*reread, *value, false), repr);
  return 0;
}
