#include "model/container_spec.h"

#include <type_traits>

#include "model/digest.h"
#include "model/spec_fields.h"

namespace jlrec {

namespace {

// --- SpecDigest's canonical text. Length-prefixed values and counted lists make it
// unambiguous whatever the values contain.

void Put(std::string& out, const std::string& s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}

template <class Struct>
void DigestFields(std::string& out, const Struct& s);

template <class T>
void DigestValue(std::string& out, const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    Put(out, value);
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    out += 'L' + std::to_string(value.size()) + ':';
    for (const auto& s : value) Put(out, s);
  } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
    out += 'M' + std::to_string(value.size()) + ':';
    for (const auto& [k, v] : value) {
      Put(out, k);
      Put(out, v);
    }
  } else if constexpr (kIsOptional<T>) {
    // Optional fields carry a digest tag (spec_fields.h): unset, they are left out whole.
    if (value) DigestValue(out, *value);
  } else if constexpr (HasFieldList<T>) {
    DigestFields(out, value);
  } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
    Put(out, std::to_string(value.count()));
  } else if constexpr (std::is_same_v<T, int>) {
    Put(out, std::to_string(value));
  } else {
    static_assert(kUnsupportedFieldType<T>, "SpecDigest has no canonical form for this type");
  }
}

template <class Struct>
void DigestFields(std::string& out, const Struct& s) {
  ForEachField<Struct>([&](const auto& field) {
    if (field.traits.digest_tag != 0) {
      // Added after the digest's first version: absent while unused, so that the digest of
      // every spec that does not use it is what it was before it existed.
      if (HoldsDefault(field, s)) return;
      out += field.traits.digest_tag;
    }
    DigestValue(out, field.Of(s));
  });
}

// --- The binary form (model/byte_codec.h): every field in list order, no tags (the
// caches' format numbers version the layout).

template <class Struct>
void WriteFields(ByteWriter& w, const Struct& s);
template <class Struct>
void ReadFields(ByteReader& r, Struct& s);

template <class T>
void WriteValue(ByteWriter& w, const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    w.Str(value);
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    w.Strs(value);
  } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
    w.StrMap(value);
  } else if constexpr (kIsOptional<T>) {
    w.Bool(value.has_value());
    if (value) WriteValue(w, *value);
  } else if constexpr (HasFieldList<T>) {
    WriteFields(w, value);
  } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
    w.I64(value.count());
  } else if constexpr (std::is_same_v<T, int>) {
    w.I64(value);
  } else {
    static_assert(kUnsupportedFieldType<T>, "WriteSpec has no binary form for this type");
  }
}

template <class T>
void ReadValue(ByteReader& r, T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    value = r.Str();
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    value = r.Strs();
  } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
    value = r.StrMap();
  } else if constexpr (kIsOptional<T>) {
    if (r.Bool())
      ReadValue(r, value.emplace());
    else
      value.reset();
  } else if constexpr (HasFieldList<T>) {
    ReadFields(r, value);
  } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
    value = std::chrono::milliseconds(r.I64());
  } else if constexpr (std::is_same_v<T, int>) {
    value = static_cast<int>(r.I64());
  } else {
    static_assert(kUnsupportedFieldType<T>, "ReadSpec has no binary form for this type");
  }
}

template <class Struct>
void WriteFields(ByteWriter& w, const Struct& s) {
  ForEachField<Struct>([&](const auto& field) { WriteValue(w, field.Of(s)); });
}

template <class Struct>
void ReadFields(ByteReader& r, Struct& s) {
  ForEachField<Struct>([&](const auto& field) { ReadValue(r, field.Of(s)); });
}

}  // namespace

std::string SpecDigest(const ContainerSpec& spec) {
  std::string out = "jlrec-spec-v1;";
  DigestFields(out, spec);
  return Sha256Hex(out);
}

void WriteSpec(ByteWriter& w, const ContainerSpec& s) { WriteFields(w, s); }

void ReadSpec(ByteReader& r, ContainerSpec& s) { ReadFields(r, s); }

}  // namespace jlrec
