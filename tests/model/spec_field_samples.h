// Specs whose fields are set from the spec's field list (model/spec_fields.h), for tests that
// must reach every field whatever fields there are: a field added to the list is covered by
// them without editing them (a field of a new type makes Bump fail to compile until it
// learns the type). Included by the model, state and engine tests.
#pragma once

#include <chrono>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "model/container_spec.h"
#include "model/spec_fields.h"

namespace jlrec::spec_samples {

template <class T>
void SetEveryField(T& value);

/// Changes `value` to one it did not hold (an unset optional becomes set).
template <class T>
void Bump(T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    value += "x";
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    value.push_back("x" + std::to_string(value.size()));
  } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
    value.emplace("k" + std::to_string(value.size()), "v");
  } else if constexpr (kIsOptional<T>) {
    if (value)
      Bump(*value);
    else
      SetEveryField(value.emplace());
  } else if constexpr (HasFieldList<T>) {
    ForEachField<T>([&](const auto& field) { Bump(field.Of(value)); });
  } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
    value += std::chrono::milliseconds(1);
  } else if constexpr (std::is_same_v<T, int>) {
    value += 1;
  } else {
    static_assert(kUnsupportedFieldType<T>, "Bump does not know this field type yet");
  }
}

/// Gives every field of `value` (nested ones too) a value other than its default.
template <class T>
void SetEveryField(T& value) {
  if constexpr (HasFieldList<T>) {
    ForEachField<T>([&](const auto& field) { SetEveryField(field.Of(value)); });
  } else {
    Bump(value);
  }
}

/// A spec with every field, nested ones included, set to something other than its default.
inline ContainerSpec EveryFieldSet() {
  ContainerSpec spec;
  SetEveryField(spec);
  return spec;
}

/// One spec per field of the list: `base` with that field alone changed. Named by the field
/// ("ports"); a nested field by its parent and itself ("healthcheck.retries"), present only
/// when `base` has the parent set.
inline std::vector<std::pair<std::string, ContainerSpec>> EachFieldChanged(
    const ContainerSpec& base) {
  std::vector<std::pair<std::string, ContainerSpec>> out;
  ForEachField<ContainerSpec>([&](const auto& field) {
    ContainerSpec changed = base;
    Bump(field.Of(changed));
    out.emplace_back(std::string(field.traits.name), std::move(changed));
    using T = typename std::remove_cvref_t<decltype(field)>::Value;
    if constexpr (kIsOptional<T>) {
      if constexpr (HasFieldList<typename T::value_type>) {
        if (!field.Of(base)) return;
        ForEachField<typename T::value_type>([&](const auto& nested) {
          ContainerSpec changed_nested = base;
          Bump(nested.Of(*field.Of(changed_nested)));
          out.emplace_back(std::string(field.traits.name) + "." + std::string(nested.traits.name),
                           std::move(changed_nested));
        });
      }
    }
  });
  return out;
}

}  // namespace jlrec::spec_samples
